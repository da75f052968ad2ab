//! The card's licence verdict (the registry's licence table, with declared terms winning)
//! and the model's characteristics, each value the files can also tell marked with where it
//! came from.

use modelreg_api::{
    CommercialUse, DerivedField, Fact, LicenseTermsDeclared, Metadata, VersionManifest, assess,
    license_terms, words,
};
use serde_json::Value as Json;

use super::Lines;
use crate::output::human_size;
use crate::quantity::grouped;

/// Licence, its class, commercial use, attribution, share-alike and restrictions; cost.
pub(super) fn licence(out: &mut Lines, meta: &Metadata) {
    let verdict = assess(&meta.license);
    out.field("license", &meta.license);
    out.optional("  url", meta.license_url.as_ref());
    out.field("  class", verdict.class);
    let declared = meta.license_terms.clone().unwrap_or_default();
    out.field("  commercial", commercial_use(declared.commercial_use, verdict.commercial_use));
    // The table's attribution and share-alike duties are per licence id; for an expression
    // of several ids only declared values are shown.
    let table = match verdict.ids.as_slice() {
        [id] => license_terms(id),
        _ => None,
    };
    let duty = |declared: Option<bool>, known: Option<bool>| match (declared, known) {
        (Some(d), _) => Some(format!("{} (declared)", yes_no(d))),
        (None, Some(k)) => Some(yes_no(k).to_owned()),
        (None, None) => None,
    };
    out.optional("  attribution", duty(declared.attribution_required, table.map(|t| t.attribution_required)));
    out.optional("  share-alike", duty(declared.share_alike, table.map(|t| t.share_alike)));
    restrictions(out, &declared);
    out.optional("cost", meta.cost.as_ref());
}

/// Declared terms win; the table's verdict is mentioned when it says something else.
fn commercial_use(declared: Option<CommercialUse>, table: CommercialUse) -> String {
    match declared {
        Some(d) if d == table || table == CommercialUse::Unknown => format!("{d} (declared)"),
        Some(d) => format!("{d} (declared; the licence says {table})"),
        None if table == CommercialUse::Unknown => "unknown (licence not in the registry's table)".into(),
        None => table.to_string(),
    }
}

fn restrictions(out: &mut Lines, declared: &LicenseTermsDeclared) {
    if declared.restrictions.is_empty() {
        return;
    }
    out.line("  restrictions:");
    for r in &declared.restrictions {
        let mut lines = r.trim().lines();
        out.line(format!("    - {}", lines.next().unwrap_or_default()));
        for more in lines {
            out.line(format!("      {more}").trim_end().to_owned());
        }
    }
}

/// Task, modalities, languages, sizes and deployment facts.
pub(super) fn characteristics(out: &mut Lines, m: &VersionManifest) {
    let meta = &m.metadata;
    out.optional("task", meta.task);
    if let Some(modalities) = &meta.modalities {
        let list = |v: &[modelreg_api::Modality]| {
            if v.is_empty() {
                "?".to_owned()
            } else {
                v.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
            }
        };
        out.field("modalities", format!("{} -> {}", list(&modalities.input), list(&modalities.output)));
    }
    if !meta.languages.is_empty() {
        out.field("languages", meta.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", "));
    }
    derivable(out, "context", m, DerivedField::ContextLength);
    out.optional("max output", meta.max_output_tokens.map(|n| format!("{} tokens", grouped(n.get()))));
    derivable(out, "parameters", m, DerivedField::Parameters);
    derivable(out, "precision", m, DerivedField::Precision);
    derivable(out, "quantization", m, DerivedField::Quantization);
    derivable(out, "architecture", m, DerivedField::Architecture);
    derivable(out, "format", m, DerivedField::Format);
    out.optional("framework", meta.framework.as_ref());
    out.optional("fine-tunable", meta.fine_tunable.map(yes_no));
    if let Some(hw) = &meta.hardware {
        let mut parts = Vec::new();
        if let Some(bytes) = hw.min_memory_bytes {
            parts.push(format!("at least {} of memory", human_size(bytes.get())));
        }
        if let Some(r) = &hw.recommended {
            parts.push(format!("recommended: {}", r.trim()));
        }
        out.optional("hardware", (!parts.is_empty()).then(|| parts.join("; ")));
    }
}

/// A field the registry can also read from the files: the effective value from `facts`
/// (or the metadata, for a registry that sent no facts) and its provenance.
fn derivable(out: &mut Lines, label: &str, m: &VersionManifest, field: DerivedField) {
    let fact = m.facts.get(&field);
    let Some(value) = fact.map(|f| f.value.clone()).or_else(|| declared_value(&m.metadata, field)) else {
        return;
    };
    if value.is_null() {
        return;
    }
    let note = fact.map_or_else(|| "(declared)".to_owned(), |f| provenance(field, f));
    out.field(label, format!("{} {note}", words::fact_value(field, &value)));
}

/// `(declared)`, `(derived from FILE)`, `(declared, confirmed by FILE)` or
/// `(declared, overrides VALUE from FILE)`.
pub(super) fn provenance(field: DerivedField, fact: &Fact) -> String {
    format!("({})", words::provenance(field, fact))
}

fn declared_value(meta: &Metadata, field: DerivedField) -> Option<Json> {
    let as_json = |v: Option<String>| v.map(Json::String);
    match field {
        DerivedField::Parameters => meta.parameters.map(|n| Json::from(n.get())),
        DerivedField::ContextLength => meta.context_length.map(|n| Json::from(n.get())),
        DerivedField::Precision => as_json(meta.precision.map(|p| p.to_string())),
        DerivedField::Quantization => as_json(meta.quantization.clone()),
        DerivedField::Architecture => as_json(meta.architecture.clone()),
        DerivedField::Format => as_json(meta.format.map(|f| f.to_string())),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
