//! Moving blob bytes efficiently and resumably, for the push and pull engines: upload
//! sessions for large files (with their state remembered between runs), downloads by
//! parallel byte ranges into one preallocated file, honest progress on stderr, and one
//! retry policy for every transfer request. What to transfer is decided by `push` and
//! `pull`; what is already local by `cache`.

pub mod download;
pub mod progress;
pub mod retry;
pub mod upload_session;
pub mod upload_state;
