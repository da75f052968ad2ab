//! Integration tests of the modelreg CLI: the binary and the library against a fake
//! registry that answers canned responses. (End-to-end tests against the real server go
//! in `e2e.rs`.)

mod admin;
mod cli_errors;
mod e2e;
mod fake_registry;
mod hostile_registry;
mod lifecycle;
mod login;
mod pull;
mod push;
mod search;
mod show;
mod support;
mod transfer;
