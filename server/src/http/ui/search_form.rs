//! The search page's filter form: one labelled control for every parameter the JSON lookup
//! accepts, filled from the query string as received (so a refused value is shown back to be
//! fixed). It only renders; parsing is `LookupQuery::from_pairs`, the API's parser.

use maud::{Markup, html};
use modelreg_api::{CommercialUse, Format, LicenseClass, Modality, Precision, Task};

/// The query string of the page, decoded, empty values dropped.
pub struct Raw<'a>(pub &'a [(String, String)]);

impl Raw<'_> {
    fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    fn one(&self, key: &str) -> &str {
        self.all(key).first().copied().unwrap_or("")
    }

    fn has(&self, key: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == key && v.eq_ignore_ascii_case(value))
    }
}

/// The whole form (GET to `/`).
pub fn form(raw: &Raw<'_>) -> Markup {
    html! {
        form.filters method="get" action="/" role="search" aria-label="Filter models" {
            fieldset {
                legend { "Text" }
                (text(raw, "q", "Free text (name, description)", "search"))
                (repeated(raw, "namespace", "Namespace"))
                (repeated(raw, "tag", "Tag"))
                (repeated(raw, "label", "Label (key:value)"))
            }
            fieldset {
                legend { "Licence" }
                (repeated(raw, "license", "Licence id (SPDX, e.g. MIT)"))
                (checks(raw, "license_class", "Licence class", LicenseClass::ALL.iter().map(|c| c.as_str())))
                (yes_no(raw, "commercial_use", "Commercial use permitted"))
                (checks(raw, "effective_license_class", "Licence class through its bases", LicenseClass::ALL.iter().map(|c| c.as_str())))
                (checks(raw, "effective_commercial_use", "Commercial use through its bases", CommercialUse::ALL.iter().map(|c| c.as_str())))
                (yes_no(raw, "license_conflicts", "Declares a freer licence than a base allows"))
            }
            fieldset {
                legend { "Task and modalities" }
                (multi(raw, "task", "Task", Task::ALL.iter().map(|t| t.as_str())))
                (checks(raw, "input_modality", "Input modality", Modality::ALL.iter().map(|m| m.as_str())))
                (checks(raw, "output_modality", "Output modality", Modality::ALL.iter().map(|m| m.as_str())))
                (checks(raw, "modality", "Modality, input or output", Modality::ALL.iter().map(|m| m.as_str())))
            }
            fieldset {
                legend { "Languages (BCP-47)" }
                (repeated(raw, "language", "Handles all of"))
                (repeated(raw, "any_language", "Handles any of"))
            }
            fieldset {
                legend { "Size and length" }
                (number(raw, "min_context", "Context at least (tokens)"))
                (number(raw, "max_context", "Context at most (tokens)"))
                (number(raw, "min_params", "Parameters at least"))
                (number(raw, "max_params", "Parameters at most"))
                (number(raw, "max_size_bytes", "Download size at most (bytes)"))
            }
            fieldset {
                legend { "Memory fit" }
                (text(raw, "fits_memory", "Fits in memory (e.g. 24GiB)", "text"))
                (number(raw, "at_context", "At context (tokens)"))
                (number(raw, "batch", "Batch (sequences)"))
                (text(raw, "kv_precision", "KV-cache precision (e.g. fp8)", "text"))
            }
            fieldset {
                legend { "Evaluations" }
                (repeated(raw, "eval", "Result (dataset:metric>=value or <=value)"))
                (repeated(raw, "eval_language", "Evaluated in language"))
            }
            fieldset {
                legend { "Deployment" }
                (multi(raw, "format", "Format", Format::ALL.iter().map(|f| f.as_str())))
                (multi(raw, "precision", "Precision", Precision::ALL.iter().map(|p| p.as_str())))
                (repeated(raw, "quantization", "Quantization (e.g. q4_k_m)"))
                (repeated(raw, "framework", "Framework"))
                (yes_no(raw, "fine_tunable", "Fine-tunable"))
                (text(raw, "base_model", "Derived from (namespace/name)", "text"))
            }
            fieldset {
                legend { "Latency" }
                (number_any(raw, "max_latency_ms", "p50 latency at most (ms)"))
                (text(raw, "hardware", "Measured on hardware (needs a latency)", "text"))
            }
            fieldset {
                legend { "Responsibility" }
                (yes_no(raw, "has_risk_notes", "Has risk notes"))
            }
            fieldset {
                legend { "Results" }
                (select(raw, "sort", "Sort by", &["name", "created", "updated", "parameters", "size", "context_length", "latency"]))
                (select(raw, "order", "Order", &["asc", "desc"]))
                (select(raw, "versions", "Versions", &["best", "all"]))
                (number(raw, "limit", "Results per page"))
                label.inline for="include_yanked" {
                    input #include_yanked type="checkbox" name="include_yanked" value="true"
                        checked[raw.has("include_yanked", "true")];
                    " Include yanked versions"
                }
            }
            button type="submit" { "Search" }
            " "
            a href="/" { "Clear filters" }
        }
    }
}

fn text(raw: &Raw<'_>, key: &str, label: &str, kind: &str) -> Markup {
    html! {
        label for=(key) { (label) }
        input id=(key) type=(kind) name=(key) value=(raw.one(key));
    }
}

fn number(raw: &Raw<'_>, key: &str, label: &str) -> Markup {
    html! {
        label for=(key) { (label) }
        input id=(key) type="number" min="0" name=(key) value=(raw.one(key));
    }
}

fn number_any(raw: &Raw<'_>, key: &str, label: &str) -> Markup {
    html! {
        label for=(key) { (label) }
        input id=(key) type="number" min="0" step="any" name=(key) value=(raw.one(key));
    }
}

/// A parameter that may repeat: one input per value given, plus an empty one to add another.
fn repeated(raw: &Raw<'_>, key: &str, label: &str) -> Markup {
    let values = raw.all(key);
    html! {
        @for (i, v) in values.iter().chain(std::iter::once(&"")).enumerate() {
            @let id = format!("{key}-{i}");
            label for=(id) { (label) @if i > 0 { " (another)" } }
            input id=(id) type="text" name=(key) value=(v);
        }
    }
}

fn yes_no(raw: &Raw<'_>, key: &str, label: &str) -> Markup {
    let v = raw.one(key);
    html! {
        label for=(key) { (label) }
        select id=(key) name=(key) {
            option value="" selected[v.is_empty()] { "either" }
            option value="true" selected[v == "true"] { "yes" }
            option value="false" selected[v == "false"] { "no" }
        }
    }
}

fn select(raw: &Raw<'_>, key: &str, label: &str, options: &[&str]) -> Markup {
    html! {
        label for=(key) { (label) }
        select id=(key) name=(key) {
            option value="" selected[raw.one(key).is_empty()] { "default" }
            @for o in options {
                option value=(o) selected[raw.has(key, o)] { (o.replace('_', " ")) }
            }
        }
    }
}

/// A multiple-choice list (several values repeat the parameter: any of them).
fn multi<'a>(raw: &Raw<'_>, key: &str, label: &str, options: impl Iterator<Item = &'a str>) -> Markup {
    html! {
        label for=(key) { (label) " (any of)" }
        select id=(key) name=(key) multiple size="4" {
            @for o in options {
                option value=(o) selected[raw.has(key, o)] { (o) }
            }
        }
    }
}

fn checks<'a>(raw: &Raw<'_>, key: &str, legend: &str, options: impl Iterator<Item = &'a str>) -> Markup {
    html! {
        fieldset {
            legend { (legend) " (any of)" }
            @for o in options {
                @let id = format!("{key}-{o}");
                label.inline for=(id) {
                    input id=(id) type="checkbox" name=(key) value=(o) checked[raw.has(key, o)];
                    " " (o.replace('_', " "))
                }
            }
        }
    }
}
