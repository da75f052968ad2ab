//! The modelreg command-line client as a library: a typed registry client, the push and
//! pull engines with the steps they are built from (scan, hash, verify, model-card import),
//! search and the model card view, saved logins, and the clap command line. The `modelreg`
//! binary only parses, runs and prints errors.

pub mod cache;
pub mod card;
pub mod client;
pub mod commands;
pub mod credentials;
pub mod error;
pub mod hash;
pub mod lineage;
pub mod metadata;
pub mod no_follow;
pub mod output;
pub mod pull;
pub mod push;
pub mod quantity;
pub mod reference;
pub mod scan;
pub mod search;
pub mod table;
pub mod terminal;
pub mod transfer;
pub mod verify;

pub use client::Client;
pub use error::{ClientError, FailureKind};
pub use output::Output;
pub use pull::{PullReport, PullRequest, pull};
pub use push::{PushReport, PushRequest, push};
pub use reference::ModelRef;
