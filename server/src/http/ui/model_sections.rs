//! The tables of the model page: latency and evaluations of the shown version, all versions
//! (dates, yanked reasons, pre-releases), aliases and their history, files, and lineage up
//! and down as links. Everything here was already filtered by visibility in the service.

use maud::{Markup, html};
use modelreg_api::{ModelName, Version};

use super::present::{date, human_size, version_marks};
use crate::service::{AliasMoveRecord, AliasRecord, DerivativeRecord, VersionRecord};
use crate::service::{LineageStep, ResolvedVersion};

/// What the sections show, loaded by the page handler.
pub struct Sections<'a> {
    pub model: &'a ModelName,
    pub shown: &'a ResolvedVersion,
    pub versions: &'a [VersionRecord],
    pub aliases: &'a [AliasRecord],
    pub alias_history: &'a [AliasMoveRecord],
    pub bases: &'a [LineageStep],
    pub derivatives: &'a [DerivativeRecord],
}

fn version_href(model: &ModelName, v: &Version) -> String {
    format!("/m/{model}/v/{v}")
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

pub fn sections(s: &Sections<'_>) -> Markup {
    html! {
        (measurements(s.shown))
        (lineage(s))
        (versions(s))
        (aliases(s))
        (files(s.shown))
    }
}

fn measurements(shown: &ResolvedVersion) -> Markup {
    let meta = &shown.manifest.metadata;
    html! {
        section aria-labelledby="latency" {
            h2 #latency { "Latency" }
            @if meta.latency.is_empty() { p { "No latency measurements were published." } } @else {
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { "Hardware" } th scope="col" { "Precision" } th scope="col" { "Batch" }
                        th scope="col" { "Input tokens" } th scope="col" { "Output tokens" }
                        th scope="col" { "p50 (ms)" } th scope="col" { "p95 (ms)" } th scope="col" { "Tokens/s" }
                    } }
                    tbody { @for l in &meta.latency { tr {
                        th scope="row" { (l.hardware) }
                        td { (opt(l.precision)) } td.num { (opt(l.batch_size)) }
                        td.num { (opt(l.input_tokens)) } td.num { (opt(l.output_tokens)) }
                        td.num { (l.p50_ms) } td.num { (opt(l.p95_ms)) } td.num { (opt(l.throughput_tokens_per_s)) }
                    } } }
                } }
            }
        }
        section aria-labelledby="evaluations" {
            h2 #evaluations { "Evaluations" }
            @if meta.evaluations.is_empty() { p { "No evaluations were published." } } @else {
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { "Dataset" } th scope="col" { "Metric" } th scope="col" { "Value" }
                        th scope="col" { "Task" } th scope="col" { "Language" }
                    } }
                    tbody { @for e in &meta.evaluations { tr {
                        th scope="row" { (e.dataset) } td { (e.metric) } td.num { (e.value) }
                        td { (opt(e.task)) } td { (opt(e.language.as_ref())) }
                    } } }
                } }
            }
        }
    }
}

fn lineage(s: &Sections<'_>) -> Markup {
    html! {
        section aria-labelledby="lineage" {
            h2 #lineage { "Lineage" }
            h3 { "Based on" }
            @if s.bases.is_empty() { p { "No base model (or none you can see)." } } @else {
                ol { @for step in s.bases { li {
                    @if step.present {
                        @match &step.version {
                            Some(v) => a href=(version_href(&step.model, v)) { (step.model) " " (v) },
                            None => a href={ "/m/" (step.model) } { (step.model) },
                        }
                    } @else {
                        (step.model) @if let Some(v) = &step.version { " " (v) } " (not in this registry)"
                    }
                    @if let Some(r) = step.relation { " — " (r) }
                } } }
            }
            h3 { "Derived models" }
            @if s.derivatives.is_empty() { p { "No derived models you can see." } } @else {
                ul { @for d in s.derivatives { li {
                    a href=(version_href(&d.model, &d.version)) { (d.model) " " (d.version) }
                    @if let Some(r) = &d.relation { " — " (r) }
                    @if let Some(b) = &d.base_version { " (from " (b) ")" }
                } } }
            }
        }
    }
}

fn versions(s: &Sections<'_>) -> Markup {
    html! {
        section aria-labelledby="versions" {
            h2 #versions { "Versions" }
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Version" } th scope="col" { "Published" } th scope="col" { "Size" }
                    th scope="col" { "Files" } th scope="col" { "Yanked" }
                } }
                tbody { @for v in s.versions.iter().rev() { tr {
                    th scope="row" {
                        a href=(version_href(s.model, &v.version)) { (v.version) }
                        (version_marks(&v.version, v.yanked.is_some()))
                        @if v.version == s.shown.record.version { " (shown)" }
                    }
                    td { (date(v.published_at)) } td.num { (human_size(v.size_bytes)) } td.num { (v.file_count) }
                    td { @if let Some(y) = &v.yanked { (y.reason) " (" (date(y.at)) ", by " (y.by) ")" } @else { "no" } }
                } } }
            } }
        }
    }
}

fn aliases(s: &Sections<'_>) -> Markup {
    html! {
        section aria-labelledby="aliases" {
            h2 #aliases { "Aliases" }
            @if s.aliases.is_empty() { p { "No aliases." } } @else {
                div.table-wrap { table {
                    thead { tr { th scope="col" { "Alias" } th scope="col" { "Version" } th scope="col" { "Set" } } }
                    tbody { @for a in s.aliases { tr {
                        th scope="row" { (a.alias) }
                        td { a href=(version_href(s.model, &a.version)) { (a.version) } }
                        td { (date(a.updated_at)) " by " (a.updated_by) }
                    } } }
                } }
            }
            @if !s.alias_history.is_empty() {
                h3 { "Alias history" }
                div.table-wrap { table {
                    thead { tr {
                        th scope="col" { "When" } th scope="col" { "Alias" } th scope="col" { "From" }
                        th scope="col" { "To" } th scope="col" { "By" }
                    } }
                    tbody { @for h in s.alias_history.iter().rev() { tr {
                        th scope="row" { (date(h.at)) } td { (h.alias) }
                        td { (opt(h.from.as_ref())) } td { @if let Some(to) = &h.to { (to) } @else { "removed" } }
                        td { (h.actor) }
                    } } }
                } }
            }
        }
    }
}

fn files(shown: &ResolvedVersion) -> Markup {
    html! {
        section aria-labelledby="files" {
            h2 #files { "Files" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Path" } th scope="col" { "Size" } th scope="col" { "Digest" } } }
                tbody { @for f in &shown.manifest.files { tr {
                    th scope="row" { (f.path) } td.num { (human_size(f.size)) } td.digest { (f.digest) }
                } } }
            } }
        }
    }
}
