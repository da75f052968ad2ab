//! The candidates and near misses of a choice from its single scan (`store::CriteriaStore::
//! tagged_versions`): every version meeting all of the constraints but at most one, tagged
//! with those it meets. Per model, the best release meeting all of them is its candidate;
//! for a model without one, the best release meeting all but constraint `c` is its near
//! miss on `c`. The same versions, in the same order, as the lookup (candidates) and the
//! lookups with one constraint dropped (near misses) would return. Pure: no I/O here.

use std::cmp::Ordering;
use std::collections::HashMap;

use modelreg_api::{MAX_CANDIDATES, MAX_NEAR_MISSES, Order};

use crate::store::TaggedVersion;

/// What the scan decided, by version id.
#[derive(Debug, PartialEq)]
pub(super) struct Picked {
    /// The candidates in the lookup's order, at most [`MAX_CANDIDATES`].
    pub candidates: Vec<i64>,
    /// More models than [`MAX_CANDIDATES`] met every constraint (then no near misses).
    pub truncated: bool,
    /// (constraint index, version id), at most [`MAX_NEAR_MISSES`], shared round-robin
    /// between the constraints, each constraint's in the lookup's order.
    pub near_misses: Vec<(usize, i64)>,
}

/// The best release of each model among `rows` that `keep` accepts.
fn best_per_model(rows: &[TaggedVersion], keep: impl Fn(&TaggedVersion) -> bool) -> Vec<&TaggedVersion> {
    let mut best: HashMap<i64, &TaggedVersion> = HashMap::new();
    for row in rows.iter().filter(|r| keep(r)) {
        best.entry(row.model_id)
            .and_modify(|b| {
                if (row.major, row.minor, row.patch, row.id) > (b.major, b.minor, b.patch, b.id) {
                    *b = row;
                }
            })
            .or_insert(row);
    }
    best.into_values().collect()
}

/// The lookup's order: by sort key (missing ones last either way), then by id.
fn lookup_order(order: Order) -> impl Fn(&&TaggedVersion, &&TaggedVersion) -> Ordering {
    move |a, b| {
        let by_key = match (a.sort_key, b.sort_key) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => return Ordering::Less,
            (None, Some(_)) => return Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        let ordering = by_key.then(a.id.cmp(&b.id));
        if order == Order::Asc { ordering } else { ordering.reverse() }
    }
}

/// Candidates and near misses of `constraints` constraints from the scan's `rows`.
pub(super) fn pick(rows: &[TaggedVersion], constraints: usize, order: Order) -> Picked {
    let all = (1_i64 << constraints) - 1;
    let mut full = best_per_model(rows, |r| r.met == all);
    full.sort_by(lookup_order(order));
    let truncated = full.len() > MAX_CANDIDATES as usize;
    full.truncate(MAX_CANDIDATES as usize);
    let candidates: Vec<i64> = full.iter().map(|r| r.id).collect();
    if truncated {
        return Picked { candidates, truncated, near_misses: Vec::new() };
    }
    let chosen: std::collections::HashSet<i64> = full.iter().map(|r| r.model_id).collect();
    let lists: Vec<Vec<i64>> = (0..constraints)
        .map(|c| {
            let others = all & !(1_i64 << c);
            let mut misses =
                best_per_model(rows, |r| r.met & others == others && !chosen.contains(&r.model_id));
            misses.sort_by(lookup_order(order));
            misses.into_iter().take(MAX_NEAR_MISSES).map(|r| r.id).collect()
        })
        .collect();
    let mut near_misses = Vec::new();
    for i in 0..MAX_NEAR_MISSES {
        for (c, misses) in lists.iter().enumerate() {
            if near_misses.len() < MAX_NEAR_MISSES
                && let Some(id) = misses.get(i)
            {
                near_misses.push((c, *id));
            }
        }
    }
    Picked { candidates, truncated, near_misses }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, model_id: i64, release: (i64, i64, i64), key: Option<f64>, met: i64) -> TaggedVersion {
        let (major, minor, patch) = release;
        TaggedVersion { id, model_id, major, minor, patch, sort_key: key, met }
    }

    #[test]
    fn each_model_offers_its_best_release_meeting_everything_else_its_best_near_miss() {
        let rows = [
            // Model 1: 2.0.0 meets both, 3.0.0 only the first: 2.0.0 is the candidate.
            row(10, 1, (2, 0, 0), Some(5.0), 0b11),
            row(11, 1, (3, 0, 0), Some(1.0), 0b01),
            // Model 2: 1.0.0 misses the second, 1.1.0 the first: one near miss on each.
            row(20, 2, (1, 0, 0), Some(3.0), 0b01),
            row(21, 2, (1, 1, 0), Some(9.0), 0b10),
            // Model 3: a candidate without a key, after the one with a key.
            row(30, 3, (1, 0, 0), None, 0b11),
        ];
        let picked = pick(&rows, 2, Order::Asc);
        assert_eq!(picked.candidates, [10, 30]);
        assert!(!picked.truncated);
        // Round-robin: the first near miss of each constraint, in constraint order.
        assert_eq!(picked.near_misses, [(0, 21), (1, 20)]);
        let descending = pick(&rows, 2, Order::Desc);
        assert_eq!(descending.candidates, [10, 30], "missing keys come last either way");
    }

    #[test]
    fn past_the_cap_the_first_candidates_in_order_and_no_near_misses() {
        let over = MAX_CANDIDATES as i64 + 1;
        let mut rows: Vec<TaggedVersion> =
            (0..over).map(|m| row(100 + m, m, (1, 0, 0), Some((over - m) as f64), 0b11)).collect();
        rows.push(row(1, 999, (1, 0, 0), Some(0.0), 0b01));
        let picked = pick(&rows, 2, Order::Desc);
        assert!(picked.truncated);
        assert_eq!(picked.candidates.len(), MAX_CANDIDATES as usize);
        assert_eq!(picked.candidates[0], 100);
        assert!(picked.near_misses.is_empty());
    }
}
