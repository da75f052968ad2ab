//! The server's one integration-test binary: store and blob contract suites (every backend),
//! HTTP behaviour through the real route table, and generated-contract drift checks.

mod binary;
mod blob_contract;
mod contracts;
mod http;
mod store_contract;
mod support;
