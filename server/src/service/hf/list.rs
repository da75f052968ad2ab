//! `list_models` as a lookup: the Hub's query parameters (`search`, `author`, `filter`,
//! `pipeline_tag`, `num_parameters`, `sort`, `limit`, `full`, `cardData`, `config`, `expand`)
//! turned into a [`LookupQuery`], so that the Hub sees what `GET /v1/models` would show the
//! same caller, through the same indexes. Parameters and filter values the lookup cannot
//! express are ignored, as the Hub ignores unknown ones; none is refused.

use modelreg_api::LookupQuery;

use super::super::RegistryError;

/// Rows per page when the client gives no `limit`.
pub const HF_DEFAULT_PAGE: u32 = 50;
/// Most rows per page.
pub const HF_MAX_PAGE: u32 = 100;

/// How the Hub asked to sort. Popularity (`downloads`, `likes`, `trendingScore`) is not
/// recorded by the registry and falls back to `lastModified`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HfSort {
    LastModified,
    CreatedAt,
}

/// A `list_models` request.
#[derive(Debug, Clone)]
pub struct HfListQuery {
    pub lookup: LookupQuery,
    /// `full=true`: each row carries its files (`siblings`).
    pub full: bool,
    /// `cardData=true`: each row carries its card data.
    pub card_data: bool,
    /// `config=true`: each row carries its `config`.
    pub config: bool,
    /// `expand=` properties asked for (each row then carries those it has).
    pub expand: Vec<String>,
}

fn truthy(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")
}

/// `1B`, `350M`, `7.5B`, `1200` as a count.
fn count(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, scale) = match text.chars().last()?.to_ascii_uppercase() {
        'K' => (&text[..text.len() - 1], 1e3),
        'M' => (&text[..text.len() - 1], 1e6),
        'B' => (&text[..text.len() - 1], 1e9),
        'T' => (&text[..text.len() - 1], 1e12),
        _ => (text, 1.0),
    };
    let value: f64 = number.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * scale).round() as u64)
}

/// `min:1B,max:8B` (either bound optional) as lookup pairs.
fn num_parameters(value: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for part in value.split(',') {
        match part.split_once(':') {
            Some(("min", n)) => out.extend(count(n).map(|n| ("min_params", n.to_string()))),
            Some(("max", n)) => out.extend(count(n).map(|n| ("max_params", n.to_string()))),
            _ => {}
        }
    }
    out
}

/// Whether the lookup takes `key=value` on its own (a task name that is not one, a tag with
/// spaces, ... are dropped instead of failing the whole listing).
fn accepted(key: &str, value: &str) -> bool {
    LookupQuery::from_pairs([(key, value)]).is_ok()
}

/// The lookup pair one `filter=` value stands for, if any.
fn filter_pair(value: &str) -> Option<(&'static str, String)> {
    let value = value.trim();
    let candidates: Vec<(&'static str, String)> = match value.split_once(':') {
        Some(("license", id)) => vec![("license", id.to_owned())],
        Some(("language", code)) => vec![("language", code.to_owned())],
        Some(("base_model", rest)) => {
            vec![("base_model", rest.rsplit(':').next().unwrap_or(rest).to_owned())]
        }
        // Other `prefix:value` filters (`dataset:`, `region:`, ...) have no lookup here.
        Some(_) => Vec::new(),
        None => vec![("task", value.to_owned()), ("format", value.to_owned()), ("tag", value.to_owned())],
    };
    candidates.into_iter().find(|(k, v)| accepted(k, v))
}

impl HfListQuery {
    /// Reads the Hub's parameters from decoded query pairs.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, RegistryError> {
        let mut lookup: Vec<(&'static str, String)> = Vec::new();
        let (mut full, mut card_data, mut config, mut expand) = (false, false, false, Vec::new());
        let mut sort = HfSort::LastModified;
        let mut limit = HF_DEFAULT_PAGE;
        let mut cursor = None;
        for (key, value) in pairs {
            match key {
                "search" if !value.trim().is_empty() => lookup.push(("q", value.to_owned())),
                "author" if !value.trim().is_empty() => lookup.push(("namespace", value.to_owned())),
                "filter" => lookup.extend(filter_pair(value)),
                "pipeline_tag" => lookup.push(("task", value.to_owned())),
                "num_parameters" => lookup.extend(num_parameters(value)),
                "sort" => {
                    sort = if value == "createdAt" || value == "created_at" {
                        HfSort::CreatedAt
                    } else {
                        HfSort::LastModified
                    }
                }
                "limit" => {
                    limit = value.trim().parse::<u32>().unwrap_or(HF_DEFAULT_PAGE).clamp(1, HF_MAX_PAGE);
                }
                "cursor" => cursor = Some(value.to_owned()),
                "full" => full = truthy(value),
                "cardData" => card_data = truthy(value),
                "config" => config = truthy(value),
                "expand" | "expand[]" => expand.push(value.to_owned()),
                _ => {}
            }
        }
        lookup.retain(|(k, v)| accepted(k, v));
        lookup.push(("sort", if sort == HfSort::CreatedAt { "created" } else { "updated" }.to_owned()));
        lookup.push(("order", "desc".to_owned()));
        lookup.push(("limit", limit.to_string()));
        if let Some(cursor) = cursor {
            lookup.push(("cursor", cursor));
        }
        let query = LookupQuery::from_pairs(lookup.iter().map(|(k, v)| (*k, v.as_str())))
            .map_err(|e| RegistryError::invalid_query(e.param, e.reason))?;
        Ok(Self { lookup: query, full, card_data, config, expand })
    }
}

#[cfg(test)]
mod tests {
    use modelreg_api::{SortKey, Task};

    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> HfListQuery {
        HfListQuery::from_pairs(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn hub_parameters_become_lookup_filters() {
        let q = parse(&[
            ("search", "bert"),
            ("author", "acme"),
            ("filter", "license:apache-2.0"),
            ("filter", "language:fr"),
            ("filter", "text-classification"),
            ("filter", "multilingual"),
            ("num_parameters", "min:1B,max:8B"),
            ("limit", "7"),
        ]);
        let l = &q.lookup;
        assert_eq!(l.q.as_deref(), Some("bert"));
        assert_eq!(l.namespace, ["acme"]);
        assert_eq!(l.license.len(), 1);
        assert_eq!(l.language.len(), 1);
        assert_eq!(l.task, [Task::TextClassification]);
        assert_eq!(l.tag, ["multilingual"]);
        assert_eq!((l.min_params, l.max_params), (Some(1_000_000_000), Some(8_000_000_000)));
        assert_eq!((l.limit, l.sort), (7, SortKey::Updated));
    }

    #[test]
    fn unknown_parameters_and_filters_are_ignored_and_popularity_sorts_by_last_modified() {
        let q = parse(&[
            ("filter", "region:us"),
            ("filter", "dataset:squad"),
            ("pipeline_tag", "not-a-task"),
            ("sort", "downloads"),
            ("gated", "false"),
            ("inference", "warm"),
            ("num_parameters", "min:lots"),
            ("full", "True"),
        ]);
        assert!(q.lookup.tag.is_empty() && q.lookup.task.is_empty() && q.lookup.min_params.is_none());
        assert_eq!(q.lookup.sort, SortKey::Updated);
        assert!(q.full);
        assert_eq!(parse(&[("sort", "createdAt")]).lookup.sort, SortKey::Created);
        assert_eq!(parse(&[("limit", "100000")]).lookup.limit, HF_MAX_PAGE);
    }
}
