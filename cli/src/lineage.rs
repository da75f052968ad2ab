//! A version's ancestry: following `metadata.base_model` from registry to registry entry,
//! at most `MAX_DEPTH` levels, and the one-line chain `show` prints. A base that cannot be
//! resolved ends the chain; it is never an error of the command.

use modelreg_api::{BaseRelation, ModelName, Version, VersionManifest, VersionSelector};

use crate::client::Client;
use crate::error::FailureKind;

/// Most base models followed.
pub const MAX_DEPTH: usize = 10;

/// One step down the chain: the relation of the model before it to this base, and what
/// the registry said about the base.
#[derive(Debug, Clone, PartialEq)]
pub struct Ancestor {
    pub relation: Option<BaseRelation>,
    pub model: ModelName,
    pub base: BaseLookup,
}

/// What resolving a base gave.
#[derive(Debug, Clone, PartialEq)]
pub enum BaseLookup {
    /// Resolved to this version.
    Found(Version),
    /// The registry has no such model or version; `selector` is what was asked for.
    Missing(VersionSelector),
    /// Resolving failed for another reason (auth, network, ...).
    Failed(VersionSelector, String),
    /// The chain comes back to a version already in it.
    Cycle(Version),
}

/// The bases of a version, nearest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lineage {
    pub ancestors: Vec<Ancestor>,
    /// The chain went on past `MAX_DEPTH`.
    pub truncated: bool,
}

/// Follows `manifest`'s base model, and its base model, ... up to `MAX_DEPTH` levels.
/// Stops quietly at the first base that cannot be resolved.
pub async fn lineage(client: &Client, manifest: &VersionManifest) -> Lineage {
    let mut chain = Vec::new();
    let mut truncated = false;
    let mut seen = vec![(manifest.model.clone(), manifest.version.clone())];
    let mut next = manifest.metadata.base_model.clone().map(|b| (manifest.metadata.base_relation, b));
    while let Some((relation, base)) = next.take() {
        if chain.len() == MAX_DEPTH {
            truncated = true;
            break;
        }
        let selector = base.version.clone().map_or(VersionSelector::Latest, VersionSelector::Exact);
        let lookup = match client.resolve(&base.model, &selector).await {
            Ok(m) if seen.contains(&(m.model.clone(), m.version.clone())) => BaseLookup::Cycle(m.version),
            Ok(m) => {
                seen.push((m.model.clone(), m.version.clone()));
                next = m.metadata.base_model.clone().map(|b| (m.metadata.base_relation, b));
                BaseLookup::Found(m.version)
            }
            Err(err) if err.kind() == FailureKind::NotFound => BaseLookup::Missing(selector),
            Err(err) => BaseLookup::Failed(selector, err.to_string()),
        };
        chain.push(Ancestor { relation, model: base.model, base: lookup });
    }
    Lineage { ancestors: chain, truncated }
}

/// `acme/chat@1.0.0 <- finetune of acme/base@2.0.0 <- quantized of meta/llama@latest (not
/// in this registry)`; `…` at the end when the chain went on past `MAX_DEPTH`.
pub fn render_chain(model: &ModelName, version: &Version, lineage: &Lineage) -> String {
    let mut text = format!("{model}@{version}");
    for step in &lineage.ancestors {
        let how = step.relation.map_or_else(|| "derived from".to_owned(), |r| format!("{r} of"));
        let target = match &step.base {
            BaseLookup::Found(v) => format!("{}@{v}", step.model),
            BaseLookup::Missing(sel) => format!("{}@{sel} (not in this registry)", step.model),
            BaseLookup::Failed(sel, why) => format!("{}@{sel} (not resolved: {why})", step.model),
            BaseLookup::Cycle(v) => format!("{}@{v} (cycle)", step.model),
        };
        text.push_str(&format!(" <- {how} {target}"));
    }
    if lineage.truncated {
        text.push_str(" <- …");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(relation: Option<BaseRelation>, model: &str, base: BaseLookup) -> Ancestor {
        Ancestor { relation, model: model.parse().unwrap(), base }
    }

    #[test]
    fn a_chain_reads_from_the_model_down_to_its_roots() {
        let ancestors = vec![
            step(Some(BaseRelation::Finetune), "acme/base", BaseLookup::Found("2.0.0".parse().unwrap())),
            step(Some(BaseRelation::Quantized), "meta/llama", BaseLookup::Missing(VersionSelector::Latest)),
        ];
        let lineage = Lineage { ancestors, truncated: false };
        let text = render_chain(&"acme/chat".parse().unwrap(), &"1.0.0".parse().unwrap(), &lineage);
        assert_eq!(
            text,
            "acme/chat@1.0.0 <- finetune of acme/base@2.0.0 <- quantized of meta/llama@latest (not in this registry)"
        );
    }

    #[test]
    fn unknown_relations_cycles_and_failures_are_spelt_out() {
        let v: Version = "1.0.0".parse().unwrap();
        let ancestors = vec![
            step(None, "acme/base", BaseLookup::Found(v.clone())),
            step(None, "acme/chat", BaseLookup::Cycle(v.clone())),
        ];
        let lineage = Lineage { ancestors, truncated: false };
        let text = render_chain(&"acme/chat".parse().unwrap(), &v, &lineage);
        assert_eq!(
            text,
            "acme/chat@1.0.0 <- derived from acme/base@1.0.0 <- derived from acme/chat@1.0.0 (cycle)"
        );
        let ancestors = vec![step(
            Some(BaseRelation::Adapter),
            "acme/base",
            BaseLookup::Failed(VersionSelector::Exact(v.clone()), "forbidden".into()),
        )];
        let lineage = Lineage { ancestors, truncated: true };
        let text = render_chain(&"acme/lora".parse().unwrap(), &v, &lineage);
        assert_eq!(text, "acme/lora@1.0.0 <- adapter of acme/base@1.0.0 (not resolved: forbidden) <- …");
    }
}
