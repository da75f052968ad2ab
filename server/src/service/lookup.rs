//! Lookup and lineage: finding versions by what matters when choosing a model.

use modelreg_api::{LookupQuery, ModelName};

use super::{Registry, RegistryError};
use crate::store::{Cursor, DerivativeRecord, LookupHit, Strategy};

/// One page of lookup hits and the cursor of the next page, if any.
pub struct LookupResult {
    pub hits: Vec<LookupHit>,
    pub next_cursor: Option<String>,
}

impl Registry {
    pub async fn lookup(&self, q: &LookupQuery) -> Result<LookupResult, RegistryError> {
        let cursor = q
            .cursor
            .as_deref()
            .map(|raw| Cursor::decode(raw, q))
            .transpose()
            .map_err(|reason| RegistryError::invalid_query("cursor", reason))?;
        let mut hits = self.meta.lookup(q, cursor.as_ref(), Strategy::Auto).await?;
        let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
        let next_cursor = if hits.len() > limit {
            hits.truncate(limit);
            hits.last().map(|last| Cursor::after(last, q).encode())
        } else {
            None
        };
        Ok(LookupResult { hits, next_cursor })
    }

    /// Versions that name `name` as their base; 404 for an unknown model.
    pub async fn derivatives(&self, name: &ModelName) -> Result<Vec<DerivativeRecord>, RegistryError> {
        if self.meta.get_model(name).await?.is_none() {
            return Err(RegistryError::ModelNotFound(name.clone()));
        }
        Ok(self.meta.list_derivatives(name).await?)
    }
}
