//! Test support for modelreg, used only from `tests/`: throwaway PostgreSQL databases, the
//! test S3 server's settings, and the real binaries run as child processes. Nothing here
//! skips a backend quietly: a missing service is a panic that says how to provide it.

mod binary;
mod postgres;
mod s3;
mod server;

pub use binary::bin_path;
pub use postgres::{PgTestDb, postgres_db};
pub use s3::{S3Settings, s3_settings, unique_prefix};
pub use server::{ServerProcess, ServerSetup};
