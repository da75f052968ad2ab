//! The server's one integration-test binary: store and blob contract suites (every backend),
//! HTTP behaviour through the real route table, the web UI in headless Chromium, and
//! generated-contract drift checks.

/// Instantiates each named `async fn(Arc<dyn MetadataStore>)` of the calling module once on
/// SQLite and once on PostgreSQL.
macro_rules! store_contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                let (store, _backing) = crate::support::sqlite_store().await;
                super::$name(store).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                let (store, _backing) = crate::support::postgres_store().await;
                super::$name(store).await;
            })*
        }
    };
}

mod batch_contract;
mod binary;
mod blob_contract;
mod body_timeout;
mod browser;
mod choose_contract;
mod choose_criteria_contract;
mod choose_scan_contract;
mod contracts;
mod derive;
mod eval_contract;
mod fuzz;
mod gc;
mod header_limits;
mod hf;
mod http;
mod lifecycle_contract;
mod lineage_contract;
mod lookup_contract;
mod memory_contract;
mod memory_derive;
mod operations;
mod outage;
mod presign;
mod replicas;
mod service_rules;
mod session_contract;
mod statistics_contract;
mod store_contract;
mod support;
mod ui;
mod upload_contract;
mod upload_store_contract;
mod verify;
mod visibility_contract;
