//! The lookup's query (`GET /v1/models`) as a [`QueryParams`]: the api crate's parser reads
//! it (and refuses any key outside `LOOKUP_KEYS`), and each key it takes is documented here,
//! with the schemas of its values. A test checks every key of `LOOKUP_KEYS` is documented.

use modelreg_api::{LicenseClass, LookupQuery, Order, SortKey, VersionsMode};
use schemars::SchemaGenerator;
use serde_json::{Value, json};

use super::query::QueryParams;
use crate::service::RegistryError;

impl QueryParams for LookupQuery {
    fn parameters(generator: &mut SchemaGenerator) -> Vec<Value> {
        // The enums the parameters refer to by name.
        generator.subschema_for::<SortKey>();
        generator.subschema_for::<Order>();
        generator.subschema_for::<VersionsMode>();
        generator.subschema_for::<LicenseClass>();
        generator.subschema_for::<modelreg_api::CommercialUse>();
        generator.subschema_for::<modelreg_api::Modality>();
        generator.subschema_for::<modelreg_api::Task>();
        generator.subschema_for::<modelreg_api::Format>();
        generator.subschema_for::<modelreg_api::Precision>();
        lookup_parameters()
    }

    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, RegistryError> {
        LookupQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| RegistryError::InvalidQuery { parameter: e.param, reason: e.reason })
    }
}

/// The lookup's query parameters, one entry each.
fn lookup_parameters() -> Vec<Value> {
    let p = |name: &str, schema: Value, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description });
    let s = || json!({ "type": "string" });
    let n = || json!({ "type": "integer", "minimum": 0 });
    let b = || json!({ "type": "boolean" });
    let many = |inner: Value| json!({ "type": "array", "items": inner });
    let r = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    vec![
        p("q", s(), "Words that must all appear in the name, description or tags."),
        p("namespace", many(s()), "Namespaces (any)."),
        p(
            "license",
            many(s()),
            "SPDX ids the expression lets you choose, e.g. MIT matches 'MIT OR Apache-2.0'.",
        ),
        p("license_class", many(r("LicenseClass")), "Licence classes (any)."),
        p(
            "commercial_use",
            b(),
            "true: commercial use allowed (with or without conditions); false: forbidden.",
        ),
        p("modality", many(r("Modality")), "Input or output modality (any)."),
        p("input_modality", many(r("Modality")), "Input modality (any)."),
        p("output_modality", many(r("Modality")), "Output modality (any)."),
        p("task", many(r("Task")), "Tasks (any)."),
        p("language", many(s()), "BCP-47 tags, all required; 'fr' also matches 'fr-CA'."),
        p("any_language", many(s()), "BCP-47 tags, any."),
        p("min_context", n(), "Context length at least, tokens."),
        p("max_context", n(), "Context length at most, tokens."),
        p("min_params", n(), "Parameter count at least."),
        p("max_params", n(), "Parameter count at most."),
        p("max_size_bytes", n(), "Total size at most."),
        p("format", many(r("Format")), "Weight formats (any)."),
        p("framework", many(s()), "Frameworks (any), case-insensitive."),
        p("precision", many(r("Precision")), "Precisions (any)."),
        p("quantization", many(s()), "Quantisations (any), case-insensitive."),
        p("base_model", s(), "Direct derivatives of this model (namespace/name), merges included."),
        p("fine_tunable", b(), "Fine-tunable or not."),
        p("max_latency_ms", json!({ "type": "number" }), "Some stated p50 latency at most this, ms."),
        p("hardware", s(), "With max_latency_ms: only measurements on this hardware (case-insensitive)."),
        p("has_risk_notes", b(), "Whether any risk note is written."),
        // Effective licence through lineage (issue 14 part 2).
        p(
            "effective_license_class",
            many(r("LicenseClass")),
            "Licence classes after the base chain, the most restrictive on it (any).",
        ),
        p(
            "effective_commercial_use",
            many(r("CommercialUse")),
            "Commercial-use answers after the base chain (any): allowed, restricted, forbidden, unknown.",
        ),
        p(
            "license_conflicts",
            b(),
            "Whether the version declares a more permissive licence than a base allows.",
        ),
        p("tag", many(s()), "Tags (any)."),
        p("label", many(s()), "key:value labels (any)."),
        // Memory fit (issue 14 part 1; formula in docs/metadata.md).
        p(
            "fits_memory",
            s(),
            "Bytes or a size such as 24GiB: weights + KV cache x tokens x batch + overhead fit within it; \
             versions whose memory is unknown do not match.",
        ),
        p("at_context", n(), "With fits_memory: tokens per sequence (caps each model's context length)."),
        p("batch", n(), "With fits_memory: sequences at once (default 1)."),
        p(
            "kv_precision",
            s(),
            "With fits_memory: KV-cache precision (fp32, fp16, bf16, fp8, int8, q8_0, int4, q4_0).",
        ),
        p(
            "eval",
            many(s()),
            "Evaluation bounds, all required: <dataset>:<metric>>=<value> or <dataset>:<metric><=<value> \
             (URL-encoded; names case-insensitive). Some evaluation on that dataset and metric, in an \
             eval_language when given, is within the bound; a version without one never matches.",
        ),
        p(
            "eval_language",
            many(s()),
            "With eval or an evaluation sort: only evaluations in these BCP-47 tags (any) count; 'sw' also matches 'sw-KE'.",
        ),
        p(
            "sort",
            json!({ "anyOf": [r("SortKey"), { "type": "string", "pattern": "^eval:.+:.+$" }] }),
            "Sort key (default name), or eval:<dataset>:<metric> (each version's best value on it, best first by \
             the metric's direction unless order is given); missing values sort last.",
        ),
        p(
            "order",
            r("Order"),
            "asc (default; desc for an evaluation whose metric is higher-is-better) or desc.",
        ),
        p("limit", json!({ "type": "integer", "minimum": 1, "maximum": 200 }), "Page size (default 20)."),
        p("cursor", s(), "next_cursor of the previous page."),
        p("versions", r("VersionsMode"), "best (default): one row per model; all: every matching version."),
        p("include_yanked", b(), "true: yanked versions match too (by default they are skipped)."),
    ]
}
