//! `modelreg search [TEXT]... [FILTERS]`: one flag per lookup filter, turned into a
//! `LookupQuery`; prints the result table, or the `LookupPage` as JSON.

use clap::Args;
use clap::builder::{BoolishValueParser, PossibleValuesParser, TypedValueParser};
use modelreg_api::{
    CommercialUse, EvalFilter, EvalKey, Format, InvalidQueryDetails, LanguageTag, LicenseClass, LookupQuery,
    MAX_LIMIT, MemoryFilter, Modality, ModelName, Order, Precision, SortKey, Task, VersionsMode,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::Output;
use crate::quantity::{parse_count, parse_size};
use crate::search::{fetch, results_table, table_width};

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Free text: every word must appear in the name, description or tags (same as --q).
    #[arg(value_name = "TEXT", conflicts_with = "q")]
    pub text: Vec<String>,
    /// Free text: every word must appear in the name, description or tags.
    #[arg(long = "q", value_name = "TEXT")]
    pub q: Option<String>,
    /// Only models in this namespace (repeatable: any of them).
    #[arg(long, value_name = "NS")]
    pub namespace: Vec<String>,
    /// Only models whose licence expression permits this SPDX id (repeatable: any).
    #[arg(long, value_name = "ID")]
    pub license: Vec<String>,
    /// Licence class: permissive, weak_copyleft, copyleft, restricted_use, non_commercial,
    /// unknown (repeatable: any).
    #[arg(long, value_name = "CLASS")]
    pub license_class: Vec<LicenseClass>,
    /// Only models whose licence allows commercial use, possibly with conditions
    /// (`--commercial-use=false`: only those that forbid it).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub commercial_use: Option<bool>,
    /// Input or output modality: text, image, audio, video, tabular, embedding, 3d,
    /// time-series (repeatable: any).
    #[arg(long, value_name = "MODALITY")]
    pub modality: Vec<Modality>,
    /// Input modality (repeatable: any).
    #[arg(long, value_name = "MODALITY")]
    pub input_modality: Vec<Modality>,
    /// Output modality (repeatable: any).
    #[arg(long, value_name = "MODALITY")]
    pub output_modality: Vec<Modality>,
    /// Task, in Hugging Face pipeline names, e.g. text-generation (repeatable: any).
    #[arg(long, value_name = "TASK")]
    pub task: Vec<Task>,
    /// BCP-47 language the model must handle; `fr` also matches fr-CA (repeatable: all
    /// required).
    #[arg(long, value_name = "TAG")]
    pub language: Vec<LanguageTag>,
    /// BCP-47 language, at least one of which the model must handle (repeatable).
    #[arg(long, value_name = "TAG")]
    pub any_language: Vec<LanguageTag>,
    /// Smallest input context, in tokens.
    #[arg(long, value_name = "TOKENS")]
    pub min_context: Option<u64>,
    /// Largest input context, in tokens.
    #[arg(long, value_name = "TOKENS")]
    pub max_context: Option<u64>,
    /// Fewest parameters: 500M, 1.5B, 7000000000.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub min_params: Option<u64>,
    /// Most parameters: 3B, 500M.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub max_params: Option<u64>,
    /// Largest total size of the files: 4GiB, 500MB, bytes.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
    /// Weight format, e.g. safetensors, gguf, onnx (repeatable: any).
    #[arg(long, value_name = "FORMAT")]
    pub format: Vec<Format>,
    /// Runtime or library, e.g. transformers, llama.cpp (repeatable: any).
    #[arg(long, value_name = "NAME")]
    pub framework: Vec<String>,
    /// Weight precision, e.g. bf16, fp16, int8 (repeatable: any).
    #[arg(long, value_name = "PRECISION")]
    pub precision: Vec<Precision>,
    /// Quantisation scheme, e.g. q4_k_m, gptq, awq (repeatable: any).
    #[arg(long, value_name = "SCHEME")]
    pub quantization: Vec<String>,
    /// Only models derived from this one.
    #[arg(long, value_name = "NS/NAME")]
    pub base_model: Option<ModelName>,
    /// Only models that may be fine-tuned (`--fine-tunable=false`: only those that may not).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub fine_tunable: Option<bool>,
    /// Only models with a latency measurement (p50) at or below this many milliseconds.
    #[arg(long, value_name = "MS", value_parser = parse_positive)]
    pub max_latency_ms: Option<f64>,
    /// With --max-latency-ms: only measurements on this hardware (as written in the
    /// metadata, ignoring case).
    #[arg(long, value_name = "TEXT", requires = "max_latency_ms")]
    pub hardware: Option<String>,
    /// Only models with risk notes (`--has-risk-notes=false`: only those without).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub has_risk_notes: Option<bool>,
    /// Licence class after the base chain, the most restrictive on it (repeatable: any).
    #[arg(long, value_name = "CLASS")]
    pub effective_license_class: Vec<LicenseClass>,
    /// Commercial use after the base chain: allowed, restricted, forbidden, unknown
    /// (repeatable: any).
    #[arg(long, value_name = "ANSWER")]
    pub effective_commercial_use: Vec<CommercialUse>,
    /// Only versions that declare a more permissive licence than a base allows
    /// (`--license-conflicts=false`: only those that do not).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub license_conflicts: Option<bool>,
    /// Tag (repeatable: any).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Label `key:value` (repeatable: any).
    #[arg(long, value_name = "KEY:VALUE", value_parser = parse_label)]
    pub label: Vec<(String, String)>,
    /// Only models that fit in this much memory at their context length (capped by
    /// --at-context): weights + KV cache + overhead; 24GiB, 80GB, bytes.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub fits: Option<u64>,
    /// With --fits: tokens per sequence (caps each model's context length).
    #[arg(long, value_name = "TOKENS", requires = "fits", value_parser = parse_count)]
    pub at_context: Option<u64>,
    /// With --fits: sequences held at once [default: 1].
    #[arg(long, value_name = "N", requires = "fits")]
    pub batch: Option<u64>,
    /// With --fits: KV-cache precision (fp32, fp16, bf16, fp8, int8, q8_0, int4, q4_0)
    /// [default: the model's stored precision].
    #[arg(long, value_name = "PRECISION", requires = "fits")]
    pub kv_precision: Option<String>,
    /// Evaluation bound `DATASET:METRIC>=VALUE` or `DATASET:METRIC<=VALUE`, e.g.
    /// 'common_voice:wer<=20' (quote it for the shell; names ignore case; repeatable: all
    /// required). Models without such an evaluation never match.
    #[arg(long, value_name = "DATASET:METRIC<=VALUE", value_parser = parse_eval)]
    pub eval: Vec<EvalFilter>,
    /// With --eval or --sort eval:...: only evaluations in this BCP-47 language count; `sw`
    /// also matches sw-KE (repeatable: any).
    #[arg(long, value_name = "TAG")]
    pub eval_language: Vec<LanguageTag>,
    /// Sort by this key: name, created, updated, parameters, size, context_length, latency, or
    /// eval:DATASET:METRIC (each model's best value on it, best first by the metric's
    /// direction).
    #[arg(long, value_name = "KEY", default_value = "name", value_parser = parse_sort)]
    pub sort: SortArg,
    /// Sort order [default: asc; desc for an evaluation whose metric is higher-is-better].
    #[arg(long, value_name = "ORDER", value_parser = vocabulary::<Order>(&["asc", "desc"]))]
    pub order: Option<Order>,
    /// Results per page, 1-200 [default: 20, or 200 with --all].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_LIMIT)))]
    pub limit: Option<u32>,
    /// Continue from the cursor a previous search printed.
    #[arg(long, value_name = "CURSOR")]
    pub cursor: Option<String>,
    /// Every matching version, not only the best version of each model.
    #[arg(long)]
    pub all_versions: bool,
    /// Fetch every page, not only the first.
    #[arg(long)]
    pub all: bool,
    /// Also consider yanked versions (left out by default).
    #[arg(long)]
    pub include_yanked: bool,
}

impl SearchArgs {
    /// The lookup these flags ask for.
    pub fn to_query(&self) -> LookupQuery {
        let text = if self.text.is_empty() { self.q.clone() } else { Some(self.text.join(" ")) };
        let default_limit = if self.all { MAX_LIMIT } else { modelreg_api::DEFAULT_LIMIT };
        let mut query = LookupQuery {
            q: text.filter(|t| !t.trim().is_empty()),
            namespace: self.namespace.clone(),
            license: self.license.clone(),
            license_class: self.license_class.clone(),
            commercial_use: self.commercial_use,
            modality: self.modality.clone(),
            input_modality: self.input_modality.clone(),
            output_modality: self.output_modality.clone(),
            task: self.task.clone(),
            language: self.language.clone(),
            any_language: self.any_language.clone(),
            min_context: self.min_context,
            max_context: self.max_context,
            min_params: self.min_params,
            max_params: self.max_params,
            max_size_bytes: self.max_size,
            format: self.format.clone(),
            framework: self.framework.clone(),
            precision: self.precision.clone(),
            quantization: self.quantization.clone(),
            base_model: self.base_model.clone(),
            fine_tunable: self.fine_tunable,
            max_latency_ms: self.max_latency_ms,
            hardware: self.hardware.clone(),
            has_risk_notes: self.has_risk_notes,
            effective_license_class: self.effective_license_class.clone(),
            effective_commercial_use: self.effective_commercial_use.clone(),
            license_conflicts: self.license_conflicts,
            tag: self.tag.clone(),
            label: self.label.clone(),
            memory: MemoryFilter {
                budget_bytes: self.fits,
                at_context: self.at_context,
                batch: self.batch,
                kv_precision: self.kv_precision.as_ref().map(|p| p.trim().to_ascii_lowercase()),
            },
            eval: self.eval.clone(),
            eval_language: self.eval_language.clone(),
            eval_sort: self.sort.eval.clone(),
            sort: self.sort.key,
            order: Order::Asc,
            limit: self.limit.unwrap_or(default_limit),
            cursor: self.cursor.clone(),
            versions: if self.all_versions { VersionsMode::All } else { VersionsMode::Best },
            include_yanked: self.include_yanked,
            // Set by the registry from the caller's token; never sent.
            visible_namespaces: Vec::new(),
            unindexed_words: Vec::new(),
        };
        query.order = self.order.unwrap_or_else(|| query.default_order());
        query
    }
}

/// A `--sort` value: a key, with the dataset and metric of an evaluation sort.
#[derive(Debug, Clone, PartialEq)]
pub struct SortArg {
    pub key: SortKey,
    pub eval: Option<EvalKey>,
}

/// Parses `--sort` as the registry parses `sort`, so that both accept the same values.
fn parse_sort(s: &str) -> Result<SortArg, String> {
    let q = LookupQuery::from_pairs([("sort", s)]).map_err(|e| e.reason)?;
    Ok(SortArg { key: q.sort, eval: q.eval_sort })
}

fn parse_eval(s: &str) -> Result<EvalFilter, String> {
    EvalFilter::parse("eval", s).map_err(|e| e.reason)
}

pub async fn run(client: &Client, args: SearchArgs, out: &Output) -> Result<(), ClientError> {
    let page = fetch(client, &args.to_query(), args.all).await.map_err(explain_query_error)?;
    if out.json {
        emit_json(&page);
        return Ok(());
    }
    if page.results.is_empty() {
        out.info("no models match");
    } else {
        emit(&results_table(&page.results, table_width()));
    }
    if let Some(cursor) = &page.next_cursor {
        out.info(format!("more results: add --cursor {cursor} (or --all for every page)"));
    }
    Ok(())
}

/// Query parameters whose flag is not simply the parameter with dashes.
const RENAMED_PARAMS: &[(&str, &str)] =
    &[("max_size_bytes", "--max-size"), ("versions", "--all-versions"), ("fits_memory", "--fits")];

/// Adds the flag to a registry `invalid_query` error, from the parameter its details name.
fn explain_query_error(err: ClientError) -> ClientError {
    match err {
        ClientError::Api { status, mut error, retry_after } if error.code == "invalid_query" => {
            let refused = error.details.as_ref().map(InvalidQueryDetails::deserialize);
            if let Some(Ok(InvalidQueryDetails { parameter })) = refused {
                let flag = RENAMED_PARAMS
                    .iter()
                    .find(|(p, _)| *p == parameter)
                    .map_or_else(|| format!("--{}", parameter.replace('_', "-")), |(_, f)| (*f).to_owned());
                error.message.push_str(&format!(" (flag {flag})"));
            }
            ClientError::Api { status, error, retry_after }
        }
        other => other,
    }
}

fn parse_positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("'{s}' is not a positive number")),
    }
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.trim().to_owned())),
        _ => Err(format!("'{s}' is not KEY:VALUE")),
    }
}

/// A parser for one of the API's snake_case enums, listing its values in `--help`.
fn vocabulary<T>(names: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(names).map(|name| {
        serde_json::from_value(serde_json::Value::String(name))
            .expect("every listed name is a value of the enum")
    })
}

#[cfg(test)]
mod tests;
