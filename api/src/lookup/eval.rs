//! Evaluations in the lookup: which way a metric is better ([`metric_direction`]), how
//! dataset and metric names are normalised for matching ([`normalize_eval_name`]), and the
//! `eval=<dataset>:<metric><op><value>` filter and `sort=eval:<dataset>:<metric>` key as
//! parsed values. Parsing only; the store writes the SQL.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{LookupError, bad};

/// Most `eval` filters one lookup may have: each is a subquery of its own, and PostgreSQL's
/// planning time grows steeply with their number (64 cost about half a second).
pub const MAX_EVAL_FILTERS: usize = 8;
/// Most `eval_language` values one lookup may have (each is written into every `eval` filter).
pub const MAX_EVAL_LANGUAGES: usize = 16;

/// Which way a metric's values improve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Larger is better (accuracy, F1, BLEU, ...): the default for an unknown metric.
    HigherIsBetter,
    /// Smaller is better (error rates, perplexity, loss, latency, ...).
    LowerIsBetter,
}

/// Words that make a metric lower-is-better when the metric's name is one of them or
/// contains one as a word (`eval_loss`, `test-wer`, `mean_absolute_error`).
const LOWER_IS_BETTER: &[&str] = &[
    "wer",
    "cer",
    "ter",
    "perplexity",
    "ppl",
    "loss",
    "latency",
    "error",
    "mse",
    "rmse",
    "mae",
    "mape",
    "eer",
    "fid",
    "bpb",
    "bpc",
    "bits_per_byte",
    "bits_per_character",
    "word_error_rate",
    "character_error_rate",
];

/// Which way `metric` improves: lower for the names in [`LOWER_IS_BETTER`] (compared after
/// [`normalize_eval_name`], whole name or one of its words split at anything not a letter or
/// digit), higher for every other name.
pub fn metric_direction(metric: &str) -> Direction {
    let name = normalize_eval_name(metric);
    let lower = LOWER_IS_BETTER.contains(&name.as_str())
        || name.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| LOWER_IS_BETTER.contains(&word));
    if lower { Direction::LowerIsBetter } else { Direction::HigherIsBetter }
}

/// How dataset and metric names are stored and compared: without surrounding spaces, ASCII
/// letters lower-cased (`Common_Voice` and `common_voice` are one dataset). Only ASCII is
/// folded, so that both databases (and migration 0012's backfill) fold alike.
pub fn normalize_eval_name(name: &str) -> String {
    name.trim_matches(' ').to_ascii_lowercase()
}

/// A dataset and metric, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EvalKey {
    pub dataset: String,
    pub metric: String,
}

impl EvalKey {
    /// Which way this key's metric improves.
    pub fn direction(&self) -> Direction {
        metric_direction(&self.metric)
    }

    /// Parses `<dataset>:<metric>`; the metric is after the last `:`, so a dataset name may
    /// contain colons.
    fn parse(param: &str, text: &str) -> Result<Self, LookupError> {
        let (dataset, metric) = text
            .rsplit_once(':')
            .ok_or_else(|| bad(param, format!("expected <dataset>:<metric>, got '{}'", text.trim())))?;
        Self::from_parts(param, dataset, metric)
    }

    /// A dataset and metric given apart (a choice's preference), normalised and checked as
    /// in the lookup; errors name `param`.
    pub fn from_parts(param: &str, dataset: &str, metric: &str) -> Result<Self, LookupError> {
        let name = |what: &str, raw: &str| {
            let v = normalize_eval_name(raw);
            if v.is_empty() || v.len() > 256 || v.chars().any(char::is_control) {
                return Err(bad(
                    param,
                    format!("the {what} name must be 1-256 characters without control characters"),
                ));
            }
            Ok(v)
        };
        Ok(Self { dataset: name("dataset", dataset)?, metric: name("metric", metric)? })
    }
}

impl fmt::Display for EvalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.dataset, self.metric)
    }
}

/// The comparison of an `eval` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalOp {
    /// `>=`
    AtLeast,
    /// `<=`
    AtMost,
}

impl EvalOp {
    pub fn as_sql(self) -> &'static str {
        match self {
            Self::AtLeast => ">=",
            Self::AtMost => "<=",
        }
    }
}

/// `eval=<dataset>:<metric>>=<value>` or `...<=<value>`: some evaluation of the version on
/// that dataset and metric (in an `eval_language`, when given) has a value within the bound.
/// The bound is taken as written, whichever way the metric improves.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalFilter {
    pub key: EvalKey,
    pub op: EvalOp,
    pub value: f64,
}

impl EvalFilter {
    /// Parses the value of an `eval` parameter (already percent-decoded).
    pub fn parse(param: &str, text: &str) -> Result<Self, LookupError> {
        let at = |op: &'static str| text.rfind(op).map(|i| (i, op));
        let (i, op) = match (at(">="), at("<=")) {
            (Some(a), Some(b)) => {
                if a.0 > b.0 {
                    a
                } else {
                    b
                }
            }
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => {
                return Err(bad(
                    param,
                    format!(
                        "expected <dataset>:<metric>>=<value> or <dataset>:<metric><=<value>, got '{}'",
                        text.trim()
                    ),
                ));
            }
        };
        let key = EvalKey::parse(param, &text[..i])?;
        let raw = text[i + op.len()..].trim();
        let value: f64 = raw.parse().map_err(|_| bad(param, format!("'{raw}' is not a number")))?;
        if !value.is_finite() {
            return Err(bad(param, "the bound must be a finite number"));
        }
        let op = if op == ">=" { EvalOp::AtLeast } else { EvalOp::AtMost };
        Ok(Self { key, op, value })
    }
}

impl fmt::Display for EvalFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{}", self.key, self.op.as_sql(), self.value)
    }
}

/// The value of `sort=eval:<dataset>:<metric>`, if `text` is one; an error for a value that
/// starts with `eval:` but names no dataset and metric.
pub(super) fn parse_sort(param: &str, text: &str) -> Option<Result<EvalKey, LookupError>> {
    let text = text.trim();
    let prefix = text.get(..5).filter(|p| p.eq_ignore_ascii_case("eval:"))?;
    Some(EvalKey::parse(param, &text[prefix.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_rates_and_losses_are_lower_is_better_and_the_rest_higher() {
        for m in [
            "wer",
            "WER",
            "cer",
            "perplexity",
            "loss",
            "eval_loss",
            "latency_ms",
            "test-wer",
            "mean_absolute_error",
        ] {
            assert_eq!(metric_direction(m), Direction::LowerIsBetter, "{m}");
        }
        for m in ["accuracy", "f1", "bleu", "exact_match", "power", "rouge-l", "tokens_per_second"] {
            assert_eq!(metric_direction(m), Direction::HigherIsBetter, "{m}");
        }
    }

    #[test]
    fn a_filter_parses_with_colons_in_the_dataset_and_spaces_around_parts() {
        let f = EvalFilter::parse("eval", " Mozilla:Common_Voice : WER <= 20 ").unwrap();
        assert_eq!(f.key, EvalKey { dataset: "mozilla:common_voice".into(), metric: "wer".into() });
        assert_eq!((f.op, f.value), (EvalOp::AtMost, 20.0));
        let f = EvalFilter::parse("eval", "mmlu:accuracy>=0.5").unwrap();
        assert_eq!((f.op, f.value), (EvalOp::AtLeast, 0.5));
        assert_eq!(f.to_string(), "mmlu:accuracy>=0.5");
    }

    #[test]
    fn malformed_filters_are_refused_naming_the_parameter() {
        for bad in [
            "common_voice:wer<20",
            "common_voice:wer=20",
            "common_voice<=20",
            ":wer<=20",
            "common_voice:<=20",
            "common_voice:wer<=",
            "common_voice:wer<=twenty",
            "common_voice:wer<=NaN",
            "common_voice:wer<=inf",
            "",
        ] {
            let err = EvalFilter::parse("eval", bad).unwrap_err();
            assert_eq!(err.param, "eval", "{bad}: {err}");
        }
    }

    #[test]
    fn an_eval_sort_names_a_dataset_and_metric() {
        assert_eq!(
            parse_sort("sort", "eval:Common_Voice:WER").unwrap().unwrap(),
            EvalKey { dataset: "common_voice".into(), metric: "wer".into() }
        );
        assert!(parse_sort("sort", "eval:common_voice").unwrap().is_err());
        assert!(parse_sort("sort", "parameters").is_none());
    }
}
