//! modelreg-server: the registry's HTTP API over a metadata store (SQLite or PostgreSQL) and
//! a content-addressed blob store (local folder or S3). `main.rs` only parses arguments and
//! calls into `app`.

pub mod app;
pub mod blob;
pub mod config;
pub mod facts;
pub mod http;
#[cfg(test)]
mod layering;
pub mod service;
pub mod store;
