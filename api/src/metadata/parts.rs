//! The structured parts of the metadata: licence terms, modalities, lineage, latency
//! measurements, hardware needs, risk notes and evaluations.

use std::num::NonZeroU64;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    LanguageTag, MAX_ITEMS, MAX_TEXT, MetadataError, Modality, Precision, Task, check_short, check_text, fail,
};
use crate::{CommercialUse, LicenseExpr, ModelName, Version};

/// Licence terms as the publisher states them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseTermsDeclared {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commercial_use: Option<CommercialUse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_alike: Option<bool>,
    /// Usage restrictions in words, e.g. "more than 700M monthly users need a separate licence".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<String>,
}

impl LicenseTermsDeclared {
    pub(super) fn validate(&self) -> Result<(), MetadataError> {
        if self.restrictions.len() > MAX_ITEMS {
            return Err(fail("license_terms.restrictions", "has too many entries"));
        }
        for (i, r) in self.restrictions.iter().enumerate() {
            check_text(&format!("license_terms.restrictions[{i}]"), r, MAX_TEXT)?;
        }
        Ok(())
    }
}

/// What goes in and what comes out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Modalities {
    #[serde(default)]
    pub input: Vec<Modality>,
    #[serde(default)]
    pub output: Vec<Modality>,
}

impl Modalities {
    pub(super) fn validate(&self) -> Result<(), MetadataError> {
        for (field, list) in [("modalities.input", &self.input), ("modalities.output", &self.output)] {
            let mut sorted = list.clone();
            sorted.sort();
            sorted.dedup();
            if sorted.len() != list.len() {
                return Err(fail(field, "lists a modality twice"));
            }
        }
        Ok(())
    }
}

/// The model this one derives from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseModel {
    /// Registry name of the base (`namespace/name`).
    pub model: ModelName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// The base's licence as this card states it: counts for a base that is not in the
    /// registry (one that is counts with its own published licence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<LicenseExpr>,
}

/// One latency measurement, on stated hardware.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// Where it was measured, e.g. "1x NVIDIA A100 80GB" or "Apple M2, 8 cores".
    pub hardware: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<NonZeroU64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile latency, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_tokens_per_s: Option<f64>,
}

fn check_positive(field: &str, v: f64) -> Result<(), MetadataError> {
    if v.is_finite() && v > 0.0 { Ok(()) } else { Err(fail(field, "must be a positive number")) }
}

impl Latency {
    pub(super) fn validate(&self, at: &str) -> Result<(), MetadataError> {
        check_short(&format!("{at}.hardware"), &self.hardware)?;
        check_positive(&format!("{at}.p50_ms"), self.p50_ms)?;
        if let Some(p95) = self.p95_ms {
            check_positive(&format!("{at}.p95_ms"), p95)?;
            if p95 < self.p50_ms {
                return Err(fail(format!("{at}.p95_ms"), "is below p50_ms"));
            }
        }
        if let Some(t) = self.throughput_tokens_per_s {
            check_positive(&format!("{at}.throughput_tokens_per_s"), t)?;
        }
        Ok(())
    }
}

/// What it takes to run the model.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HardwareNeeds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_memory_bytes: Option<NonZeroU64>,
    /// Recommended hardware, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended: Option<String>,
}

impl HardwareNeeds {
    pub(super) fn validate(&self) -> Result<(), MetadataError> {
        if let Some(r) = &self.recommended {
            check_text("hardware.recommended", r, MAX_TEXT)?;
        }
        Ok(())
    }
}

/// Responsible-use notes (Markdown).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Risks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intended_use: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limitations: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biases: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub misuse: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_evaluations: Option<String>,
}

impl Risks {
    pub(super) fn validate(&self) -> Result<(), MetadataError> {
        for (field, value) in self.fields() {
            if let Some(v) = value {
                check_text(&format!("risks.{field}"), v, MAX_TEXT)?;
            }
        }
        Ok(())
    }

    /// Each note with its field name.
    pub fn fields(&self) -> [(&'static str, &Option<String>); 6] {
        [
            ("intended_use", &self.intended_use),
            ("out_of_scope", &self.out_of_scope),
            ("limitations", &self.limitations),
            ("biases", &self.biases),
            ("misuse", &self.misuse),
            ("safety_evaluations", &self.safety_evaluations),
        ]
    }

    /// Whether any note is written.
    pub fn any(&self) -> bool {
        self.fields().iter().any(|(_, v)| v.as_deref().is_some_and(|s| !s.trim().is_empty()))
    }
}

/// One evaluation result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
    pub dataset: String,
    pub metric: String,
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageTag>,
}

impl Evaluation {
    pub(super) fn validate(&self, at: &str) -> Result<(), MetadataError> {
        check_short(&format!("{at}.dataset"), &self.dataset)?;
        check_short(&format!("{at}.metric"), &self.metric)?;
        if !self.value.is_finite() {
            return Err(fail(format!("{at}.value"), "must be a finite number"));
        }
        Ok(())
    }
}
