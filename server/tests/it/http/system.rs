//! Health, readiness, OpenAPI, unknown routes and wrong methods.

use std::sync::Arc;

use actix_web::{test, web};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use modelreg_api::{AliasName, Digest, LookupQuery, ModelName, Version};
use modelreg_server::service::Registry;
use modelreg_server::store::{
    AccessStore, AliasMoveRecord, AliasOutcome, AliasRecord, AuditFilter, AuditRecord, BlobLockStore,
    CatalogStore, Cursor, DerivativeRecord, GcClaim, LookupHit, MetadataStore, ModelRecord, NameTaken,
    NewToken, NewVersion, PublishOutcome, StoreError, Strategy, TokenRecord, VersionDetail, VersionRecord,
};

use super::{Harness, app_for, bearer, error_of};
use crate::support::{default_policy, local_blobs};

#[actix_web::test]
async fn health_and_readiness_answer_when_backends_are_up() {
    let h = Harness::new().await;
    let app = h.app().await;
    for path in ["/healthz", "/readyz"] {
        let resp = test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(resp.status(), 200, "{path}");
    }
    let ready: serde_json::Value =
        test::call_and_read_body_json(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(
        ready,
        serde_json::json!({ "status": "ready", "checks": { "database": "ok", "blobs": "ok" } })
    );
}

#[actix_web::test]
async fn the_openapi_document_is_served() {
    let h = Harness::new().await;
    let app = h.app().await;
    let doc: serde_json::Value =
        test::call_and_read_body_json(&app, test::TestRequest::get().uri("/openapi.json").to_request()).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/v1/blobs/{digest}"]["put"].is_object());
    assert!(doc["components"]["schemas"]["Manifest"].is_object());
}

#[actix_web::test]
async fn unknown_routes_and_wrong_methods_get_the_envelope() {
    let h = Harness::new().await;
    let app = h.app().await;
    let (status, e) = error_of(&app, test::TestRequest::get().uri("/nope")).await;
    assert_eq!((status, e.error.code.as_str()), (404, "not_found"));
    let (status, e) = error_of(&app, test::TestRequest::delete().uri("/healthz")).await;
    assert_eq!((status, e.error.code.as_str()), (405, "method_not_allowed"));
    let (status, e) =
        error_of(&app, test::TestRequest::patch().uri("/v1/models/acme/bert/versions/1.0.0")).await;
    assert_eq!((status, e.error.code.as_str()), (405, "method_not_allowed"));
}

#[actix_web::test]
async fn a_wrong_method_on_a_web_page_is_answered_with_the_methods_it_serves() {
    // The documented paths are checked against the document in `document.rs`; the UI's here.
    let h = Harness::new().await;
    let app = h.app().await;
    for (method, uri, allow) in
        [("PUT", "/login", "GET, POST"), ("DELETE", "/", "GET"), ("GET", "/logout", "POST")]
    {
        let req = test::TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).unwrap());
        let resp = test::call_service(&app, req.uri(uri).to_request()).await;
        assert_eq!(
            (resp.status().as_u16(), resp.headers().get("allow").map(|v| v.to_str().unwrap())),
            (405, Some(allow)),
            "{method} {uri}"
        );
    }
}

/// A store whose every call fails, to exercise the 5xx paths.
struct FailingStore;

fn boom() -> StoreError {
    StoreError::Database("connection refused by db.internal:5432 (secret detail)".into())
}

#[async_trait]
impl MetadataStore for FailingStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl modelreg_server::store::LineageStore for FailingStore {
    async fn refresh_stale_effective_licenses(&self) -> Result<u64, StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl modelreg_server::store::CommitStore for FailingStore {
    async fn version_for_commit(
        &self,
        _: &ModelName,
        _: &modelreg_api::CommitId,
    ) -> Result<Option<Version>, StoreError> {
        Err(boom())
    }
    async fn fill_missing_commit_ids(&self) -> Result<u64, StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl CatalogStore for FailingStore {
    async fn publish_version(&self, _: &NewVersion) -> Result<PublishOutcome, StoreError> {
        Err(boom())
    }
    async fn publish_versions(&self, _: &[NewVersion]) -> Result<Vec<PublishOutcome>, StoreError> {
        Err(boom())
    }
    async fn get_model(&self, _: &ModelName) -> Result<Option<ModelRecord>, StoreError> {
        Err(boom())
    }
    async fn list_versions(&self, _: &ModelName) -> Result<Vec<VersionRecord>, StoreError> {
        Err(boom())
    }
    async fn get_version(&self, _: &ModelName, _: &Version) -> Result<Option<VersionDetail>, StoreError> {
        Err(boom())
    }
    async fn lookup(
        &self,
        _: &LookupQuery,
        _: Option<&Cursor>,
        _: Strategy,
    ) -> Result<Vec<LookupHit>, StoreError> {
        Err(boom())
    }
    async fn list_derivatives(&self, _: &ModelName) -> Result<Vec<DerivativeRecord>, StoreError> {
        Err(boom())
    }
}

#[actix_web::test]
async fn backend_failures_are_503_or_500_without_internal_detail() {
    let (blobs, _backing) = local_blobs();
    let registry = web::Data::new(Registry::new(Arc::new(FailingStore), blobs, default_policy()));
    let app = app_for(registry, 1024).await;
    let resp = test::call_service(&app, test::TestRequest::get().uri("/readyz").to_request()).await;
    assert_eq!(resp.status(), 503);
    let body = test::read_body(resp).await;
    let ready: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        ready,
        serde_json::json!({ "status": "unavailable", "checks": { "database": "down", "blobs": "ok" } })
    );
    assert!(!String::from_utf8_lossy(&body).contains("secret"));
    let token = format!("mrg_{}", "0".repeat(64));
    let (status, e) =
        error_of(&app, test::TestRequest::get().uri("/v1/models/acme/bert").insert_header(bearer(&token)))
            .await;
    assert_eq!((status, e.error.code.as_str()), (500, "internal"));
    assert_eq!(e.error.message, "internal server error");
}

#[async_trait]
impl AccessStore for FailingStore {
    async fn create_token(&self, _: &NewToken) -> Result<Result<(), NameTaken>, StoreError> {
        Err(boom())
    }
    async fn find_token(&self, _: &str) -> Result<Option<TokenRecord>, StoreError> {
        Err(boom())
    }
    async fn token_hash_of(&self, _: &str) -> Result<Option<String>, StoreError> {
        Err(boom())
    }
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        Err(boom())
    }
    async fn revoke_token(&self, _: &str, _: &str, _: DateTime<Utc>) -> Result<bool, StoreError> {
        Err(boom())
    }
    async fn touch_token(&self, _: &str, _: DateTime<Utc>) -> Result<(), StoreError> {
        Err(boom())
    }
    async fn set_alias(
        &self,
        _: &ModelName,
        _: &AliasName,
        _: &Version,
        _: bool,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<AliasOutcome, StoreError> {
        Err(boom())
    }
    async fn remove_alias(
        &self,
        _: &ModelName,
        _: &AliasName,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Err(boom())
    }
    async fn get_alias(&self, _: &ModelName, _: &AliasName) -> Result<Option<Version>, StoreError> {
        Err(boom())
    }
    async fn list_aliases(&self, _: &ModelName) -> Result<Vec<AliasRecord>, StoreError> {
        Err(boom())
    }
    async fn alias_history(&self, _: &ModelName) -> Result<Vec<AliasMoveRecord>, StoreError> {
        Err(boom())
    }
    async fn set_yank(
        &self,
        _: &ModelName,
        _: &Version,
        _: Option<&str>,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Err(boom())
    }
    async fn delete_version(
        &self,
        _: &ModelName,
        _: &Version,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Err(boom())
    }
    async fn delete_model(
        &self,
        _: &ModelName,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError> {
        Err(boom())
    }
    async fn list_audit(&self, _: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl BlobLockStore for FailingStore {
    async fn lease_blobs(&self, _: &[Digest], _: DateTime<Utc>) -> Result<Vec<Digest>, StoreError> {
        Err(boom())
    }
    async fn claim_for_gc(
        &self,
        _: &Digest,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<GcClaim, StoreError> {
        Err(boom())
    }
    async fn release_gc_claim(&self, _: &Digest) -> Result<(), StoreError> {
        Err(boom())
    }
    async fn is_referenced(&self, _: &Digest) -> Result<bool, StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl modelreg_server::store::UploadStore for FailingStore {
    async fn create_upload(
        &self,
        _: &modelreg_server::store::NewUpload,
        _: u32,
    ) -> Result<Result<(), modelreg_server::store::TooManyUploads>, StoreError> {
        Err(boom())
    }
    async fn get_upload(
        &self,
        _: &str,
        _: Option<u32>,
    ) -> Result<Option<modelreg_server::store::UploadRecord>, StoreError> {
        Err(boom())
    }
    async fn record_hashed_part(
        &self,
        _: &str,
        _: &modelreg_server::store::HashedPart,
    ) -> Result<Result<(), modelreg_server::store::PrefixMoved>, StoreError> {
        Err(boom())
    }
    async fn record_stored_part(&self, _: &str, _: u32, _: &str) -> Result<bool, StoreError> {
        Err(boom())
    }
    async fn mark_upload_complete(&self, _: &str, _: DateTime<Utc>) -> Result<bool, StoreError> {
        Err(boom())
    }
    async fn delete_upload(&self, _: &str) -> Result<bool, StoreError> {
        Err(boom())
    }
    async fn expired_uploads(
        &self,
        _: DateTime<Utc>,
        _: u32,
    ) -> Result<Vec<modelreg_server::store::ExpiredUpload>, StoreError> {
        Err(boom())
    }
    async fn delete_expired_upload(&self, _: &str, _: DateTime<Utc>) -> Result<bool, StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl modelreg_server::store::BlobVisibilityStore for FailingStore {
    async fn blob_access(
        &self,
        _: &[Digest],
        _: Option<&str>,
        _: DateTime<Utc>,
    ) -> Result<std::collections::BTreeMap<Digest, modelreg_server::store::BlobAccess>, StoreError> {
        Err(boom())
    }
    async fn grant_blob(&self, _: &Digest, _: &str, _: DateTime<Utc>) -> Result<(), StoreError> {
        Err(boom())
    }
    async fn delete_expired_grants(&self, _: DateTime<Utc>) -> Result<u64, StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl modelreg_server::store::CriteriaStore for FailingStore {
    async fn tagged_versions(
        &self,
        _: &LookupQuery,
        _: &[LookupQuery],
        _: modelreg_api::SortKey,
        _: usize,
    ) -> Result<Option<Vec<modelreg_server::store::TaggedVersion>>, StoreError> {
        Err(boom())
    }
    async fn lookup_rows(
        &self,
        _: &LookupQuery,
        _: &[i64],
    ) -> Result<Vec<modelreg_server::store::LookupHit>, StoreError> {
        Err(boom())
    }
    async fn latency_on(
        &self,
        _: &[i64],
        _: &str,
    ) -> Result<std::collections::HashMap<i64, f64>, StoreError> {
        Err(boom())
    }
    async fn memory_of(
        &self,
        _: &[i64],
    ) -> Result<std::collections::HashMap<i64, modelreg_server::store::VersionMemory>, StoreError> {
        Err(boom())
    }
    async fn eval_best(
        &self,
        _: &[i64],
        _: &modelreg_api::EvalKey,
        _: &[modelreg_api::LanguageTag],
    ) -> Result<std::collections::HashMap<i64, f64>, StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl modelreg_server::store::SessionStore for FailingStore {
    async fn create_session(&self, _: &modelreg_server::store::NewSession) -> Result<bool, StoreError> {
        Err(boom())
    }
    async fn find_session(&self, _: &str, _: DateTime<Utc>) -> Result<Option<TokenRecord>, StoreError> {
        Err(boom())
    }
    async fn delete_session(&self, _: &str) -> Result<bool, StoreError> {
        Err(boom())
    }
    async fn delete_dead_sessions(&self, _: DateTime<Utc>, _: u32) -> Result<u64, StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl modelreg_server::store::ScrubStore for FailingStore {
    async fn referenced_blobs(
        &self,
        _: Option<&Digest>,
        _: Option<DateTime<Utc>>,
        _: u32,
    ) -> Result<Vec<modelreg_server::store::ReferencedBlob>, StoreError> {
        Err(boom())
    }
    async fn mark_blob_damaged(&self, _: &Digest, _: &str, _: DateTime<Utc>) -> Result<(), StoreError> {
        Err(boom())
    }
    async fn clear_blob_damage(&self, _: &Digest) -> Result<(), StoreError> {
        Err(boom())
    }
    async fn damaged_blobs(&self, _: &[Digest]) -> Result<std::collections::BTreeSet<Digest>, StoreError> {
        Err(boom())
    }
}

#[async_trait]
impl modelreg_server::store::OpsStore for FailingStore {
    async fn ops_sample(&self) -> Result<modelreg_server::store::OpsSample, StoreError> {
        Err(boom())
    }
    async fn ensure_statistics(&self) -> Result<Vec<modelreg_server::store::AnalysedTable>, StoreError> {
        Err(boom())
    }
}

#[actix_web::test]
async fn metrics_on_the_main_listener_refuse_requests_without_a_token() {
    let (blobs, _backing) = local_blobs();
    let registry = web::Data::new(Registry::new(Arc::new(FailingStore), blobs, default_policy()));
    let app = app_for(registry, 1024).await;
    // Without a token: refused (the main listener's default).
    let (status, e) = error_of(&app, test::TestRequest::get().uri("/metrics")).await;
    assert_eq!((status, e.error.code.as_str()), (401, "unauthorized"));
}
