//! Choosing a model (`POST /v1/choose`): the lookup's matches for the hard constraints,
//! bounded to [`MAX_CANDIDATES`] in the order of the heaviest preference, ranked by the
//! weighted, normalised preferences (`rank`, values read by `values`), with the Pareto
//! front; and the near misses, the versions the lookup finds with one constraint dropped
//! (`near`), their reasons worded (`near`, `reasons`). Candidates and near misses come from
//! one scan of the versions meeting all constraints but at most one (`tagged`) where it
//! applies, else from the lookup and one lookup per constraint.
//! Same visibility as the lookup. It must not know HTTP or SQL; values come from the lookup
//! row or, for a criterion the row lacks, from `store::CriteriaStore`.

mod near;
mod rank;
mod reasons;
mod tagged;
mod values;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;
use modelreg_api::{
    Candidate, ChooseQuery, ChooseResponse, Criterion, CriterionScore, EvalKey, Facts, LookupQuery,
    MAX_CANDIDATES, MAX_NEAR_MISSES, Manifest, ModelName, NearMiss, Order, Preference, PreferenceDirection,
    SortKey, Version, VersionsMode,
};

use self::near::Constraint;
use self::rank::{Column, round};
use super::{Principal, Registry, RegistryError};
use crate::store::{LookupHit, MAX_TAGGED_CONSTRAINTS, Strategy};

/// The most versions a choice's single scan reads (`Registry::scan_choice`); past it, the
/// lookups answer.
const SCAN_CAP: usize = 20_000;

impl Registry {
    /// Ranks the versions `caller` can see that meet `query`'s constraints, and lists near
    /// misses. `now` dates the recency criterion.
    pub async fn choose(
        &self,
        caller: Option<&Principal>,
        query: ChooseQuery,
        now: DateTime<Utc>,
    ) -> Result<ChooseResponse, RegistryError> {
        let echo = query.to_request();
        let mut q = query.constraints.clone();
        q.visible_namespaces = caller.map(|p| p.namespaces.clone()).unwrap_or_default();
        (q.sort, q.order, q.eval_sort) = cap_order(&query.preferences);
        q.versions = VersionsMode::Best;
        q.cursor = None;
        q.limit = MAX_CANDIDATES;
        let constraints = near::constraints(&q);
        let (hits, truncated, scanned) = match self.scan_choice(&q, &constraints).await? {
            Some((hits, truncated, near)) => (hits, truncated, Some(near)),
            None => {
                let mut hits = self.meta.lookup(&q, None, Strategy::Auto).await?;
                let truncated = hits.len() > MAX_CANDIDATES as usize;
                hits.truncate(MAX_CANDIDATES as usize);
                (hits, truncated, None)
            }
        };

        // The criteria's reads and the near misses' lookups at once: each its own
        // connection, none waiting on another.
        let reads = try_join_all(
            query.preferences.iter().map(|p| self.criterion_values(&p.criterion, &hits, &q, now)),
        );
        let near = async {
            match (truncated, scanned) {
                (true, _) => Ok(Vec::new()),
                (false, Some(picked)) => self.word_near_misses(&q, picked).await,
                (false, None) => {
                    let picked = self.relaxed_lookups(&q, &constraints, &hits).await?;
                    self.word_near_misses(&q, picked).await
                }
            }
        };
        let (reads, near_misses) = futures_util::try_join!(reads, near)?;
        let mut columns = Vec::with_capacity(query.preferences.len());
        let mut missing = Vec::with_capacity(query.preferences.len());
        for (p, read) in query.preferences.iter().zip(reads) {
            columns.push(Column { values: read.values, direction: p.direction(), weight: p.weight() });
            missing.push(read.missing);
        }
        let scored = rank::score(hits.len(), &columns);
        // Equal totals: fewer missing values first (a version without the value ranks after
        // the worst that has it), then by name.
        let absent = |i: usize| columns.iter().filter(|c| c.values[i].is_none()).count();
        let mut order: Vec<usize> = (0..hits.len()).collect();
        order.sort_by(|&a, &b| {
            round(scored[b].total)
                .total_cmp(&round(scored[a].total))
                .then_with(|| absent(a).cmp(&absent(b)))
                .then_with(|| (&hits[a].namespace, &hits[a].name).cmp(&(&hits[b].namespace, &hits[b].name)))
        });
        let mut candidates = Vec::with_capacity(query.limit as usize);
        for (position, &i) in order.iter().take(query.limit as usize).enumerate() {
            let (model, version) = identity(&hits[i])?;
            let criteria = query
                .preferences
                .iter()
                .zip(&columns)
                .zip(&missing)
                .zip(&scored[i].scores)
                .map(|(((p, c), why), s)| CriterionScore {
                    criterion: p.criterion.to_string(),
                    value: c.values[i],
                    unit: p.criterion.unit().to_owned(),
                    score: round(*s),
                    missing: why[i].clone(),
                })
                .collect();
            candidates.push(Candidate {
                rank: u32::try_from(position + 1).unwrap_or(u32::MAX),
                url: format!("/v1/models/{model}/versions/{version}"),
                model,
                version,
                score: round(scored[i].total),
                pareto: scored[i].pareto,
                criteria,
            });
        }
        Ok(ChooseResponse { query: echo, candidates, ranked: hits.len() as u64, truncated, near_misses })
    }

    /// The candidates (at most [`MAX_CANDIDATES`], in the lookup's order), whether more met
    /// every constraint, and the near misses (see [`Self::relaxed_lookups`]) from one scan of
    /// the versions meeting all of `constraints` but at most one, and one read of the kept
    /// versions' rows. `None` when the scan does not apply (fewer than two constraints, too
    /// many, a sort key it cannot carry) or would read more than [`SCAN_CAP`] versions: the
    /// lookups then answer.
    async fn scan_choice<'c>(
        &self,
        q: &LookupQuery,
        constraints: &'c [Constraint],
    ) -> Result<Option<(Vec<LookupHit>, bool, Vec<(&'c Constraint, LookupHit)>)>, RegistryError> {
        if !(2..=MAX_TAGGED_CONSTRAINTS).contains(&constraints.len()) {
            return Ok(None);
        }
        let relaxing =
            |e: modelreg_api::LookupError| RegistryError::internal(format!("relaxing a choice: {e}"));
        let base = near::relax_all(q, constraints).map_err(relaxing)?;
        let each = constraints.iter().map(near::only).collect::<Result<Vec<_>, _>>().map_err(relaxing)?;
        let Some(rows) = self.meta.tagged_versions(&base, &each, q.sort, SCAN_CAP).await? else {
            return Ok(None);
        };
        let picked = tagged::pick(&rows, constraints.len(), q.order);
        let ids: Vec<i64> =
            picked.candidates.iter().copied().chain(picked.near_misses.iter().map(|(_, id)| *id)).collect();
        let mut found: HashMap<i64, LookupHit> =
            self.meta.lookup_rows(q, &ids).await?.into_iter().map(|h| (h.id, h)).collect();
        // A version gone since the scan is left out, as a later lookup would.
        let hits = picked.candidates.iter().filter_map(|id| found.remove(id)).collect();
        let near = picked
            .near_misses
            .iter()
            .filter_map(|(c, id)| Some((&constraints[*c], found.remove(id)?)))
            .collect();
        Ok(Some((hits, picked.truncated, near)))
    }

    /// Versions failing exactly one constraint of `q`: for each constraint, the lookup without
    /// it (concurrently), less the models already among `candidates` (complete: the caller
    /// asks only when no candidate was cut). At most [`MAX_NEAR_MISSES`], shared round-robin
    /// between the constraints, each constraint's in the candidates' order.
    async fn relaxed_lookups<'c>(
        &self,
        q: &LookupQuery,
        constraints: &'c [Constraint],
        candidates: &[LookupHit],
    ) -> Result<Vec<(&'c Constraint, LookupHit)>, RegistryError> {
        let taken: HashSet<(&str, &str)> =
            candidates.iter().map(|h| (h.namespace.as_str(), h.name.as_str())).collect();
        let limit = u32::try_from(candidates.len() + MAX_NEAR_MISSES).unwrap_or(u32::MAX);
        let relaxed = constraints.iter().map(|c| async move {
            let mut r =
                near::relax(q, c).map_err(|e| RegistryError::internal(format!("relaxing a choice: {e}")))?;
            r.limit = limit;
            let hits = self.meta.lookup(&r, None, Strategy::Auto).await?;
            Ok::<_, RegistryError>(hits)
        });
        let per_constraint: Vec<Vec<LookupHit>> = try_join_all(relaxed).await?;
        let mut lists: Vec<(&Constraint, Vec<LookupHit>)> = constraints
            .iter()
            .zip(per_constraint)
            .map(|(c, hits)| {
                let misses = hits
                    .into_iter()
                    .filter(|h| !taken.contains(&(h.namespace.as_str(), h.name.as_str())))
                    .take(MAX_NEAR_MISSES)
                    .collect();
                (c, misses)
            })
            .collect();
        let mut picked: Vec<(&Constraint, LookupHit)> = Vec::new();
        for i in 0..MAX_NEAR_MISSES {
            for (c, misses) in &mut lists {
                if picked.len() < MAX_NEAR_MISSES
                    && let Some(hit) = misses.get(i)
                {
                    picked.push((*c, hit.clone()));
                }
            }
        }
        Ok(picked)
    }

    /// The near misses `picked` (each with the constraint it fails), their reasons worded.
    async fn word_near_misses(
        &self,
        q: &LookupQuery,
        picked: Vec<(&Constraint, LookupHit)>,
    ) -> Result<Vec<NearMiss>, RegistryError> {
        let read = self.reason_reads(q, &picked).await?;
        let mut out = Vec::with_capacity(picked.len());
        for ((c, hit), read) in picked.into_iter().zip(read) {
            let (model, version) = identity(&hit)?;
            let reason = match read {
                Some(reason) => Some(reason),
                None if near::FROM_CARD.contains(&c.key) => {
                    self.reason_from_card(c, &model, &version).await?
                }
                None => None,
            };
            out.push(NearMiss {
                url: format!("/v1/models/{model}/versions/{version}"),
                constraint: c.key.to_owned(),
                wanted: c.wanted(),
                reason: reason.unwrap_or_else(|| near::describe(c, &hit)),
                model,
                version,
            });
        }
        Ok(out)
    }
}

impl Registry {
    /// The reason a version fails `c`, read from its card (one read per such near miss, at
    /// most [`MAX_NEAR_MISSES`]); `None` when the version is gone meanwhile.
    async fn reason_from_card(
        &self,
        c: &Constraint,
        model: &ModelName,
        version: &Version,
    ) -> Result<Option<String>, RegistryError> {
        let Some(detail) = self.meta.get_version(model, version).await? else { return Ok(None) };
        let manifest: Manifest = serde_json::from_str(&detail.manifest_json).map_err(|e| {
            RegistryError::internal(format!("stored manifest of {model}@{version} is unreadable: {e}"))
        })?;
        let facts: Facts = serde_json::from_str(&detail.facts_json).map_err(|e| {
            RegistryError::internal(format!("stored facts of {model}@{version} are unreadable: {e}"))
        })?;
        Ok(near::describe_from_card(c, &manifest.metadata, &facts))
    }
}

/// The lookup order that bounds the candidates: that of the heaviest preference (the first
/// of equals) where the lookup has a sort for it, missing values last; by name otherwise.
/// A latency preference orders by the lowest latency on any hardware, and memory by the
/// size of the files (the weights' share of it), the nearest sorts.
fn cap_order(preferences: &[Preference]) -> (SortKey, Order, Option<EvalKey>) {
    let heaviest = preferences.iter().fold(None::<&Preference>, |best, p| match best {
        Some(b) if b.weight() >= p.weight() => Some(b),
        _ => Some(p),
    });
    let Some(p) = heaviest else { return (SortKey::Name, Order::Asc, None) };
    let order = if p.direction() == PreferenceDirection::Min { Order::Asc } else { Order::Desc };
    match &p.criterion {
        Criterion::Parameters => (SortKey::Parameters, order, None),
        Criterion::Size | Criterion::Memory { .. } => (SortKey::Size, order, None),
        Criterion::ContextLength => (SortKey::ContextLength, order, None),
        Criterion::Latency { .. } => (SortKey::Latency, order, None),
        Criterion::Eval { dataset, metric } => {
            (SortKey::Eval, order, Some(EvalKey { dataset: dataset.clone(), metric: metric.clone() }))
        }
        // Younger first is the latest publication first.
        Criterion::Recency => (
            SortKey::Updated,
            if p.direction() == PreferenceDirection::Min { Order::Desc } else { Order::Asc },
            None,
        ),
    }
}

fn identity(hit: &LookupHit) -> Result<(ModelName, Version), RegistryError> {
    let corrupt = |what: &str, e: String| {
        RegistryError::internal(format!("stored lookup column {what} is unreadable: {e}"))
    };
    let model =
        ModelName::from_parts(&hit.namespace, &hit.name).map_err(|e| corrupt("name", e.to_string()))?;
    let version =
        hit.version.parse().map_err(|e: modelreg_api::VersionError| corrupt("version", e.to_string()))?;
    Ok((model, version))
}
