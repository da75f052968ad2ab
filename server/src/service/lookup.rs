//! Lookup and lineage: finding versions by what matters when choosing a model, limited to
//! the namespaces the caller can see, and paging through them by cursor.

use modelreg_api::{LookupQuery, ModelName};

use super::{Principal, Registry, RegistryError};
use crate::store::{Cursor, DerivativeRecord, LookupHit, Strategy};

/// One page of lookup hits and the cursor of the next page, if any.
pub struct LookupResult {
    pub hits: Vec<LookupHit>,
    pub next_cursor: Option<String>,
}

impl Registry {
    /// One page of the versions matching `q` that `caller` can see (anonymous: every namespace).
    pub async fn lookup(
        &self,
        caller: Option<&Principal>,
        mut q: LookupQuery,
    ) -> Result<LookupResult, RegistryError> {
        q.visible_namespaces = caller.map(|p| p.namespaces.clone()).unwrap_or_default();
        let q = &q;
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

    /// Versions that name `name` as their base, in namespaces `caller` can see (the others are
    /// left out: their existence is not revealed); 404 for an unknown model.
    pub async fn derivatives(
        &self,
        caller: Option<&Principal>,
        name: &ModelName,
    ) -> Result<Vec<DerivativeRecord>, RegistryError> {
        if self.meta.get_model(name).await?.is_none() {
            return Err(RegistryError::ModelNotFound(name.clone()));
        }
        let mut derivatives = self.meta.list_derivatives(name).await?;
        derivatives.retain(|r| caller.is_none_or(|p| p.covers(r.model.namespace())));
        Ok(derivatives)
    }
}
