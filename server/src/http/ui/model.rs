//! The model page (`/m/{ns}/{name}` for the latest version, `/m/{ns}/{name}/v/{version}` for
//! any): the card with every metadata field and where each value came from, licence terms in
//! words, risk notes; the tables are in `model_sections`, the memory estimate, the licence
//! through the lineage and the commands to fetch it in `model_facts`. Reads go
//! through the same service calls and visibility check as the JSON model routes.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use modelreg_api::{
    DerivedField, LicenseConflict, LicenseExpr, Metadata, VersionSelector, assess, license_terms,
};

use super::markdown::{is_safe_link, render};
use super::model_facts::{commands, effective_licence, memory};
use super::model_sections::{Sections, sections};
use super::present::{
    badge, class_badge, class_words, commercial_badge, fact_value, grouped, human_size, provenance,
    version_marks,
};
use super::{Caller, Page, Viewer};
use crate::service::{Registry, RegistryError, ResolvedVersion};

pub async fn latest(
    registry: web::Data<Registry>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (ns, name) = path.into_inner();
    viewer.shell.respond(model_page(&registry, viewer.auth, &ns, &name, None).await)
}

pub async fn version(
    registry: web::Data<Registry>,
    viewer: Viewer,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    let (ns, name, version) = path.into_inner();
    viewer.shell.respond(model_page(&registry, viewer.auth, &ns, &name, Some(&version)).await)
}

async fn model_page(
    registry: &Registry,
    caller: Caller,
    ns: &str,
    name: &str,
    version: Option<&str>,
) -> Result<Page, RegistryError> {
    let auth = caller?;
    let model = auth.model(registry, ns, name)?;
    let selector = match version {
        None => VersionSelector::Latest,
        Some(raw) => VersionSelector::Exact(raw.parse().map_err(|e: modelreg_api::VersionError| {
            RegistryError::Invalid {
                code: crate::service::InvalidCode::InvalidVersion,
                message: e.to_string(),
            }
        })?),
    };
    let versions = registry.list_versions(&model).await?;
    let shown = registry.resolve_for_page_listed(&model, &selector, &versions).await?;
    // Independent reads, so they share the wait.
    let ((aliases, alias_history), bases, derivatives) = tokio::try_join!(
        registry.list_aliases(&model, true),
        registry.base_chain(auth.caller(), &model, &shown.manifest.metadata),
        registry.derivatives(auth.caller(), &model),
    )?;
    let conflicts = registry.visible_conflicts(auth.caller(), &shown.effective_license);
    let title = format!("{model} {}", shown.record.version);
    let tables = Sections {
        model: &model,
        shown: &shown,
        versions: &versions,
        aliases: &aliases,
        alias_history: &alias_history,
        bases: &bases,
        derivatives: &derivatives,
    };
    Ok(Page::ok(title, body(&shown, &tables, &conflicts)))
}

fn body(shown: &ResolvedVersion, tables: &Sections<'_>, conflicts: &[LicenseConflict]) -> Markup {
    let (model, record, meta) = (&shown.model, &shown.record, &shown.manifest.metadata);
    html! {
        h1 { (model) " " span { (record.version) } (version_marks(&record.version, record.yanked.is_some())) }
        @if let Some(y) = &record.yanked {
            p.error role="note" { "This version is yanked: " (y.reason) }
        }
        @if let Some(d) = &meta.description { p { (d) } }
        (commands(model, &record.version))
        (licence(&meta.license, meta))
        (effective_licence(shown, conflicts, tables.bases))
        (card(shown))
        (memory(shown))
        (risks(meta))
        (sections(tables))
        @if let Some(readme) = &meta.readme {
            section aria-labelledby="readme" {
                h2 #readme { "README" }
                div.readme { (render(readme)) }
            }
        }
    }
}

fn yes_no(v: bool) -> &'static str {
    if v { "yes" } else { "no" }
}

fn licence(expr: &LicenseExpr, meta: &Metadata) -> Markup {
    let verdict = assess(expr);
    let declared = meta.license_terms.clone().unwrap_or_default();
    // Attribution and share-alike are known from the table only for a single licence id.
    let table = match verdict.ids.as_slice() {
        [one] => license_terms(one),
        _ => None,
    };
    let commercial = declared.commercial_use.unwrap_or(verdict.commercial_use);
    let source = |declared: bool| if declared { "declared" } else { "from the licence table" };
    html! {
        section aria-labelledby="licence" {
            h2 #licence { "Licence" }
            dl.card {
                dt { "Licence" }
                dd { code { (expr) } " " (class_badge(verdict.class)) " " (commercial_badge(commercial)) }
                dt { "Class" } dd { (class_words(verdict.class)) }
                dt { "Commercial use" }
                dd { (commercial_badge(commercial)) " " span.src { "(" (source(declared.commercial_use.is_some())) ")" } }
                @if let Some(a) = declared.attribution_required.or(table.map(|t| t.attribution_required)) {
                    dt { "Attribution required" }
                    dd { (yes_no(a)) " " span.src { "(" (source(declared.attribution_required.is_some())) ")" } }
                }
                @if let Some(s) = declared.share_alike.or(table.map(|t| t.share_alike)) {
                    dt { "Share alike" }
                    dd { (yes_no(s)) " " span.src { "(" (source(declared.share_alike.is_some())) ")" } }
                }
                @if !declared.restrictions.is_empty() {
                    dt { "Restrictions" }
                    dd { ul { @for r in &declared.restrictions { li { (r) } } } }
                }
                @if let Some(url) = &meta.license_url {
                    dt { "Licence text" }
                    dd { @if is_safe_link(url) { a href=(url) rel="noopener noreferrer nofollow" { (url) } } @else { code { (url) } } }
                }
                @if let Some(c) = &meta.cost { dt { "Cost notes" } dd { (c) } }
            }
        }
    }
}

fn card(shown: &ResolvedVersion) -> Markup {
    let meta = &shown.manifest.metadata;
    let list = |v: Vec<String>| if v.is_empty() { None } else { Some(v.join(", ")) };
    let plain: Vec<(&str, Option<String>)> = vec![
        ("Task", meta.task.map(|t| t.to_string())),
        (
            "Input",
            meta.modalities.as_ref().and_then(|m| list(m.input.iter().map(ToString::to_string).collect())),
        ),
        (
            "Output",
            meta.modalities.as_ref().and_then(|m| list(m.output.iter().map(ToString::to_string).collect())),
        ),
        ("Languages", list(meta.languages.iter().map(ToString::to_string).collect())),
        ("Max output", meta.max_output_tokens.map(|n| format!("{} tokens", grouped(n.get())))),
        ("Framework", meta.framework.clone()),
        ("Fine-tunable", meta.fine_tunable.map(|b| yes_no(b).to_owned())),
        (
            "Memory needed",
            meta.hardware.as_ref().and_then(|h| h.min_memory_bytes).map(|n| human_size(n.get())),
        ),
        ("Recommended hardware", meta.hardware.as_ref().and_then(|h| h.recommended.clone())),
        ("Datasets", list(meta.datasets.clone())),
        ("Tags", list(meta.tags.clone())),
        ("Labels", list(meta.labels.iter().map(|(k, v)| format!("{k}: {v}")).collect())),
    ];
    html! {
        section aria-labelledby="card" {
            h2 #card { "Model card" }
            dl.card {
                dt { "Version" } dd { (shown.record.version) (version_marks(&shown.record.version, shown.record.yanked.is_some())) }
                dt { "Published" } dd { (super::present::date(shown.record.published_at)) }
                dt { "Download size" } dd { (human_size(shown.record.size_bytes)) " in " (shown.record.file_count) " files " span.src { "(derived)" } }
                dt { "Digest" } dd.digest { (shown.record.digest) }
                @for field in DerivedField::ALL {
                    @if let Some((value, note)) = derivable(shown, *field) {
                        dt { (field_label(*field)) } dd { (value) " " span.src { "(" (note) ")" } }
                    }
                }
                @for (label, value) in plain {
                    @if let Some(v) = value { dt { (label) } dd { (v) " " span.src { "(declared)" } } }
                }
            }
        }
    }
}

fn field_label(field: DerivedField) -> &'static str {
    match field {
        DerivedField::Parameters => "Parameters",
        DerivedField::ContextLength => "Context length",
        DerivedField::Precision => "Precision",
        DerivedField::Quantization => "Quantization",
        DerivedField::Architecture => "Architecture",
        DerivedField::Format => "Format",
        DerivedField::WeightBytes => "Weight memory",
        DerivedField::KvCache => "KV cache",
    }
}

/// A field the registry can also read from files: its effective value and provenance.
pub(super) fn derivable(shown: &ResolvedVersion, field: DerivedField) -> Option<(String, String)> {
    // The memory facts are not single values: `model_facts::memory` shows them.
    if matches!(field, DerivedField::WeightBytes | DerivedField::KvCache) {
        return None;
    }
    if let Some(fact) = shown.facts.get(&field).filter(|f| !f.value.is_null()) {
        return Some((fact_value(field, &fact.value), provenance(field, fact)));
    }
    let meta = &shown.manifest.metadata;
    let declared = match field {
        DerivedField::Parameters => meta.parameters.map(|n| serde_json::Value::from(n.get())),
        DerivedField::ContextLength => meta.context_length.map(|n| serde_json::Value::from(n.get())),
        DerivedField::Precision => meta.precision.map(|p| p.as_str().into()),
        DerivedField::Quantization => meta.quantization.clone().map(Into::into),
        DerivedField::Architecture => meta.architecture.clone().map(Into::into),
        DerivedField::Format => meta.format.map(|f| f.as_str().into()),
        DerivedField::WeightBytes | DerivedField::KvCache => None,
    }?;
    Some((fact_value(field, &declared), "declared".to_owned()))
}

fn risks(meta: &Metadata) -> Markup {
    html! {
        section aria-labelledby="risks" {
            h2 #risks { "Risks and responsible use" }
            @match meta.risks.as_ref().filter(|r| r.any()) {
                None => p { (badge("prerelease", "no risk notes")) " The publisher wrote no risk notes." },
                Some(r) => {
                    @for (field, note) in r.fields() {
                        @if let Some(text) = note.as_deref().filter(|t| !t.trim().is_empty()) {
                            h3 { (field.replace('_', " ")) }
                            div.readme { (render(text)) }
                        }
                    }
                }
            }
        }
    }
}
