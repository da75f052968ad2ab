//! modelreg-server: the registry's HTTP API over a metadata store (SQLite or PostgreSQL) and
//! a content-addressed blob store (local folder or S3). The arrows run one way, `http` ->
//! `service` -> `store` | `blob` | `facts`; `config` and `app` load the configuration and wire
//! the layers together; `metrics` is a leaf every layer records into. `main.rs` parses arguments and calls into `app` and `service`.

pub mod app;
pub mod blob;
pub mod config;
pub mod facts;
pub mod http;
#[cfg(test)]
mod layering;
pub mod metrics;
pub mod service;
pub mod store;
