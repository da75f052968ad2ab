//! One criterion's value for each ranked version, and in words why it is missing where it
//! is: read from the lookup row, or for the candidates' ids at once through
//! `store::CriteriaStore` (latency, memory facts, evaluations). The memory estimate of a
//! version (`memory_estimate`) is shared with the near misses' reasons.

use chrono::{DateTime, Utc};
use modelreg_api::{Criterion, EvalKey, LookupQuery, MemoryNeed, kv_precision_bits, memory_need, tokens_at};

use super::super::{Registry, RegistryError};
use crate::store::{LookupHit, VersionMemory};

const DAY_MS: f64 = 86_400_000.0;

/// A criterion's values over the candidates (same index) and the reason of each absent one.
pub(super) struct Read {
    pub values: Vec<Option<f64>>,
    pub missing: Vec<Option<String>>,
}

impl Read {
    fn new(values: Vec<Option<f64>>, why: impl Fn(usize) -> String) -> Self {
        let missing = values.iter().enumerate().map(|(i, v)| v.is_none().then(|| why(i))).collect();
        Self { values, missing }
    }
}

/// The memory `at_context`, `batch` and `kv_precision` ask of a version with `context_length`
/// tokens and `memory` facts, or why it cannot be told: the estimate of the lookup's
/// `fits_memory`.
pub(super) fn memory_estimate(
    memory: Option<&VersionMemory>,
    context_length: Option<i64>,
    at_context: Option<u64>,
    batch: Option<u64>,
    kv_precision: Option<&str>,
) -> Result<MemoryNeed, String> {
    let why = |what: &str| format!("memory cannot be determined: {what}");
    let memory = memory.ok_or_else(|| why("the weights' size is unknown"))?;
    let kv = memory.kv.as_ref().ok_or_else(|| why("no KV-cache shape is known"))?;
    let context = context_length.and_then(|c| u64::try_from(c).ok());
    let tokens = tokens_at(context, at_context).ok_or_else(|| why("no context length is stated"))?;
    Ok(memory_need(
        memory.weight_bytes,
        kv,
        tokens,
        batch.unwrap_or(1),
        kv_precision.and_then(kv_precision_bits),
    ))
}

/// `librispeech:wer`, with ` in sw, pt-BR` when the constraints name evaluation languages.
pub(super) fn eval_name(key: &EvalKey, constraints: &LookupQuery) -> String {
    let languages: Vec<String> = constraints.eval_language.iter().map(ToString::to_string).collect();
    match languages.is_empty() {
        true => key.to_string(),
        false => format!("{key} in {}", languages.join(", ")),
    }
}

impl Registry {
    /// `criterion`'s value for each of `hits`; each arm says where its value is read.
    pub(super) async fn criterion_values(
        &self,
        criterion: &Criterion,
        hits: &[LookupHit],
        constraints: &LookupQuery,
        now: DateTime<Utc>,
    ) -> Result<Read, RegistryError> {
        let ids = || hits.iter().map(|h| h.id).collect::<Vec<i64>>();
        Ok(match criterion {
            Criterion::Parameters => {
                Read::new(hits.iter().map(|h| h.parameters.map(|v| v as f64)).collect(), |_| {
                    "parameters are not stated".into()
                })
            }
            Criterion::Size => {
                Read::new(hits.iter().map(|h| Some(h.size_bytes as f64)).collect(), |_| String::new())
            }
            Criterion::ContextLength => {
                Read::new(hits.iter().map(|h| h.context_length.map(|v| v as f64)).collect(), |_| {
                    "context_length is not stated".into()
                })
            }
            Criterion::Recency => {
                let now_ms = now.timestamp_millis();
                let age = |h: &LookupHit| Some((now_ms - h.published_ms).max(0) as f64 / DAY_MS);
                Read::new(hits.iter().map(age).collect(), |_| String::new())
            }
            Criterion::Latency { hardware } => {
                let latency = self.meta.latency_on(&ids(), hardware).await?;
                Read::new(hits.iter().map(|h| latency.get(&h.id).copied()).collect(), |_| {
                    format!("no latency is stated on {hardware}")
                })
            }
            Criterion::Memory { at_context, batch, kv_precision } => {
                let memory = self.meta.memory_of(&ids()).await?;
                let (values, missing) = hits
                    .iter()
                    .map(|h| {
                        let need = memory_estimate(
                            memory.get(&h.id),
                            h.context_length,
                            *at_context,
                            *batch,
                            kv_precision.as_deref(),
                        );
                        match need {
                            Ok(need) => (Some(need.total as f64), None),
                            Err(why) => (None, Some(why)),
                        }
                    })
                    .unzip();
                Read { values, missing }
            }
            Criterion::Eval { dataset, metric } => {
                let key = EvalKey { dataset: dataset.clone(), metric: metric.clone() };
                let best = self.meta.eval_best(&ids(), &key, &constraints.eval_language).await?;
                Read::new(hits.iter().map(|h| best.get(&h.id).copied()).collect(), |_| {
                    format!("no evaluation on {}", eval_name(&key, constraints))
                })
            }
        })
    }
}
