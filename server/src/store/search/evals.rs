//! What a version's evaluations contribute to the lookup: one `version_evaluations` row per
//! `metadata.evaluations` entry (dataset and metric normalised with
//! [`normalize_eval_name`]), and the statement that writes them at publish. Migration 0012
//! writes the same rows for versions published before it. Nothing here reads.

use modelreg_api::{Evaluation, normalize_eval_name};
use sqlx::{Database, Encode, QueryBuilder, Type};

/// One row of `version_evaluations`.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRow {
    pub dataset: String,
    pub metric: String,
    pub value: f64,
    pub task: Option<String>,
    /// (tag, primary subtag)
    pub language: Option<(String, String)>,
}

/// The rows of a version's evaluations, in manifest order.
pub(super) fn rows(evaluations: &[Evaluation]) -> Vec<EvalRow> {
    evaluations
        .iter()
        .map(|e| EvalRow {
            dataset: normalize_eval_name(&e.dataset),
            metric: normalize_eval_name(&e.metric),
            value: e.value,
            task: e.task.map(|t| t.to_string()),
            language: e.language.as_ref().map(|l| (l.to_string(), l.primary().to_owned())),
        })
        .collect()
}

/// The insert of version `version_id`'s evaluation rows, if it has any.
pub(super) fn insert<DB>(version_id: i64, rows: &[EvalRow]) -> Option<QueryBuilder<DB>>
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    if rows.is_empty() {
        return None;
    }
    let mut qb = QueryBuilder::new(
        "INSERT INTO version_evaluations \
         (version_id, position, dataset, metric, value, task, language, primary_language) ",
    );
    qb.push_values(rows.iter().enumerate(), |mut b, (i, row)| {
        b.push_bind(version_id)
            .push_bind(i as i64)
            .push_bind(row.dataset.clone())
            .push_bind(row.metric.clone())
            .push_bind(row.value)
            .push_bind(row.task.clone())
            .push_bind(row.language.as_ref().map(|l| l.0.clone()))
            .push_bind(row.language.as_ref().map(|l| l.1.clone()));
    });
    Some(qb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluation_rows_are_normalised_for_matching() {
        let evals: Vec<Evaluation> = serde_json::from_value(serde_json::json!([
            { "dataset": " Common_Voice ", "metric": "WER", "value": 18.5, "language": "sw-KE", "task": "automatic-speech-recognition" },
            { "dataset": "MMLU", "metric": "Accuracy", "value": 0.7 }
        ]))
        .unwrap();
        let rows = rows(&evals);
        assert_eq!((rows[0].dataset.as_str(), rows[0].metric.as_str()), ("common_voice", "wer"));
        assert_eq!(rows[0].language, Some(("sw-KE".to_owned(), "sw".to_owned())));
        assert_eq!(rows[0].task.as_deref(), Some("automatic-speech-recognition"));
        assert_eq!(
            (rows[1].dataset.as_str(), rows[1].metric.as_str(), rows[1].language.as_ref()),
            ("mmlu", "accuracy", None)
        );
    }
}
