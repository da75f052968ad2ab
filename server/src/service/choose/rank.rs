//! The arithmetic of a choice, free of I/O: each criterion's values normalised over the
//! candidate set (min-max, direction-aware, a missing value scores 0), the weighted total,
//! the Pareto front and the order of the ranking. The values come from `mod.rs`.

use modelreg_api::PreferenceDirection;

/// One criterion's values over the candidates (same index as the candidates) and how it
/// is weighed.
pub(super) struct Column {
    pub values: Vec<Option<f64>>,
    pub direction: PreferenceDirection,
    pub weight: f64,
}

/// The scores of one candidate.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scored {
    /// Per criterion, in the order of the columns.
    pub scores: Vec<f64>,
    /// Weighted mean of `scores`.
    pub total: f64,
    pub pareto: bool,
}

/// Min-max normalisation of one column: the best value scores 1, the worst 0, linearly in
/// between; a missing value scores 0; when every present value is equal they all score 1.
pub(super) fn normalise(column: &Column) -> Vec<f64> {
    let present = column.values.iter().flatten().copied();
    let (lo, hi) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    column
        .values
        .iter()
        .map(|v| match v {
            None => 0.0,
            Some(_) if hi <= lo => 1.0,
            Some(v) => match column.direction {
                PreferenceDirection::Min => (hi - v) / (hi - lo),
                PreferenceDirection::Max => (v - lo) / (hi - lo),
            },
        })
        .collect()
}

/// How good a value is, larger being better whatever the direction; missing is worst.
fn goodness(v: Option<f64>, direction: PreferenceDirection) -> f64 {
    match (v, direction) {
        (None, _) => f64::NEG_INFINITY,
        (Some(v), PreferenceDirection::Max) => v,
        (Some(v), PreferenceDirection::Min) => -v,
    }
}

/// Whether candidate `a` dominates `b`: at least as good on every criterion, better on one.
fn dominates(columns: &[Column], a: usize, b: usize) -> bool {
    let mut better = false;
    for c in columns {
        let (ga, gb) = (goodness(c.values[a], c.direction), goodness(c.values[b], c.direction));
        if ga < gb {
            return false;
        }
        better |= ga > gb;
    }
    better
}

/// Scores `n` candidates on `columns`. Quadratic in `n` for the Pareto front, which the
/// candidate cap keeps small.
pub(super) fn score(n: usize, columns: &[Column]) -> Vec<Scored> {
    let normalised: Vec<Vec<f64>> = columns.iter().map(normalise).collect();
    let weights: f64 = columns.iter().map(|c| c.weight).sum();
    (0..n)
        .map(|i| {
            let scores: Vec<f64> = normalised.iter().map(|col| col[i]).collect();
            let total = if weights > 0.0 {
                columns.iter().zip(&scores).map(|(c, s)| c.weight * s).sum::<f64>() / weights
            } else {
                0.0
            };
            let pareto = !(0..n).any(|j| j != i && dominates(columns, j, i));
            Scored { scores, total, pareto }
        })
        .collect()
}

/// Rounds a score for the wire, so that equal scores compare equal and print alike.
pub(super) fn round(score: f64) -> f64 {
    (score * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(values: &[Option<f64>], direction: PreferenceDirection, weight: f64) -> Column {
        Column { values: values.to_vec(), direction, weight }
    }

    #[test]
    fn normalisation_is_min_max_per_direction_with_missing_values_worst() {
        let c = col(&[Some(1.0), Some(3.0), None, Some(2.0)], PreferenceDirection::Min, 1.0);
        assert_eq!(normalise(&c), [1.0, 0.0, 0.0, 0.5]);
        let c = col(&[Some(1.0), Some(3.0), None, Some(2.0)], PreferenceDirection::Max, 1.0);
        assert_eq!(normalise(&c), [0.0, 1.0, 0.0, 0.5]);
        let c = col(&[Some(5.0), None, Some(5.0)], PreferenceDirection::Max, 1.0);
        assert_eq!(normalise(&c), [1.0, 0.0, 1.0]);
    }

    #[test]
    fn the_total_is_the_weighted_mean_and_the_front_holds_the_undominated() {
        // a: small, short context; b: large, long context; c: large, short (dominated by b
        // and by a); d: small and missing context (dominated by a).
        let columns = [
            col(&[Some(1.0), Some(7.0), Some(7.0), Some(1.0)], PreferenceDirection::Min, 3.0),
            col(&[Some(4.0), Some(32.0), Some(4.0), None], PreferenceDirection::Max, 1.0),
        ];
        let s = score(4, &columns);
        assert_eq!(s.iter().map(|x| x.total).collect::<Vec<_>>(), [0.75, 0.25, 0.0, 0.75]);
        assert_eq!(s.iter().map(|x| x.pareto).collect::<Vec<_>>(), [true, true, false, false]);
    }

    #[test]
    fn without_criteria_every_candidate_scores_zero_and_is_on_the_front() {
        let s = score(2, &[]);
        assert!(s.iter().all(|x| x.total == 0.0 && x.pareto && x.scores.is_empty()));
    }
}
