//! What a version contributes to the lookup: the typed search columns and join-table rows,
//! computed once at publish from the manifest, its facts and the licence knowledge, and
//! (`write`) the statements that store them. It does not query; the lookup reads them.

mod evals;
pub(super) mod memory;
pub(super) mod write;

pub use evals::EvalRow;

use modelreg_api::{CommercialUse, DerivedField, Facts, LicenseClass, Manifest, ModelName, assess};

/// Search columns and join rows of one version.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub license_class: LicenseClass,
    pub commercial_use: CommercialUse,
    pub task: Option<String>,
    pub context_length: Option<i64>,
    pub max_output_tokens: Option<i64>,
    pub parameters: Option<i64>,
    pub precision: Option<String>,
    pub quantization: Option<String>,
    pub architecture: Option<String>,
    pub format: Option<String>,
    pub framework: Option<String>,
    pub fine_tunable: Option<bool>,
    pub base: Option<(String, String)>,
    pub base_version: Option<String>,
    pub base_relation: Option<String>,
    pub has_risk_notes: bool,
    pub min_latency_ms: Option<f64>,
    pub description: Option<String>,
    pub search_text: String,
    pub languages_json: String,
    pub modalities_json: String,
    pub facts_json: String,
    /// Normalised licence ids (see [`normalize_license_id`]).
    pub license_ids: Vec<String>,
    /// (tag, primary subtag)
    pub languages: Vec<(String, String)>,
    /// (direction, modality)
    pub modalities: Vec<(&'static str, String)>,
    pub tags: Vec<String>,
    pub labels: Vec<(String, String)>,
    /// (hardware, p50 ms)
    pub latency: Vec<(String, f64)>,
    /// The `version_memory` row, when the weight bytes are known.
    pub memory: Option<memory::MemoryRow>,
    /// The evaluations, one `version_evaluations` row each.
    pub evaluations: Vec<EvalRow>,
}

/// One term of a version's `facets` (PostgreSQL): a value of a multi-valued filter field,
/// prefixed with the field, so that one GIN index answers every such filter. Migration 0007
/// writes the same terms from the join tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet<'a> {
    /// A normalised licence id (see [`normalize_license_id`]).
    License(&'a str),
    /// A modality in either direction.
    Modality(&'a str),
    /// A modality in one direction (`input` or `output`).
    DirectedModality(&'a str, &'a str),
    /// The primary subtag of a language tag (`fr` for `fr-CA`).
    Language(&'a str),
    /// A whole language tag.
    LanguageTag(&'a str),
    Tag(&'a str),
    /// Key (which cannot contain ':') and value.
    Label(&'a str, &'a str),
    /// A single-valued equality field (migration 0015): `task`, `format`, `framework`,
    /// `precision`, `license_class` or `commercial_use`, and its value, so that the one GIN
    /// index intersects every equality filter.
    Field(&'static str, &'a str),
    /// A numeric field's power-of-two bucket (migration 0017): `parameters`, `context_length`
    /// or `latency` (the fastest p50, rounded up to whole milliseconds) and the bit length
    /// of its value ([`bit_length`]), so that the GIN index answers ranges as an OR of the
    /// buckets a bound covers (the column checks the partial bucket on the heap).
    Bits(&'static str, u32),
}

impl Facet<'_> {
    pub fn term(&self) -> String {
        match self {
            Self::License(id) => format!("license:{id}"),
            Self::Modality(m) => format!("modality:{m}"),
            Self::DirectedModality(direction, m) => format!("{direction}:{m}"),
            Self::Language(primary) => format!("language:{primary}"),
            Self::LanguageTag(tag) => format!("language_tag:{tag}"),
            Self::Tag(tag) => format!("tag:{tag}"),
            Self::Label(k, v) => format!("label:{k}:{v}"),
            Self::Field(field, value) => format!("{field}:{value}"),
            Self::Bits(field, bits) => format!("{field}:bits:{bits}"),
        }
    }
}

/// The bucket of a numeric value: its bit length (0 for 0 and below, 1 for 1, 2 for 2-3, 3
/// for 4-7, ...), which never decreases as the value grows, so `x <= b` implies
/// `bit_length(x) <= bit_length(b)` (and `>=` likewise). Migration 0017 computes the same.
pub fn bit_length(value: i64) -> u32 {
    if value <= 0 { 0 } else { 64 - value.leading_zeros() }
}

/// Milliseconds rounded up to a whole number (saturating), the integer a latency bucket is
/// the [`bit_length`] of; rounding up keeps the order (`x <= b` implies `ceil(x) <= ceil(b)`).
pub fn whole_ms(ms: f64) -> i64 {
    // `as` saturates (and maps NaN to 0).
    ms.ceil() as i64
}

/// Lower-case, without `+`, `-only` or `-or-later`: how licence ids are stored and matched.
pub fn normalize_license_id(id: &str) -> String {
    let lower = id.trim().to_ascii_lowercase();
    let base = lower.strip_suffix('+').unwrap_or(&lower);
    let base = base.strip_suffix("-or-later").or_else(|| base.strip_suffix("-only")).unwrap_or(base);
    base.to_owned()
}

fn fact_u64(facts: &Facts, field: DerivedField) -> Option<i64> {
    facts.get(&field).and_then(|f| f.value.as_u64()).and_then(|v| i64::try_from(v).ok())
}

fn fact_text(facts: &Facts, field: DerivedField) -> Option<String> {
    facts.get(&field).and_then(|f| f.value.as_str()).map(str::to_owned)
}

impl SearchDoc {
    /// The terms of [`Facet`] this version has, sorted and without duplicates.
    pub fn facets(&self) -> Vec<String> {
        let mut terms: Vec<String> = self
            .license_ids
            .iter()
            .map(|id| Facet::License(id).term())
            .chain(self.modalities.iter().flat_map(|(direction, m)| {
                [Facet::Modality(m).term(), Facet::DirectedModality(direction, m).term()]
            }))
            .chain(
                self.languages.iter().flat_map(|(tag, primary)| {
                    [Facet::Language(primary).term(), Facet::LanguageTag(tag).term()]
                }),
            )
            .chain(self.tags.iter().map(|t| Facet::Tag(t).term()))
            .chain(self.labels.iter().map(|(k, v)| Facet::Label(k, v).term()))
            .chain(self.field_values().into_iter().flat_map(|(f, v)| v.map(|v| Facet::Field(f, v).term())))
            .chain(
                self.bucket_values()
                    .into_iter()
                    .flat_map(|(f, v)| v.map(|v| Facet::Bits(f, bit_length(v)).term())),
            )
            .collect();
        terms.sort();
        terms.dedup();
        terms
    }

    /// The values of the single-valued fields that are [`Facet::Field`] terms.
    fn field_values(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("task", self.task.as_deref()),
            ("format", self.format.as_deref()),
            ("framework", self.framework.as_deref()),
            ("precision", self.precision.as_deref()),
            ("license_class", Some(self.license_class.as_str())),
            ("commercial_use", Some(self.commercial_use.as_str())),
        ]
    }

    /// The values of the numeric fields that are [`Facet::Bits`] terms.
    fn bucket_values(&self) -> [(&'static str, Option<i64>); 3] {
        [
            ("parameters", self.parameters),
            ("context_length", self.context_length),
            ("latency", self.min_latency_ms.map(whole_ms)),
        ]
    }

    pub fn build(model: &ModelName, manifest: &Manifest, facts: &Facts) -> Self {
        let m = &manifest.metadata;
        let assessed = assess(&m.license);
        let commercial_use =
            m.license_terms.as_ref().and_then(|t| t.commercial_use).unwrap_or(assessed.commercial_use);
        let to_i64 = |v: Option<std::num::NonZeroU64>| v.and_then(|n| i64::try_from(n.get()).ok());
        // Facts hold the effective value of every derivable field; the metadata is the fallback.
        let parameters = fact_u64(facts, DerivedField::Parameters).or(to_i64(m.parameters));
        let context_length = fact_u64(facts, DerivedField::ContextLength).or(to_i64(m.context_length));
        let precision = fact_text(facts, DerivedField::Precision).or(m.precision.map(|p| p.to_string()));
        let quantization = fact_text(facts, DerivedField::Quantization).or(m.quantization.clone());
        let architecture = fact_text(facts, DerivedField::Architecture).or(m.architecture.clone());
        let format = fact_text(facts, DerivedField::Format).or(m.format.map(|f| f.to_string()));
        let mut search_text = model.to_string();
        for part in m.description.iter().chain(m.tags.iter()) {
            search_text.push(' ');
            search_text.push_str(part);
        }
        let modalities = m.modalities.clone().unwrap_or_default();
        let mut modality_rows = Vec::new();
        for (direction, list) in [("input", &modalities.input), ("output", &modalities.output)] {
            modality_rows.extend(list.iter().map(|x| (direction, x.to_string())));
        }
        let mut license_ids: Vec<String> = assessed.ids.iter().map(|id| normalize_license_id(id)).collect();
        license_ids.sort();
        license_ids.dedup();
        Self {
            license_class: assessed.class,
            commercial_use,
            task: m.task.map(|t| t.to_string()),
            context_length,
            max_output_tokens: to_i64(m.max_output_tokens),
            parameters,
            precision,
            quantization: quantization.map(|q| q.to_ascii_lowercase()),
            architecture,
            format,
            framework: m.framework.as_ref().map(|f| f.to_ascii_lowercase()),
            fine_tunable: m.fine_tunable,
            base: m.base_model.as_ref().map(|b| (b.model.namespace().to_owned(), b.model.name().to_owned())),
            base_version: m.base_model.as_ref().and_then(|b| b.version.as_ref()).map(ToString::to_string),
            base_relation: m.base_relation.map(|r| r.to_string()),
            has_risk_notes: m.risks.as_ref().is_some_and(modelreg_api::Risks::any),
            min_latency_ms: m.latency.iter().map(|l| l.p50_ms).reduce(f64::min),
            description: m.description.clone(),
            search_text: search_text.to_lowercase(),
            languages_json: serde_json::to_string(&m.languages).expect("tags serialise"),
            modalities_json: serde_json::to_string(&modalities).expect("modalities serialise"),
            facts_json: serde_json::to_string(facts).expect("facts serialise"),
            license_ids,
            languages: m.languages.iter().map(|l| (l.to_string(), l.primary().to_owned())).collect(),
            modalities: modality_rows,
            tags: m.tags.clone(),
            labels: m.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            latency: m.latency.iter().map(|l| (l.hardware.to_lowercase(), l.p50_ms)).collect(),
            memory: memory::MemoryRow::from_facts(facts),
            evaluations: evals::rows(&m.evaluations),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_ids_are_normalised_for_matching() {
        assert_eq!(normalize_license_id("GPL-3.0-or-later"), "gpl-3.0");
        assert_eq!(normalize_license_id("GPL-3.0-only"), "gpl-3.0");
        assert_eq!(normalize_license_id("Apache-2.0"), "apache-2.0");
        assert_eq!(normalize_license_id("LicenseRef-llama3+"), "licenseref-llama3");
    }

    #[test]
    fn buckets_keep_the_order_of_values() {
        let cases = [
            (i64::MIN, 0),
            (-1, 0),
            (0, 0),
            (1, 1),
            (2, 2),
            (3, 2),
            (4, 3),
            (1000, 10),
            (1024, 11),
            (i64::MAX, 63),
        ];
        for (value, bits) in cases {
            assert_eq!(bit_length(value), bits, "{value}");
        }
        assert_eq!(whole_ms(9.0), 9);
        assert_eq!(whole_ms(9.01), 10);
        assert_eq!(whole_ms(f64::INFINITY), i64::MAX);
        assert_eq!(whole_ms(-0.5), 0);
    }

    #[test]
    fn a_card_becomes_search_columns() {
        let manifest: Manifest = serde_json::from_value(serde_json::json!({
            "files": [{ "path": "a", "digest": format!("sha256:{}", "0".repeat(64)), "size": 1 }],
            "metadata": {
                "license": "MIT OR Apache-2.0", "task": "translation", "languages": ["fr", "pt-BR"],
                "modalities": { "input": ["text"], "output": ["text"] }, "parameters": 1000,
                "latency": [{ "hardware": "A100", "p50_ms": 9.0 }, { "hardware": "CPU", "p50_ms": 90.0 }],
                "risks": { "biases": "some" }, "tags": ["mt"], "description": "French Translator",
                "framework": "Transformers"
            }
        }))
        .unwrap();
        let doc = SearchDoc::build(&"acme/mt".parse().unwrap(), &manifest, &Facts::default());
        assert_eq!(doc.license_class, LicenseClass::Permissive);
        assert_eq!(doc.commercial_use, CommercialUse::Allowed);
        assert_eq!(doc.license_ids, ["apache-2.0", "mit"]);
        assert_eq!(
            doc.languages,
            [("fr".to_owned(), "fr".to_owned()), ("pt-BR".to_owned(), "pt".to_owned())]
        );
        assert_eq!(doc.parameters, Some(1000));
        assert_eq!(doc.min_latency_ms, Some(9.0));
        assert!(doc.has_risk_notes);
        assert_eq!(doc.framework.as_deref(), Some("transformers"));
        assert!(doc.search_text.contains("acme/mt") && doc.search_text.contains("french translator"));
        assert_eq!(doc.modalities.len(), 2);
        assert_eq!(
            doc.facets(),
            [
                "commercial_use:allowed",
                "framework:transformers",
                "input:text",
                "language:fr",
                "language:pt",
                "language_tag:fr",
                "language_tag:pt-BR",
                "latency:bits:4",
                "license:apache-2.0",
                "license:mit",
                "license_class:permissive",
                "modality:text",
                "output:text",
                "parameters:bits:10",
                "tag:mt",
                "task:translation",
            ],
            "the terms migrations 0007, 0015 and 0017 write from the join tables and columns"
        );
    }
}
