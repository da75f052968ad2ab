//! What a choice's preference measures ([`Criterion`]): its wire form, its text form
//! (`parameters`, `latency@a100`, `memory@8192x4`, `eval:librispeech:wer`), its natural
//! direction and unit, and its validation. Parsing only; the values are the server's.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    Direction, EvalKey, LookupError, MAX_BATCH, MAX_CONTEXT_TOKENS, kv_precision_bits, metric_direction,
};

/// What a criterion measures; each is one arm, with its text form (`parameters`,
/// `latency@a100`) and how the server reads its value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "criterion", rename_all = "snake_case")]
pub enum Criterion {
    /// Parameter count.
    Parameters,
    /// Total size of the files, bytes.
    Size,
    /// Memory needed to run the version, bytes: weights + KV cache + overhead, the estimate
    /// of the lookup's `fits_memory` (`memory_need`).
    Memory {
        /// Tokens per sequence: caps the version's context length (default: its context
        /// length; this alone when the version states none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_context: Option<u64>,
        /// Sequences held at once (default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch: Option<u64>,
        /// KV-cache precision (`fp16`, `fp8`, `int8`, `q4_0`, ...; default: as stored).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kv_precision: Option<String>,
    },
    /// Context length, tokens.
    ContextLength,
    /// The lowest stated p50 latency on `hardware` (case-insensitive), ms.
    Latency { hardware: String },
    /// The version's best value on an evaluation (by the metric's direction), in the
    /// constraints' `eval_language` when given. Names are compared as the lookup compares
    /// them (trimmed, ASCII lower-case).
    Eval { dataset: String, metric: String },
    /// Age of the version at the time of the request, days.
    Recency,
}

/// Whether lower or higher values of a criterion are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PreferenceDirection {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

impl Criterion {
    /// The direction taken when a preference names none: fewer parameters, smaller size,
    /// less memory, longer context, lower latency, the metric's better way, younger.
    pub fn natural_direction(&self) -> PreferenceDirection {
        match self {
            Self::Parameters | Self::Size | Self::Memory { .. } | Self::Latency { .. } | Self::Recency => {
                PreferenceDirection::Min
            }
            Self::ContextLength => PreferenceDirection::Max,
            Self::Eval { metric, .. } => match metric_direction(metric) {
                Direction::HigherIsBetter => PreferenceDirection::Max,
                Direction::LowerIsBetter => PreferenceDirection::Min,
            },
        }
    }

    /// The unit of its values, for people.
    pub fn unit(&self) -> &'static str {
        match self {
            Self::Parameters => "parameters",
            Self::Size | Self::Memory { .. } => "bytes",
            Self::ContextLength => "tokens",
            Self::Latency { .. } => "ms",
            Self::Eval { .. } => "metric",
            Self::Recency => "days",
        }
    }

    /// The criterion checked and normalised (hardware and KV precision lower-case,
    /// evaluation names as the lookup stores them); errors name `param`.
    pub(crate) fn validated(&self, param: &str) -> Result<Self, LookupError> {
        let bad = |reason: String| LookupError { param: param.to_owned(), reason };
        Ok(match self {
            Self::Latency { hardware: hw } => Self::Latency { hardware: hardware(hw).map_err(bad)? },
            Self::Memory { at_context, batch, kv_precision } => {
                if at_context.is_some_and(|n| !(1..=MAX_CONTEXT_TOKENS).contains(&n)) {
                    return Err(bad(format!("at_context must be between 1 and {MAX_CONTEXT_TOKENS}")));
                }
                if batch.is_some_and(|n| !(1..=MAX_BATCH).contains(&n)) {
                    return Err(bad(format!("batch must be between 1 and {MAX_BATCH}")));
                }
                let kv_precision = kv_precision.as_deref().map(kv_name).transpose().map_err(bad)?;
                Self::Memory { at_context: *at_context, batch: *batch, kv_precision }
            }
            Self::Eval { dataset, metric } => {
                let key = EvalKey::from_parts(param, dataset, metric)?;
                Self::Eval { dataset: key.dataset, metric: key.metric }
            }
            other => other.clone(),
        })
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parameters => f.write_str("parameters"),
            Self::Size => f.write_str("size"),
            Self::Memory { at_context, batch, kv_precision } => {
                f.write_str("memory")?;
                if at_context.is_some() || batch.is_some() || kv_precision.is_some() {
                    f.write_str("@")?;
                }
                if let Some(n) = at_context {
                    write!(f, "{n}")?;
                }
                if let Some(n) = batch {
                    write!(f, "x{n}")?;
                }
                if let Some(kv) = kv_precision {
                    write!(f, "/{kv}")?;
                }
                Ok(())
            }
            Self::ContextLength => f.write_str("context_length"),
            Self::Latency { hardware } => write!(f, "latency@{hardware}"),
            Self::Eval { dataset, metric } => write!(f, "eval:{dataset}:{metric}"),
            Self::Recency => f.write_str("recency"),
        }
    }
}

/// The text form, as written by `Display`: `memory@[TOKENS][xBATCH][/KV_PRECISION]` and
/// `eval:DATASET:METRIC` (the metric after the last `:`).
impl FromStr for Criterion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(hw) = s.strip_prefix("latency@") {
            return Ok(Self::Latency { hardware: hardware(hw)? });
        }
        if let Some(spec) = s.strip_prefix("memory@") {
            return memory(spec);
        }
        if let Some(key) = s.strip_prefix("eval:") {
            let (dataset, metric) =
                key.rsplit_once(':').ok_or("an evaluation is eval:<dataset>:<metric>".to_owned())?;
            return Self::Eval { dataset: dataset.into(), metric: metric.into() }
                .validated("criterion")
                .map_err(|e| e.reason);
        }
        match s {
            "parameters" => Ok(Self::Parameters),
            "size" => Ok(Self::Size),
            "memory" => Ok(Self::Memory { at_context: None, batch: None, kv_precision: None }),
            "context_length" => Ok(Self::ContextLength),
            "recency" => Ok(Self::Recency),
            "latency" => Err("latency needs a hardware: latency@<hardware>".into()),
            "eval" => Err("an evaluation is eval:<dataset>:<metric>".into()),
            other => Err(format!(
                "unknown criterion '{other}' (expected parameters, size, memory[@<tokens>][x<batch>][/<kv_precision>], \
                 context_length, latency@<hardware>, eval:<dataset>:<metric> or recency)"
            )),
        }
    }
}

/// `[TOKENS][xBATCH][/KV_PRECISION]`, after `memory@`.
fn memory(spec: &str) -> Result<Criterion, String> {
    let (rest, kv_precision) = match spec.split_once('/') {
        Some((rest, kv)) => (rest, Some(kv.to_owned())),
        None => (spec, None),
    };
    let (tokens, batch) = match rest.split_once('x') {
        Some((tokens, batch)) => (tokens, Some(batch)),
        None => (rest, None),
    };
    let number = |what: &str, raw: &str| {
        raw.trim().parse::<u64>().map_err(|_| format!("memory@: {what} '{raw}' is not a whole number"))
    };
    let at_context =
        Some(tokens).filter(|t| !t.trim().is_empty()).map(|t| number("tokens", t)).transpose()?;
    let batch = batch.map(|b| number("batch", b)).transpose()?;
    if at_context.is_none() && batch.is_none() && kv_precision.is_none() {
        return Err("memory@ needs <tokens>, x<batch> or /<kv_precision>".into());
    }
    Criterion::Memory { at_context, batch, kv_precision }.validated("criterion").map_err(|e| e.reason)
}

fn kv_name(raw: &str) -> Result<String, String> {
    let name = raw.trim().to_ascii_lowercase();
    match kv_precision_bits(&name) {
        Some(_) => Ok(name),
        None => Err("kv_precision must be one of fp32, fp16, bf16, fp8, int8, q8_0, int4, q4_0".into()),
    }
}

fn hardware(raw: &str) -> Result<String, String> {
    let hw = raw.trim().to_lowercase();
    if hw.is_empty() || hw.len() > 256 || hw.chars().any(char::is_control) {
        return Err("the hardware must be 1-256 characters without control characters".into());
    }
    Ok(hw)
}

impl FromStr for PreferenceDirection {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "min" => Ok(Self::Min),
            "max" => Ok(Self::Max),
            other => Err(format!("direction must be min or max, got '{other}'")),
        }
    }
}

impl fmt::Display for PreferenceDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Min => "min",
            Self::Max => "max",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_and_evaluation_criteria_round_trip_their_text_form() {
        for text in ["memory", "memory@8192", "memory@8192x4", "memory@x4/fp8", "eval:common_voice_17:wer"] {
            assert_eq!(text.parse::<Criterion>().unwrap().to_string(), text);
        }
        assert_eq!(
            "memory@32768x2/FP8".parse::<Criterion>().unwrap(),
            Criterion::Memory { at_context: Some(32768), batch: Some(2), kv_precision: Some("fp8".into()) }
        );
        // A dataset may contain colons; the metric is after the last.
        assert_eq!(
            " eval:HF:MMLU:Accuracy ".parse::<Criterion>().unwrap(),
            Criterion::Eval { dataset: "hf:mmlu".into(), metric: "accuracy".into() }
        );
        for bad in ["memory@", "memory@lots", "memory@0", "memory@8192x0", "memory@/fp7", "eval", "eval:wer"]
        {
            assert!(bad.parse::<Criterion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_evaluation_prefers_its_metric_s_better_way_and_memory_less() {
        let eval = |m: &str| Criterion::Eval { dataset: "d".into(), metric: m.into() }.natural_direction();
        assert_eq!((eval("wer"), eval("accuracy")), (PreferenceDirection::Min, PreferenceDirection::Max));
        let memory = Criterion::Memory { at_context: None, batch: None, kv_precision: None };
        assert_eq!((memory.natural_direction(), memory.unit()), (PreferenceDirection::Min, "bytes"));
    }
}
