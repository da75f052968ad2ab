//! The access and lifecycle routes of the registry as typed calls: `whoami`, tokens (admin),
//! aliases, yank and un-yank, deletion (admin) and the audit log (admin). Like the rest of
//! `Client`, it sends requests and decodes answers; it never prints.

use modelreg_api::{
    AliasInfo, AliasList, AliasName, AuditPage, CreateTokenRequest, CreatedToken, ModelName, SetAliasRequest,
    TokenInfo, TokenList, Version, YankRequest,
};
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};

use super::{Client, read_json};
use crate::error::ClientError;

/// The answer to a yank or un-yank. (The api crate has no type for it yet.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YankState {
    pub model: ModelName,
    pub version: Version,
    pub yanked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The answer to deleting a whole model. (The api crate has no type for it yet.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedModel {
    pub model: ModelName,
    pub deleted_versions: u64,
}

/// Filters and paging of `GET /v1/audit`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub model: Option<ModelName>,
    pub actor: Option<String>,
    /// RFC 3339; checked by the registry.
    pub since: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl Client {
    /// `GET /v1/whoami`: the token this client sends, as the registry sees it.
    pub async fn whoami(&self) -> Result<TokenInfo, ClientError> {
        self.get_json(self.endpoint(&["v1", "whoami"])).await
    }

    /// `POST /v1/tokens` (admin): the new token's secret, shown this once.
    pub async fn create_token(&self, request: &CreateTokenRequest) -> Result<CreatedToken, ClientError> {
        let url = self.endpoint(&["v1", "tokens"]);
        let resp = self.send(self.request(Method::POST, &url).json(request), &url).await?;
        read_json(resp, &url).await
    }

    /// `GET /v1/tokens` (admin).
    pub async fn list_tokens(&self) -> Result<TokenList, ClientError> {
        self.get_json(self.endpoint(&["v1", "tokens"])).await
    }

    /// `DELETE /v1/tokens/{name}` (admin).
    pub async fn revoke_token(&self, name: &str) -> Result<(), ClientError> {
        self.delete(self.endpoint(&["v1", "tokens", name])).await
    }

    /// `GET /v1/models/{ns}/{name}/aliases`, with every move when `history`.
    pub async fn aliases(&self, model: &ModelName, history: bool) -> Result<AliasList, ClientError> {
        let mut url = self.model_endpoint(model, &["aliases"]);
        if history {
            url.set_query(Some("history=true"));
        }
        self.get_json(url).await
    }

    /// `PUT /v1/models/{ns}/{name}/aliases/{alias}`; `force` allows a yanked version.
    pub async fn set_alias(
        &self,
        model: &ModelName,
        alias: &AliasName,
        version: &Version,
        force: bool,
    ) -> Result<AliasInfo, ClientError> {
        let url = self.model_endpoint(model, &["aliases", alias.as_str()]);
        let body = SetAliasRequest { version: version.clone(), force };
        let resp = self.send(self.request(Method::PUT, &url).json(&body), &url).await?;
        read_json(resp, &url).await
    }

    /// `DELETE /v1/models/{ns}/{name}/aliases/{alias}`.
    pub async fn remove_alias(&self, model: &ModelName, alias: &AliasName) -> Result<(), ClientError> {
        self.delete(self.model_endpoint(model, &["aliases", alias.as_str()])).await
    }

    /// `POST .../versions/{version}/yank` with a reason.
    pub async fn yank(
        &self,
        model: &ModelName,
        version: &Version,
        reason: &str,
    ) -> Result<YankState, ClientError> {
        let url = self.model_endpoint(model, &["versions", &version.to_string(), "yank"]);
        let body = YankRequest { reason: reason.to_owned() };
        let resp = self.send(self.request(Method::POST, &url).json(&body), &url).await?;
        read_json(resp, &url).await
    }

    /// `DELETE .../versions/{version}/yank`: un-yank.
    pub async fn unyank(&self, model: &ModelName, version: &Version) -> Result<YankState, ClientError> {
        let url = self.model_endpoint(model, &["versions", &version.to_string(), "yank"]);
        let resp = self.send(self.request(Method::DELETE, &url), &url).await?;
        read_json(resp, &url).await
    }

    /// `DELETE /v1/models/{ns}/{name}/versions/{version}` (admin): the number is never
    /// published again.
    pub async fn delete_version(&self, model: &ModelName, version: &Version) -> Result<(), ClientError> {
        self.delete(self.model_endpoint(model, &["versions", &version.to_string()])).await
    }

    /// `DELETE /v1/models/{ns}/{name}` (admin): every version.
    pub async fn delete_model(&self, model: &ModelName) -> Result<DeletedModel, ClientError> {
        let url = self.model_endpoint(model, &[]);
        let resp = self.send(self.request(Method::DELETE, &url), &url).await?;
        read_json(resp, &url).await
    }

    /// `GET /v1/audit?...` (admin): one page, oldest first.
    pub async fn audit(&self, query: &AuditQuery) -> Result<AuditPage, ClientError> {
        self.get_json(self.audit_url(query)).await
    }

    fn audit_url(&self, query: &AuditQuery) -> Url {
        let mut url = self.endpoint(&["v1", "audit"]);
        let limit = query.limit.map(|n| n.to_string());
        let pairs = [
            ("model", query.model.as_ref().map(ToString::to_string)),
            ("actor", query.actor.clone()),
            ("since", query.since.clone()),
            ("limit", limit),
            ("cursor", query.cursor.clone()),
        ];
        if pairs.iter().any(|(_, v)| v.is_some()) {
            let mut encoder = url.query_pairs_mut();
            for (key, value) in &pairs {
                if let Some(value) = value {
                    encoder.append_pair(key, value);
                }
            }
        }
        url
    }

    /// A `DELETE` answered with an empty 2xx.
    async fn delete(&self, url: Url) -> Result<(), ClientError> {
        self.send(self.request(Method::DELETE, &url), &url).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_filters_are_percent_encoded_and_absent_ones_left_out() {
        let c = Client::new("http://127.0.0.1:8080".parse().unwrap(), None).unwrap();
        assert_eq!(c.audit_url(&AuditQuery::default()).as_str(), "http://127.0.0.1:8080/v1/audit");
        let query = AuditQuery {
            model: Some("acme/bert".parse().unwrap()),
            since: Some("2025-01-01T00:00:00+01:00".into()),
            limit: Some(50),
            ..AuditQuery::default()
        };
        let url = c.audit_url(&query);
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            pairs,
            [
                ("model".into(), "acme/bert".into()),
                ("since".into(), "2025-01-01T00:00:00+01:00".into()),
                ("limit".into(), "50".into())
            ]
        );
    }

    #[test]
    fn alias_and_token_names_travel_as_one_segment() {
        let c = Client::new("http://h/reg/".parse().unwrap(), None).unwrap();
        let model: ModelName = "acme/bert".parse().unwrap();
        let url = c.model_endpoint(&model, &["aliases", "production"]);
        assert_eq!(url.as_str(), "http://h/reg/v1/models/acme/bert/aliases/production");
        assert_eq!(c.endpoint(&["v1", "tokens", "a/b"]).as_str(), "http://h/reg/v1/tokens/a%2Fb");
    }
}
