//! The Hugging Face Hub protocol (`/hf`) through the real clients: Python scripts under
//! `server/tests/hf/` drive `huggingface_hub` 2.x (with `hf_xet` and `transformers`) and 0.36
//! against the real `modelreg-server` binary, on the embedded default and on PostgreSQL + S3.
//! `support` fills a registry and runs one Python process per scenario set.

mod commits_contract;
mod download;
mod routes;
mod support;
mod upload;
mod upload_routes;
