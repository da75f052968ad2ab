//! The card's longer sections: the latency table, the risk notes, and datasets,
//! evaluations, tags and labels.

use modelreg_api::{Latency, Metadata, Risks};

use super::Lines;
use crate::quantity::grouped;
use crate::table;

/// One row per measurement; `-` where a measurement did not say.
pub(super) fn latency(out: &mut Lines, measurements: &[Latency]) {
    if measurements.is_empty() {
        return;
    }
    let dash = || "-".to_owned();
    let mut rows = vec![[
        "HARDWARE".to_owned(),
        "PRECISION".into(),
        "BATCH".into(),
        "IN".into(),
        "OUT".into(),
        "P50".into(),
        "P95".into(),
        "TOK/S".into(),
    ]];
    for l in measurements {
        rows.push([
            l.hardware.clone(),
            l.precision.map_or_else(dash, |p| p.to_string()),
            l.batch_size.map_or_else(dash, |b| b.to_string()),
            l.input_tokens.map_or_else(dash, grouped),
            l.output_tokens.map_or_else(dash, grouped),
            format!("{} ms", number(l.p50_ms)),
            l.p95_ms.map_or_else(dash, |v| format!("{} ms", number(v))),
            l.throughput_tokens_per_s.map_or_else(dash, number),
        ]);
    }
    out.line("latency:");
    out.indented(&table::render(&rows), 2);
    out.blank();
}

/// Each written note under its heading.
pub(super) fn risks(out: &mut Lines, risks: Option<&Risks>) {
    let Some(risks) = risks.filter(|r| r.any()) else { return };
    out.line("risks:");
    for (field, note) in risks.fields() {
        let Some(note) = note.as_deref().filter(|n| !n.trim().is_empty()) else { continue };
        out.line(format!("  {}:", heading(field)));
        out.indented(note.trim(), 4);
    }
    out.blank();
}

/// `intended_use` -> `Intended use`.
fn heading(field: &str) -> String {
    let words = field.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// Datasets, the evaluations table, tags and labels.
pub(super) fn datasets_and_labels(out: &mut Lines, meta: &Metadata) {
    if !meta.datasets.is_empty() {
        out.field("datasets", meta.datasets.join(", "));
    }
    if !meta.evaluations.is_empty() {
        let dash = || "-".to_owned();
        let mut rows =
            vec![["DATASET".to_owned(), "METRIC".into(), "VALUE".into(), "TASK".into(), "LANGUAGE".into()]];
        for e in &meta.evaluations {
            rows.push([
                e.dataset.clone(),
                e.metric.clone(),
                number(e.value),
                e.task.map_or_else(dash, |t| t.to_string()),
                e.language.as_ref().map_or_else(dash, ToString::to_string),
            ]);
        }
        out.line("evaluations:");
        out.indented(&table::render(&rows), 2);
    }
    if !meta.tags.is_empty() {
        out.field("tags", meta.tags.join(", "));
    }
    if !meta.labels.is_empty() {
        out.line("labels:");
        for (key, value) in &meta.labels {
            out.line(format!("  {key}: {value}"));
        }
    }
}

/// A measurement without noise: `42`, `8.5`, `0.25`, `1234`.
fn number(v: f64) -> String {
    let text = if v.fract() == 0.0 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    };
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measurements_print_without_noise() {
        assert_eq!(number(42.0), "42");
        assert_eq!(number(8.54), "8.5");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1234.56), "1235");
        assert_eq!(number(0.9123), "0.912");
        assert_eq!(number(3.0001), "3");
    }

    #[test]
    fn risk_fields_read_as_headings() {
        assert_eq!(heading("intended_use"), "Intended use");
        assert_eq!(heading("safety_evaluations"), "Safety evaluations");
    }
}
