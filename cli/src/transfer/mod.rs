//! Moving blob bytes efficiently and resumably, for the push and pull engines: upload
//! sessions for large files (with their state remembered between runs), downloads by
//! parallel byte ranges into one preallocated file, and honest progress on stderr. What to
//! transfer is decided by `push` and `pull`; what is already local by `cache`.

pub mod download;
pub mod progress;
pub mod upload_session;
pub mod upload_state;
