//! Reading bounded JSON request bodies ourselves, so that oversize, malformed and invalid
//! bodies all answer with the JSON envelope and name the offending field.

use actix_web::web;
use bytes::BytesMut;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::service::RegistryError;

/// Largest JSON request body, in bytes (app data).
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

/// Reads at most `limit` bytes and deserialises them; errors name the JSON path.
/// `invalid` builds the error for a body that does not parse or validate.
pub async fn read_json<T: DeserializeOwned>(
    mut payload: web::Payload,
    limit: usize,
    invalid: impl FnOnce(String) -> RegistryError,
) -> Result<T, RegistryError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| RegistryError::BodyInterrupted(e.to_string()))?;
        if buf.len() + chunk.len() > limit {
            return Err(RegistryError::BodyTooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    let de = &mut serde_json::Deserializer::from_slice(&buf);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        invalid(if path == "." { inner.to_string() } else { format!("{path}: {inner}") })
    })
}

/// Reads a JSON request body other than a manifest: a body that does not parse is a 400
/// `invalid_json` naming the JSON path.
pub async fn read_request<T: DeserializeOwned>(
    payload: web::Payload,
    limit: usize,
) -> Result<T, RegistryError> {
    read_json(payload, limit, |message| RegistryError::Invalid { code: "invalid_json", message }).await
}
