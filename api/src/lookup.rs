//! The lookup (`GET /v1/models`): its query, parsed from and written to query-string pairs
//! in one place so that server and CLI agree, and its result rows.

mod eval;
mod limits;
mod memory;
mod rows;
#[cfg(test)]
mod tests;

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{CommercialUse, Format, LanguageTag, LicenseClass, Modality, ModelName, Precision, Task};

pub use eval::{
    Direction, EvalFilter, EvalKey, EvalOp, MAX_EVAL_FILTERS, MAX_EVAL_LANGUAGES, metric_direction,
    normalize_eval_name,
};
pub use limits::{MAX_QUERY_PARAMS, MAX_VALUES_PER_PARAM};
pub use memory::{MEMORY_PARAMS, MemoryFilter};
pub use rows::{Derivative, DerivativeList, LookupPage, LookupRow};

/// Default and largest page size.
/// Every parameter the lookup accepts. The parser refuses any other key before it looks at
/// the value, so a parameter handled below but missing here cannot be used at all (and its
/// tests fail): clients that build forms or documents from this list see every one.
pub const LOOKUP_KEYS: &[&str] = &[
    "q",
    "namespace",
    "license",
    "license_class",
    "commercial_use",
    "modality",
    "input_modality",
    "output_modality",
    "task",
    "language",
    "any_language",
    "min_context",
    "max_context",
    "min_params",
    "max_params",
    "max_size_bytes",
    "format",
    "framework",
    "precision",
    "quantization",
    "base_model",
    "fine_tunable",
    "max_latency_ms",
    "hardware",
    "has_risk_notes",
    "effective_license_class",
    "effective_commercial_use",
    "license_conflicts",
    "tag",
    "label",
    "fits_memory",
    "at_context",
    "batch",
    "kv_precision",
    "eval",
    "eval_language",
    "sort",
    "order",
    "limit",
    "cursor",
    "versions",
    "include_yanked",
];

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    Name,
    Created,
    Updated,
    Parameters,
    Size,
    ContextLength,
    Latency,
    /// `eval:<dataset>:<metric>` on the wire; the dataset and metric are
    /// [`LookupQuery::eval_sort`]. Not a value of its own, so not in the schema (the lookup's
    /// `sort` parameter documents the form).
    #[schemars(skip)]
    Eval,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

/// Which versions a lookup returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionsMode {
    /// One row per model: its highest non-pre-release version matching every filter.
    #[default]
    Best,
    /// Every matching version.
    All,
}

/// Filters, sorting and paging of a lookup. Across parameters filters combine with AND; a
/// repeated parameter is OR, except `language` (all required).
#[derive(Debug, Clone, PartialEq)]
pub struct LookupQuery {
    pub q: Option<String>,
    pub namespace: Vec<String>,
    pub license: Vec<String>,
    pub license_class: Vec<LicenseClass>,
    pub commercial_use: Option<bool>,
    pub modality: Vec<Modality>,
    pub input_modality: Vec<Modality>,
    pub output_modality: Vec<Modality>,
    pub task: Vec<Task>,
    pub language: Vec<LanguageTag>,
    pub any_language: Vec<LanguageTag>,
    pub min_context: Option<u64>,
    pub max_context: Option<u64>,
    pub min_params: Option<u64>,
    pub max_params: Option<u64>,
    pub max_size_bytes: Option<u64>,
    pub format: Vec<Format>,
    pub framework: Vec<String>,
    pub precision: Vec<Precision>,
    pub quantization: Vec<String>,
    pub base_model: Option<ModelName>,
    pub fine_tunable: Option<bool>,
    pub max_latency_ms: Option<f64>,
    pub hardware: Option<String>,
    pub has_risk_notes: Option<bool>,
    // Effective licence through lineage (issue 14 part 2).
    /// Effective licence class along the base chain; repeated = any of them.
    pub effective_license_class: Vec<LicenseClass>,
    /// Effective commercial-use answer along the base chain; repeated = any of them.
    pub effective_commercial_use: Vec<CommercialUse>,
    /// Whether the version declares a more permissive licence than a base allows.
    pub license_conflicts: Option<bool>,
    pub tag: Vec<String>,
    pub label: Vec<(String, String)>,
    /// `fits_memory`, `at_context`, `batch`, `kv_precision`.
    pub memory: MemoryFilter,
    // Evaluations (issue 14): filters (all required), their language, and the sort's key.
    pub eval: Vec<EvalFilter>,
    /// BCP-47 tags (any) the `eval` filters and sort read evaluations in; `sw` also matches
    /// `sw-KE`.
    pub eval_language: Vec<LanguageTag>,
    /// The dataset and metric of `sort=eval:<dataset>:<metric>` (then `sort` is
    /// [`SortKey::Eval`]).
    pub eval_sort: Option<EvalKey>,
    pub sort: SortKey,
    pub order: Order,
    pub limit: u32,
    pub cursor: Option<String>,
    pub versions: VersionsMode,
    /// Include yanked versions (they are skipped by default).
    pub include_yanked: bool,
    /// Namespaces the caller may see; empty = all. Set by the registry from the caller's
    /// token, never read from the query string.
    pub visible_namespaces: Vec<crate::NamespacePattern>,
    /// Words of `q` (lower-cased) too common for the database's text index to narrow the
    /// search: still tested on every row, only not looked up in the index. Set by the store
    /// from its statistics, never read from the query string.
    pub unindexed_words: Vec<String>,
}

impl Default for LookupQuery {
    fn default() -> Self {
        Self {
            q: None,
            namespace: Vec::new(),
            license: Vec::new(),
            license_class: Vec::new(),
            commercial_use: None,
            modality: Vec::new(),
            input_modality: Vec::new(),
            output_modality: Vec::new(),
            task: Vec::new(),
            language: Vec::new(),
            any_language: Vec::new(),
            min_context: None,
            max_context: None,
            min_params: None,
            max_params: None,
            max_size_bytes: None,
            format: Vec::new(),
            framework: Vec::new(),
            precision: Vec::new(),
            quantization: Vec::new(),
            base_model: None,
            fine_tunable: None,
            max_latency_ms: None,
            hardware: None,
            has_risk_notes: None,
            effective_license_class: Vec::new(),
            effective_commercial_use: Vec::new(),
            license_conflicts: None,
            tag: Vec::new(),
            label: Vec::new(),
            memory: MemoryFilter::default(),
            eval: Vec::new(),
            eval_language: Vec::new(),
            eval_sort: None,
            sort: SortKey::default(),
            order: Order::default(),
            limit: DEFAULT_LIMIT,
            cursor: None,
            versions: VersionsMode::default(),
            include_yanked: false,
            visible_namespaces: Vec::new(),
            unindexed_words: Vec::new(),
        }
    }
}

/// A query parameter that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query parameter '{param}': {reason}")]
pub struct LookupError {
    pub param: String,
    pub reason: String,
}

fn bad(param: &str, reason: impl fmt::Display) -> LookupError {
    LookupError { param: param.to_owned(), reason: reason.to_string() }
}

fn parse<T: std::str::FromStr>(param: &str, value: &str) -> Result<T, LookupError>
where
    T::Err: fmt::Display,
{
    value.trim().parse().map_err(|e| bad(param, e))
}

fn parse_bool(param: &str, value: &str) -> Result<bool, LookupError> {
    match value.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(bad(param, format!("expected true or false, got '{other}'"))),
    }
}

fn once<T>(slot: &mut Option<T>, param: &str, value: T) -> Result<(), LookupError> {
    if slot.replace(value).is_some() {
        return Err(bad(param, "may be given only once"));
    }
    Ok(())
}

fn short(param: &str, value: &str) -> Result<String, LookupError> {
    let v = value.trim();
    if v.is_empty() || v.len() > 256 {
        return Err(bad(param, "must be 1-256 characters"));
    }
    // NUL and its kind match nothing stored, and PostgreSQL refuses NUL in text outright.
    if v.chars().any(char::is_control) {
        return Err(bad(param, "must not contain control characters"));
    }
    Ok(v.to_owned())
}

fn enum_value<T: for<'de> Deserialize<'de>>(param: &str, value: &str) -> Result<T, LookupError> {
    serde_json::from_value(serde_json::Value::String(value.trim().to_ascii_lowercase()))
        .map_err(|e| bad(param, e))
}

impl LookupQuery {
    /// Parses decoded query-string pairs. Unknown parameters are refused, naming them, and so
    /// are more than [`MAX_VALUES_PER_PARAM`] values of one key or [`MAX_QUERY_PARAMS`] in all.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, LookupError> {
        let mut q = Self::default();
        let (mut sort, mut order, mut limit, mut versions) = (None, None, None, None);
        let mut budget = limits::ParamBudget::default();
        for (key, value) in pairs {
            if !LOOKUP_KEYS.contains(&key) {
                return Err(bad(key, "unknown parameter"));
            }
            budget.take(key)?;
            match key {
                "q" => once(&mut q.q, key, short(key, value)?)?,
                "namespace" => q.namespace.push(short(key, value)?.to_ascii_lowercase()),
                "license" => q.license.push(limits::license_filter_id(key, &short(key, value)?)?),
                "license_class" => q.license_class.push(parse(key, value)?),
                "commercial_use" => once(&mut q.commercial_use, key, parse_bool(key, value)?)?,
                "modality" => q.modality.push(parse(key, value)?),
                "input_modality" => q.input_modality.push(parse(key, value)?),
                "output_modality" => q.output_modality.push(parse(key, value)?),
                "task" => q.task.push(parse(key, value)?),
                "language" => q.language.push(parse(key, value)?),
                "any_language" => q.any_language.push(parse(key, value)?),
                "min_context" => once(&mut q.min_context, key, parse(key, value)?)?,
                "max_context" => once(&mut q.max_context, key, parse(key, value)?)?,
                "min_params" => once(&mut q.min_params, key, parse(key, value)?)?,
                "max_params" => once(&mut q.max_params, key, parse(key, value)?)?,
                "max_size_bytes" => once(&mut q.max_size_bytes, key, parse(key, value)?)?,
                "format" => q.format.push(parse(key, value)?),
                "framework" => q.framework.push(short(key, value)?.to_ascii_lowercase()),
                "precision" => q.precision.push(parse(key, value)?),
                "quantization" => q.quantization.push(short(key, value)?.to_ascii_lowercase()),
                "base_model" => once(&mut q.base_model, key, parse(key, value)?)?,
                "fine_tunable" => once(&mut q.fine_tunable, key, parse_bool(key, value)?)?,
                "max_latency_ms" => {
                    let ms: f64 = parse(key, value)?;
                    if !(ms.is_finite() && ms > 0.0) {
                        return Err(bad(key, "must be a positive number"));
                    }
                    once(&mut q.max_latency_ms, key, ms)?;
                }
                "hardware" => once(&mut q.hardware, key, short(key, value)?)?,
                "has_risk_notes" => once(&mut q.has_risk_notes, key, parse_bool(key, value)?)?,
                // Effective licence through lineage (issue 14 part 2).
                "effective_license_class" => q.effective_license_class.push(parse(key, value)?),
                "effective_commercial_use" => q.effective_commercial_use.push(parse(key, value)?),
                "license_conflicts" => once(&mut q.license_conflicts, key, parse_bool(key, value)?)?,
                "tag" => q.tag.push(short(key, value)?.to_lowercase()),
                "label" => {
                    let (k, v) = value.split_once(':').ok_or_else(|| bad(key, "expected key:value"))?;
                    let v = v.trim();
                    if v.len() > 256 || v.chars().any(char::is_control) {
                        return Err(bad(
                            key,
                            "a label value must be at most 256 characters, without control characters",
                        ));
                    }
                    q.label.push((short(key, k)?, v.to_owned()));
                }
                _ if MEMORY_PARAMS.contains(&key) => q.memory.parse(key, value)?,
                "eval" => {
                    if q.eval.len() == MAX_EVAL_FILTERS {
                        return Err(bad(key, format!("may be given at most {MAX_EVAL_FILTERS} times")));
                    }
                    q.eval.push(EvalFilter::parse(key, value)?);
                }
                "eval_language" => {
                    if q.eval_language.len() == MAX_EVAL_LANGUAGES {
                        return Err(bad(key, format!("may be given at most {MAX_EVAL_LANGUAGES} times")));
                    }
                    q.eval_language.push(parse(key, value)?);
                }
                "sort" => match eval::parse_sort(key, value) {
                    Some(eval_key) => {
                        once(&mut sort, key, SortKey::Eval)?;
                        q.eval_sort = Some(eval_key?);
                    }
                    None => match enum_value::<SortKey>(key, value)? {
                        SortKey::Eval => return Err(bad(key, "expected eval:<dataset>:<metric>")),
                        other => once(&mut sort, key, other)?,
                    },
                },
                "order" => once(&mut order, key, enum_value::<Order>(key, value)?)?,
                "limit" => {
                    let n: u32 = parse(key, value)?;
                    if !(1..=MAX_LIMIT).contains(&n) {
                        return Err(bad(key, format!("must be between 1 and {MAX_LIMIT}")));
                    }
                    once(&mut limit, key, n)?;
                }
                "cursor" => once(&mut q.cursor, key, short(key, value)?)?,
                "versions" => once(&mut versions, key, enum_value::<VersionsMode>(key, value)?)?,
                "include_yanked" => q.include_yanked = parse_bool(key, value)?,
                other => return Err(bad(other, "unknown parameter")),
            }
        }
        if let (Some(lo), Some(hi)) = (q.min_context, q.max_context)
            && lo > hi
        {
            return Err(bad("min_context", "is greater than max_context"));
        }
        if let (Some(lo), Some(hi)) = (q.min_params, q.max_params)
            && lo > hi
        {
            return Err(bad("min_params", "is greater than max_params"));
        }
        if q.hardware.is_some() && q.max_latency_ms.is_none() {
            return Err(bad("hardware", "needs max_latency_ms"));
        }
        q.memory.check()?;
        if !q.eval_language.is_empty() && q.eval.is_empty() && q.eval_sort.is_none() {
            return Err(bad("eval_language", "needs eval or sort=eval:<dataset>:<metric>"));
        }
        q.sort = sort.unwrap_or_default();
        q.order = order.unwrap_or_else(|| q.default_order());
        q.limit = limit.unwrap_or(DEFAULT_LIMIT);
        q.versions = versions.unwrap_or_default();
        Ok(q)
    }

    /// The order when none is given: an evaluation sorts best first by its metric's
    /// direction, every other key ascending.
    pub fn default_order(&self) -> Order {
        match &self.eval_sort {
            Some(k) if self.sort == SortKey::Eval => match k.direction() {
                Direction::HigherIsBetter => Order::Desc,
                Direction::LowerIsBetter => Order::Asc,
            },
            _ => Order::default(),
        }
    }

    /// The query as query-string pairs (not yet percent-encoded); defaults are left out.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        let mut push = |k: &'static str, v: String| out.push((k, v));
        let opt = |v: Option<u64>| v.map(|n| n.to_string());
        if let Some(v) = &self.q {
            push("q", v.clone());
        }
        self.namespace.iter().for_each(|v| push("namespace", v.clone()));
        self.license.iter().for_each(|v| push("license", v.clone()));
        self.license_class.iter().for_each(|v| push("license_class", v.as_str().to_owned()));
        if let Some(v) = self.commercial_use {
            push("commercial_use", v.to_string());
        }
        self.modality.iter().for_each(|v| push("modality", v.to_string()));
        self.input_modality.iter().for_each(|v| push("input_modality", v.to_string()));
        self.output_modality.iter().for_each(|v| push("output_modality", v.to_string()));
        self.task.iter().for_each(|v| push("task", v.to_string()));
        self.language.iter().for_each(|v| push("language", v.to_string()));
        self.any_language.iter().for_each(|v| push("any_language", v.to_string()));
        for (k, v) in [
            ("min_context", opt(self.min_context)),
            ("max_context", opt(self.max_context)),
            ("min_params", opt(self.min_params)),
            ("max_params", opt(self.max_params)),
            ("max_size_bytes", opt(self.max_size_bytes)),
        ] {
            if let Some(v) = v {
                push(k, v);
            }
        }
        self.format.iter().for_each(|v| push("format", v.to_string()));
        self.framework.iter().for_each(|v| push("framework", v.clone()));
        self.precision.iter().for_each(|v| push("precision", v.to_string()));
        self.quantization.iter().for_each(|v| push("quantization", v.clone()));
        if let Some(v) = &self.base_model {
            push("base_model", v.to_string());
        }
        if let Some(v) = self.fine_tunable {
            push("fine_tunable", v.to_string());
        }
        if let Some(v) = self.max_latency_ms {
            push("max_latency_ms", v.to_string());
        }
        if let Some(v) = &self.hardware {
            push("hardware", v.clone());
        }
        if let Some(v) = self.has_risk_notes {
            push("has_risk_notes", v.to_string());
        }
        // Effective licence through lineage (issue 14 part 2).
        self.effective_license_class
            .iter()
            .for_each(|v| push("effective_license_class", v.as_str().to_owned()));
        self.effective_commercial_use
            .iter()
            .for_each(|v| push("effective_commercial_use", v.as_str().to_owned()));
        if let Some(v) = self.license_conflicts {
            push("license_conflicts", v.to_string());
        }
        self.tag.iter().for_each(|v| push("tag", v.clone()));
        self.label.iter().for_each(|(k, v)| push("label", format!("{k}:{v}")));
        self.memory.pairs().into_iter().for_each(|(k, v)| push(k, v));
        self.eval.iter().for_each(|f| push("eval", f.to_string()));
        self.eval_language.iter().for_each(|v| push("eval_language", v.to_string()));
        match &self.eval_sort {
            Some(k) if self.sort == SortKey::Eval => push("sort", format!("eval:{k}")),
            _ if self.sort != SortKey::default() => push("sort", enum_text(&self.sort)),
            _ => {}
        }
        if self.order != self.default_order() {
            push("order", enum_text(&self.order));
        }
        if self.limit != DEFAULT_LIMIT {
            push("limit", self.limit.to_string());
        }
        if let Some(v) = &self.cursor {
            push("cursor", v.clone());
        }
        if self.versions != VersionsMode::default() {
            push("versions", enum_text(&self.versions));
        }
        if self.include_yanked {
            push("include_yanked", "true".to_owned());
        }
        out
    }
}

fn enum_text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
