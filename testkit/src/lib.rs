//! Test support for modelreg, used only from `tests/`: throwaway PostgreSQL databases, the
//! test S3 server's settings, the real binaries run as child processes, a TCP proxy that cuts a dependency off, a WebDriver client
//! for headless Chromium, and the fixture catalogue of real-shaped model cards the choose
//! tests rank. Nothing here skips a backend quietly: a missing service is a panic that says
//! how to provide it.

mod binary;
mod postgres;
mod proxy;
mod s3;
mod server;
pub mod webdriver;

pub use binary::{bin_path, release_server_bin};
pub use postgres::{PgTestDb, postgres_db};
pub use proxy::{ProxyMode, TcpProxy};
pub use s3::{S3Settings, s3_settings, unique_prefix};
pub use server::{ServerProcess, ServerSetup};
pub use webdriver::{Browser, Element, screenshot_dir};

/// The choose fixture catalogue (`fixtures/choose_catalogue.json`): `{"note", "models": [{"model",
/// "version", "day", "metadata"}]}`, one entry per version, published on `day` of January 2025.
pub const CHOOSE_CATALOGUE: &str = include_str!("../fixtures/choose_catalogue.json");
