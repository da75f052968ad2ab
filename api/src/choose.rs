//! The choice (`POST /v1/choose`): hard constraints (the lookup's own parameters, parsed by
//! [`LookupQuery::from_pairs`] so that every lookup filter is a constraint), preferences (a
//! criterion, a direction and a weight) and a limit; and the ranked answer with near misses.
//! Parsing and validation only; ranking is the server's.

mod criterion;

use std::collections::BTreeMap;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use self::criterion::{Criterion, PreferenceDirection};
use crate::{LookupError, LookupQuery, ModelName, Version};

/// Default and largest number of ranked candidates returned.
pub const DEFAULT_CHOOSE_LIMIT: u32 = 10;
pub const MAX_CHOOSE_LIMIT: u32 = 100;
/// Most preferences one choice may weigh.
pub const MAX_PREFERENCES: usize = 8;
/// Most versions ranked: the first this many lookup matches in the order of the heaviest
/// preference. More matches set `truncated`.
pub const MAX_CANDIDATES: u32 = 200;
/// Most near misses reported (each constraint contributes its share, in the same order).
pub const MAX_NEAR_MISSES: usize = 20;

/// Lookup parameters that only qualify another filter: they are never dropped on their own
/// when near misses are sought, but together with the filter they qualify.
pub const QUALIFIERS: &[(&str, &str)] = &[
    ("hardware", "max_latency_ms"),
    ("at_context", "fits_memory"),
    ("batch", "fits_memory"),
    ("kv_precision", "fits_memory"),
    ("eval_language", "eval"),
];
/// Lookup parameters that shape a page, not a match: refused as constraints.
pub const NOT_CONSTRAINTS: &[&str] = &["sort", "order", "limit", "cursor", "versions"];

/// One preference: a criterion, which way is better (default: its natural direction) and
/// its weight (default 1; positive, at most 1000).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Preference {
    #[serde(flatten)]
    pub criterion: Criterion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<PreferenceDirection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

impl Preference {
    pub fn direction(&self) -> PreferenceDirection {
        self.direction.unwrap_or_else(|| self.criterion.natural_direction())
    }

    pub fn weight(&self) -> f64 {
        self.weight.unwrap_or(1.0)
    }
}

/// The text form `criterion[:direction[:weight]]`, e.g. `parameters:min:2`, `latency@a100`,
/// `eval:librispeech:wer:min`. The direction and weight are read from the end, so an
/// evaluation's dataset may contain `:` (not a metric named `min` or `max` with the text form).
impl FromStr for Preference {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut rest = s.trim();
        let mut weight = None;
        let mut direction = None;
        if let Some((head, tail)) = rest.rsplit_once(':')
            && let Ok(w) = tail.trim().parse::<f64>()
        {
            weight = Some(w);
            rest = head;
        }
        if let Some((head, tail)) = rest.rsplit_once(':')
            && let Ok(d) = tail.parse::<PreferenceDirection>()
        {
            direction = Some(d);
            rest = head;
        }
        if weight.is_some() && direction.is_none() {
            return Err("expected criterion[:direction[:weight]]".into());
        }
        let criterion: Criterion = rest.parse()?;
        Ok(Self { criterion, direction, weight })
    }
}

/// The body of `POST /v1/choose`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChooseRequest {
    /// Hard constraints: lookup parameters (`GET /v1/models`) and their values; a list for a
    /// repeated parameter. Numbers and booleans may be given as JSON numbers and booleans.
    #[serde(default)]
    pub constraints: BTreeMap<String, serde_json::Value>,
    /// Criteria to rank by, with direction and weight.
    #[serde(default)]
    pub preferences: Vec<Preference>,
    /// How many ranked candidates to return (default 10, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// A choice, validated: the constraints as a lookup query, preferences with defaults filled.
#[derive(Debug, Clone, PartialEq)]
pub struct ChooseQuery {
    pub constraints: LookupQuery,
    pub preferences: Vec<Preference>,
    pub limit: u32,
}

impl ChooseRequest {
    /// Parses and validates; errors name the field (`constraints.<key>`, `preferences[i]`,
    /// `limit`).
    pub fn parse(&self) -> Result<ChooseQuery, LookupError> {
        let bad = |param: String, reason: String| LookupError { param, reason };
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, value) in &self.constraints {
            let field = format!("constraints.{key}");
            if NOT_CONSTRAINTS.contains(&key.as_str()) {
                return Err(bad(field, "shapes a lookup page; it is not a constraint".into()));
            }
            let values = match value {
                serde_json::Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for v in values {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(bad(
                            field,
                            "expected a string, number, boolean or a list of them".into(),
                        ));
                    }
                };
                pairs.push((key.clone(), text));
            }
        }
        let constraints = LookupQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| bad(format!("constraints.{}", e.param), e.reason))?;
        if self.preferences.len() > MAX_PREFERENCES {
            return Err(bad("preferences".into(), format!("at most {MAX_PREFERENCES} preferences")));
        }
        let mut preferences = Vec::with_capacity(self.preferences.len());
        for (i, p) in self.preferences.iter().enumerate() {
            let field = || format!("preferences[{i}]");
            let weight = p.weight();
            if !(weight.is_finite() && weight > 0.0 && weight <= 1000.0) {
                return Err(bad(field(), "weight must be a number above 0 and at most 1000".into()));
            }
            let criterion = p.criterion.validated(&field())?;
            if preferences.iter().any(|q: &Preference| q.criterion == criterion) {
                return Err(bad(field(), format!("criterion {criterion} is given twice")));
            }
            preferences.push(Preference { direction: Some(p.direction()), weight: Some(weight), criterion });
        }
        let limit = self.limit.unwrap_or(DEFAULT_CHOOSE_LIMIT);
        if !(1..=MAX_CHOOSE_LIMIT).contains(&limit) {
            return Err(bad("limit".into(), format!("must be between 1 and {MAX_CHOOSE_LIMIT}")));
        }
        Ok(ChooseQuery { constraints, preferences, limit })
    }
}

impl ChooseQuery {
    /// The normalised request: constraints as the lookup writes them back (one key, its
    /// values as a list when repeated), every preference with its direction and weight, the
    /// limit. Posting it again asks the same question.
    pub fn to_request(&self) -> ChooseRequest {
        let mut constraints: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for (key, value) in self.constraints.to_pairs() {
            if NOT_CONSTRAINTS.contains(&key) {
                continue;
            }
            match constraints.get_mut(key) {
                Some(serde_json::Value::Array(list)) => list.push(value.into()),
                Some(single) => *single = serde_json::Value::Array(vec![single.take(), value.into()]),
                None => {
                    constraints.insert(key.to_owned(), value.into());
                }
            }
        }
        ChooseRequest { constraints, preferences: self.preferences.clone(), limit: Some(self.limit) }
    }
}

/// A criterion's value for one candidate and its normalised score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CriterionScore {
    /// The criterion in text form (`parameters`, `latency@a100`).
    pub criterion: String,
    /// Absent when the version does not state it (it then scores 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    pub unit: String,
    /// 0 (worst of the candidates, or missing) to 1 (best).
    pub score: f64,
    /// Why the value is absent, in words (`no evaluation on librispeech:wer`, `memory cannot
    /// be determined: no KV-cache shape is known`); absent when a value is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// One ranked version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Candidate {
    /// 1 for the best.
    pub rank: u32,
    pub model: ModelName,
    pub version: Version,
    /// API path of the version.
    pub url: String,
    /// The weighted mean of the criterion scores, 0 to 1.
    pub score: f64,
    /// Not dominated by another candidate: none is at least as good on every criterion and
    /// better on one.
    pub pareto: bool,
    pub criteria: Vec<CriterionScore>,
}

/// A version that fails exactly one constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NearMiss {
    pub model: ModelName,
    pub version: Version,
    pub url: String,
    /// The lookup parameter it fails.
    pub constraint: String,
    /// What the constraint asked for, as given.
    pub wanted: Vec<String>,
    /// The version's value, in words (e.g. `license_class is restricted_use`).
    pub reason: String,
}

/// The answer of `POST /v1/choose`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChooseResponse {
    /// The request in normalised form.
    pub query: ChooseRequest,
    /// The best `limit` candidates, best first.
    pub candidates: Vec<Candidate>,
    /// How many versions were ranked.
    pub ranked: u64,
    /// More than `MAX_CANDIDATES` (200) versions matched: only the first 200 in the order of
    /// the heaviest preference were ranked, and no near misses are computed.
    pub truncated: bool,
    pub near_misses: Vec<NearMiss>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(v: serde_json::Value) -> ChooseRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_request_normalises_its_constraints_and_fills_preference_defaults() {
        let r = request(json!({
            "constraints": { "license_class": ["permissive", "copyleft"], "min_context": 8192, "fine_tunable": true },
            "preferences": [{ "criterion": "latency", "hardware": "A100" }, { "criterion": "context_length", "weight": 2 }]
        }));
        let q = r.parse().unwrap();
        assert_eq!(q.constraints.min_context, Some(8192));
        let echoed = serde_json::to_value(q.to_request()).unwrap();
        assert_eq!(
            echoed,
            json!({
                "constraints": { "fine_tunable": "true", "license_class": ["permissive", "copyleft"], "min_context": "8192" },
                "preferences": [
                    { "criterion": "latency", "hardware": "a100", "direction": "min", "weight": 1.0 },
                    { "criterion": "context_length", "direction": "max", "weight": 2.0 }
                ],
                "limit": 10
            })
        );
        // The echo asks the same question.
        assert_eq!(request(echoed).parse().unwrap(), q);
    }

    #[test]
    fn bad_constraints_and_preferences_name_the_field() {
        let err = |v| request(v).parse().unwrap_err().param;
        assert_eq!(err(json!({ "constraints": { "min_context": "lots" } })), "constraints.min_context");
        assert_eq!(err(json!({ "constraints": { "colour": "red" } })), "constraints.colour");
        assert_eq!(err(json!({ "constraints": { "sort": "name" } })), "constraints.sort");
        assert_eq!(err(json!({ "constraints": { "tag": { "a": 1 } } })), "constraints.tag");
        assert_eq!(err(json!({ "preferences": [{ "criterion": "size", "weight": 0 }] })), "preferences[0]");
        assert_eq!(
            err(
                json!({ "preferences": [{ "criterion": "size" }, { "criterion": "size", "direction": "max" }] })
            ),
            "preferences[1]"
        );
        assert_eq!(err(json!({ "limit": 0 })), "limit");
        assert_eq!(err(json!({ "preferences": [{ "criterion": "memory", "batch": 0 }] })), "preferences[0]");
        assert_eq!(
            err(json!({ "preferences": [{ "criterion": "eval", "dataset": " ", "metric": "wer" }] })),
            "preferences[0]"
        );
        assert!(
            serde_json::from_value::<ChooseRequest>(json!({ "preferences": [{ "criterion": "vibes" }] }))
                .is_err()
        );
    }

    #[test]
    fn preferences_parse_from_their_text_form() {
        let p: Preference = "latency@A100:min:2.5".parse().unwrap();
        assert_eq!(p.criterion, Criterion::Latency { hardware: "a100".into() });
        assert_eq!((p.direction, p.weight), (Some(PreferenceDirection::Min), Some(2.5)));
        let p: Preference = "context_length".parse().unwrap();
        assert_eq!((p.direction(), p.weight()), (PreferenceDirection::Max, 1.0));
        assert!("latency".parse::<Preference>().is_err());
        assert!("size:up".parse::<Preference>().is_err());
        assert_eq!(Criterion::Latency { hardware: "cpu".into() }.to_string(), "latency@cpu");
        // Direction and weight are read from the end: an evaluation's names keep their colons.
        let p: Preference = "eval:hf:mmlu:accuracy:min:3".parse().unwrap();
        assert_eq!(p.criterion, Criterion::Eval { dataset: "hf:mmlu".into(), metric: "accuracy".into() });
        assert_eq!((p.direction, p.weight), (Some(PreferenceDirection::Min), Some(3.0)));
        let p: Preference = "eval:librispeech:WER".parse().unwrap();
        assert_eq!(
            (p.direction(), p.criterion.to_string()),
            (PreferenceDirection::Min, "eval:librispeech:wer".into())
        );
        let p: Preference = "memory@8192x4:min".parse().unwrap();
        assert_eq!(p.criterion.to_string(), "memory@8192x4");
        assert!("parameters:2".parse::<Preference>().is_err(), "a weight needs a direction before it");
    }
}
