//! The near misses' reasons that need a read beyond the lookup row: the latency on the
//! hardware a `max_latency_ms` names, the memory estimate a `fits_memory` budget was
//! compared with, the value on the evaluation an `eval` bound names. One read per such
//! constraint for all its near misses at once.

use modelreg_api::{EvalFilter, LookupQuery};

use super::near::{Constraint, human};
use super::values::{eval_name, memory_estimate};
use crate::service::{Registry, RegistryError};
use crate::store::LookupHit;

impl Registry {
    /// For each picked near miss, its reason when its constraint is worded from a read;
    /// `None` for the others (worded from the row or the card).
    pub(super) async fn reason_reads(
        &self,
        q: &LookupQuery,
        picked: &[(&Constraint, LookupHit)],
    ) -> Result<Vec<Option<String>>, RegistryError> {
        let mut out = vec![None; picked.len()];
        let mut done: Vec<&Constraint> = Vec::new();
        for (c, _) in picked {
            if done.contains(c) {
                continue;
            }
            done.push(c);
            let mine: Vec<usize> = (0..picked.len()).filter(|&i| picked[i].0 == *c).collect();
            let ids: Vec<i64> = mine.iter().map(|&i| picked[i].1.id).collect();
            let value = |key: &str| c.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
            match c.key {
                "max_latency_ms" => {
                    let Some(hw) = value("hardware").map(str::to_lowercase) else { continue };
                    let latency = self.meta.latency_on(&ids, &hw).await?;
                    for &i in &mine {
                        if let Some(ms) = latency.get(&picked[i].1.id) {
                            out[i] = Some(format!("p50 latency on {hw} is {ms} ms"));
                        }
                    }
                }
                "fits_memory" => {
                    let Ok(asked) = LookupQuery::from_pairs(c.pairs.iter().map(|(k, v)| (*k, v.as_str())))
                    else {
                        continue;
                    };
                    let m = asked.memory;
                    let memory = self.meta.memory_of(&ids).await?;
                    for &i in &mine {
                        let hit = &picked[i].1;
                        let need = memory_estimate(
                            memory.get(&hit.id),
                            hit.context_length,
                            m.at_context,
                            m.batch,
                            m.kv_precision.as_deref(),
                        );
                        out[i] = Some(match need {
                            Ok(need) => format!(
                                "needs {}B at {} tokens{}; budget {}B",
                                human(need.total as f64, "i"),
                                need.tokens,
                                if need.batch > 1 { format!(" x {}", need.batch) } else { String::new() },
                                human(m.budget_bytes.unwrap_or_default() as f64, "i"),
                            ),
                            Err(why) => why,
                        });
                    }
                }
                "eval" => {
                    let Some(Ok(filter)) = value("eval").map(|v| EvalFilter::parse("eval", v)) else {
                        continue;
                    };
                    let best = self.meta.eval_best(&ids, &filter.key, &q.eval_language).await?;
                    let name = eval_name(&filter.key, q);
                    for &i in &mine {
                        out[i] = Some(match best.get(&picked[i].1.id) {
                            Some(v) => format!("{name} is {v}"),
                            None => format!("no evaluation on {name}"),
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }
}
