//! The model page's computed answers (issue 14's data): the memory it takes to run (weights,
//! KV cache per token and at the model's context, overhead), the licence through its lineage
//! (effective class and commercial use, conflicts, the chain it came from), and the commands
//! of every client the registry serves. The arithmetic is `modelreg_api::memory_need`, the
//! same the lookup's `fits_memory` applies; conflicts and bases arrive already filtered by
//! visibility.

use maud::{Markup, html};
use modelreg_api::{
    DerivedField, Fact, FactSource, KvCacheShape, LicenseConflict, ModelName, OVERHEAD_DIVISOR,
    OVERHEAD_FIXED_BYTES, Version, assess, memory_need,
};

use super::present::{class_badge, commercial_badge, grouped, human_size, provenance};
use crate::service::{LineageStep, ResolvedVersion};

/// The memory estimate at batch 1 and the stored precision, or why there is none.
pub fn memory(shown: &ResolvedVersion) -> Markup {
    let facts = &shown.facts;
    let weights = facts.get(&DerivedField::WeightBytes).and_then(|f| Some((f.value.as_u64()?, f)));
    let kv_fact = facts.get(&DerivedField::KvCache);
    let kv = kv_fact.and_then(|f| Some((serde_json::from_value::<KvCacheShape>(f.value.clone()).ok()?, f)));
    let context = facts.get(&DerivedField::ContextLength).and_then(|f| f.value.as_u64()).or(shown
        .manifest
        .metadata
        .context_length
        .map(|n| n.get()));
    let need = match (weights, kv, context) {
        (Some((w, _)), Some((kv, _)), Some(tokens)) => Some(memory_need(w, &kv, tokens, 1, None)),
        _ => None,
    };
    html! {
        section aria-labelledby="memory" {
            h2 #memory { "Memory to run it" }
            dl.card {
                dt { "Weights" }
                dd { @match weights {
                    Some((bytes, fact)) => { (human_size(bytes)) " " span.src { "(" (weights_source(fact)) ")" } },
                    None => "unknown: the files do not tell the weights' size, nor do declared parameters and precision",
                } }
                dt { "KV cache per token" }
                dd { @match kv {
                    Some((kv, fact)) => {
                        (human_size(kv.bytes_per_token)) " per token"
                        @if let Some(w) = kv.window { ", sliding-window layers keep " (grouped(w)) " tokens" }
                        " " span.src { "(" (provenance(DerivedField::KvCache, fact)) ")" }
                    },
                    None => "unknown: no KV-cache shape in the files (config.json or GGUF header)",
                } }
                @if let Some(need) = need {
                    dt { "At " (grouped(need.tokens)) " tokens, batch 1" }
                    dd {
                        strong { (human_size(need.total)) } ": weights " (human_size(need.weights))
                        " + KV cache " (human_size(need.kv_cache)) " + overhead " (human_size(need.overhead))
                        " (" (100 / OVERHEAD_DIVISOR) "% + " (human_size(OVERHEAD_FIXED_BYTES)) ")"
                    }
                } @else if weights.is_some() && kv.is_some() {
                    dt { "At its context" } dd { "unknown: no context length" }
                }
            }
            p.src { "The same estimate the search's memory-fit filter applies; a larger batch or context "
                "multiplies the KV cache." }
        }
    }
}

fn weights_source(fact: &Fact) -> String {
    if fact.source == FactSource::Declared && fact.file.is_none() {
        "from the declared parameters and precision".into()
    } else {
        provenance(DerivedField::WeightBytes, fact)
    }
}

/// The licence after the lineage: effective verdict, conflicts the caller may see, and the
/// chain of bases with their licences.
pub fn effective_licence(
    shown: &ResolvedVersion,
    conflicts: &[LicenseConflict],
    bases: &[LineageStep],
) -> Markup {
    let effective = &shown.effective_license;
    let own = assess(&shown.manifest.metadata.license);
    html! {
        section aria-labelledby="effective-licence" {
            h2 #effective-licence { "Licence through its bases" }
            dl.card {
                dt { "Effective class" } dd { (class_badge(effective.class)) }
                dt { "Effective commercial use" } dd { (commercial_badge(effective.commercial_use)) }
            }
            p.src { "The strictest answer over this version's licence and every base's, as the search's "
                "effective-licence filters use it." }
            h3 { "Conflicts" }
            @if conflicts.is_empty() { p { "None: no base you can see allows less than this version declares." } } @else {
                div.table-wrap { table {
                    caption { "Bases that allow less than this version declares" }
                    thead { tr {
                        th scope="col" { "Base" } th scope="col" { "Base class" } th scope="col" { "Base commercial use" }
                        th scope="col" { "Declared class" } th scope="col" { "Declared commercial use" }
                    } }
                    tbody { @for c in conflicts { tr {
                        th scope="row" { (c.base) }
                        td { (class_badge(c.base_class)) } td { (commercial_badge(c.base_commercial_use)) }
                        td { (class_badge(c.declared_class)) } td { (commercial_badge(c.declared_commercial_use)) }
                    } } }
                } }
            }
            h3 { "The chain it came from" }
            ol.chain {
                li { "This version: " code { (shown.manifest.metadata.license) } " " (class_badge(own.class)) }
                @for step in bases { li {
                    (step.model) @if let Some(v) = &step.version { "@" (v) }
                    @if let Some(r) = step.relation { " (" (r) ")" } ": "
                    @match &step.license {
                        Some((expr, eff)) => { code { (expr) } " " (class_badge(assess(expr).class))
                            " " span.src { "through its own bases: " (eff.class.as_str().replace('_', " ")) } },
                        None => "not in this registry; its licence counts as stated on this card, else unknown",
                    }
                } }
            }
        }
    }
}

/// How to fetch this version with each client the registry serves, one copyable line each.
pub fn commands(model: &ModelName, version: &Version) -> Markup {
    let api = format!(
        "curl -H \"Authorization: Bearer $MODELREG_TOKEN\" \"$MODELREG_URL/v1/models/{model}/versions/{version}\""
    );
    // One entry per client; the Hugging Face clients read the version as a revision.
    let clients: [(&str, String); 3] = [
        ("modelreg CLI", format!("modelreg pull {model}@{version}")),
        (
            "Hugging Face clients (huggingface_hub, transformers)",
            format!(
                "HF_ENDPOINT=\"$MODELREG_URL/hf\" HF_TOKEN=\"$MODELREG_TOKEN\" hf download {model} --revision {version}"
            ),
        ),
        ("The manifest through the JSON API", api),
    ];
    html! {
        section aria-labelledby="get" {
            h2 #get { "Get it" }
            @for (client, line) in &clients {
                p.src { (client) ":" }
                div.copy-row { pre data-copy { (line) } }
            }
        }
    }
}
