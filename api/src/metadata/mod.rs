//! The version metadata: every criterion people weigh when choosing a pretrained model
//! (DESIGN.md §6), typed and validated. Unknown keys are refused, naming the key; `labels`
//! is the only free-form place. Limits that the types alone cannot express are checked by
//! [`Metadata::validate`], whose errors name the field.

mod language;
mod parts;
mod vocab;

use std::collections::BTreeMap;
use std::num::NonZeroU64;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use language::{LanguageError, LanguageTag};
pub use parts::{BaseModel, Evaluation, HardwareNeeds, Latency, LicenseTermsDeclared, Modalities, Risks};
pub use vocab::{BaseRelation, DerivedField, Format, Modality, Precision, Task};

use crate::LicenseExpr;

/// Longest `readme` (the model card), in bytes.
pub const MAX_README: usize = 1 << 20;
/// Longest free-text field other than `readme`, in bytes.
pub const MAX_TEXT: usize = 64 << 10;
/// Longest short string (names, tokens, tags, label keys and values), in bytes.
pub const MAX_SHORT: usize = 256;
/// Most entries in a list field or in `labels`.
pub const MAX_ITEMS: usize = 1000;
/// Most bases of one version (`base_model` plus `base_models`).
pub const MAX_BASES: usize = 16;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// SPDX licence expression (required); `LicenseRef-...` for licences SPDX lacks.
    pub license: LicenseExpr,
    /// Where the licence text lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_url: Option<String>,
    /// Declared licence terms; they win over what the registry knows of the licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_terms: Option<LicenseTermsDeclared>,
    /// Cost notes: licence fees, compute needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modalities: Option<Modalities>,
    /// BCP-47 tags of the languages the model handles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<LanguageTag>,
    /// Input context, in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_length: Option<NonZeroU64>,
    /// Longest output, in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<NonZeroU64>,
    /// Parameter count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<NonZeroU64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    /// Quantisation scheme, e.g. `Q4_K_M`, `gptq`, `awq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantization: Option<String>,
    /// Model architecture, e.g. `LlamaForCausalLM` or `llama`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// Runtime or library, e.g. `transformers`, `llama.cpp`, `onnxruntime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fine_tunable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model: Option<BaseModel>,
    /// Further bases, for a merge of several models (`base_model` names the first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_models: Vec<BaseModel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_relation: Option<BaseRelation>,
    /// Measured latencies, each on stated hardware.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub latency: Vec<Latency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<HardwareNeeds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risks: Option<Risks>,
    /// Training datasets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evaluations: Vec<Evaluation>,
    /// One-paragraph summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The model card, Markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readme: Option<String>,
    /// Lower-case keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Free-form string pairs: the only place for keys the schema does not know.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A metadata field that failed validation, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metadata.{field}: {reason}")]
pub struct MetadataError {
    pub field: String,
    pub reason: String,
}

fn fail(field: impl Into<String>, reason: impl Into<String>) -> MetadataError {
    MetadataError { field: field.into(), reason: reason.into() }
}

pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<(), MetadataError> {
    if value.len() > max {
        return Err(fail(field, format!("is longer than {max} bytes")));
    }
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(fail(field, "contains a control character"));
    }
    Ok(())
}

/// A short, single-line, non-empty string such as a token or a tag.
pub(crate) fn check_short(field: &str, value: &str) -> Result<(), MetadataError> {
    if value.trim().is_empty() {
        return Err(fail(field, "is empty"));
    }
    if value.len() > MAX_SHORT {
        return Err(fail(field, format!("is longer than {MAX_SHORT} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(fail(field, "contains a control character"));
    }
    Ok(())
}

fn check_count(field: &str, n: usize) -> Result<(), MetadataError> {
    if n > MAX_ITEMS { Err(fail(field, format!("has more than {MAX_ITEMS} entries"))) } else { Ok(()) }
}

impl Metadata {
    /// A minimal metadata block with only a licence.
    pub fn with_license(license: LicenseExpr) -> Self {
        serde_json::from_value(serde_json::json!({ "license": license }))
            .expect("a licence alone is valid metadata")
    }

    /// Normalises what has one canonical form: tags lower-cased, sorted and de-duplicated;
    /// languages de-duplicated in order.
    pub fn normalize(&mut self) {
        for tag in &mut self.tags {
            *tag = tag.trim().to_lowercase();
        }
        self.tags.sort();
        self.tags.dedup();
        let mut seen = std::collections::BTreeSet::new();
        self.languages.retain(|l| seen.insert(l.clone()));
    }

    /// Checks lengths, counts and ranges; errors name the field.
    pub fn validate(&self) -> Result<(), MetadataError> {
        for (field, value) in [
            ("license_url", &self.license_url),
            ("quantization", &self.quantization),
            ("architecture", &self.architecture),
            ("framework", &self.framework),
        ] {
            if let Some(v) = value {
                check_short(field, v)?;
            }
        }
        for (field, value) in [("cost", &self.cost), ("description", &self.description)] {
            if let Some(v) = value {
                check_text(field, v, MAX_TEXT)?;
            }
        }
        if let Some(readme) = &self.readme {
            check_text("readme", readme, MAX_README)?;
        }
        if let Some(terms) = &self.license_terms {
            terms.validate()?;
        }
        if let Some(m) = &self.modalities {
            m.validate()?;
        }
        check_count("languages", self.languages.len())?;
        check_count("latency", self.latency.len())?;
        for (i, l) in self.latency.iter().enumerate() {
            l.validate(&format!("latency[{i}]"))?;
        }
        if let Some(h) = &self.hardware {
            h.validate()?;
        }
        if let Some(r) = &self.risks {
            r.validate()?;
        }
        check_count("datasets", self.datasets.len())?;
        for (i, d) in self.datasets.iter().enumerate() {
            check_short(&format!("datasets[{i}]"), d)?;
        }
        check_count("evaluations", self.evaluations.len())?;
        for (i, e) in self.evaluations.iter().enumerate() {
            e.validate(&format!("evaluations[{i}]"))?;
        }
        check_count("tags", self.tags.len())?;
        for (i, t) in self.tags.iter().enumerate() {
            check_short(&format!("tags[{i}]"), t)?;
            if t.chars().any(char::is_whitespace) {
                return Err(fail(format!("tags[{i}]"), "contains white space"));
            }
        }
        check_count("labels", self.labels.len())?;
        for (k, v) in &self.labels {
            check_short(&format!("labels.{k}"), k)?;
            if k.contains(':') {
                return Err(fail(format!("labels.{k}"), "a label key may not contain ':'"));
            }
            check_text(&format!("labels.{k}"), v, MAX_SHORT)?;
        }
        self.validate_bases()?;
        Ok(())
    }

    /// Every base this version names: `base_model`, then `base_models`.
    pub fn bases(&self) -> impl Iterator<Item = &BaseModel> {
        self.base_model.iter().chain(self.base_models.iter())
    }

    fn validate_bases(&self) -> Result<(), MetadataError> {
        if self.base_relation.is_some() && self.base_model.is_none() {
            return Err(fail("base_relation", "needs base_model"));
        }
        if !self.base_models.is_empty() && self.base_model.is_none() {
            return Err(fail("base_models", "needs base_model (the first base)"));
        }
        if self.bases().count() > MAX_BASES {
            return Err(fail("base_models", format!("names more than {MAX_BASES} bases in all")));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, b) in self.base_models.iter().enumerate() {
            if !seen.insert(&b.model) || self.base_model.as_ref().is_some_and(|f| f.model == b.model) {
                return Err(fail(format!("base_models[{i}]"), format!("names '{}' twice", b.model)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
