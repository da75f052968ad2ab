//! The compare page (`/compare?m=ns/a&m=ns/b@1.2.0`, 2 to 6 models): one column per model, one
//! row per selection criterion. Rows whose values differ say so, and where a criterion has a
//! direction (more context, smaller download, freer licence) the best value says so, in text.
//! Each model is read through the same visibility check and service call as its model page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use modelreg_api::{CommercialUse, DerivedField, LicenseClass, VersionSelector, assess};

use super::model::derivable;
use super::present::{
    badge, class_badge, commercial_badge, date, grouped, human_count, human_size, version_marks,
};
use super::{Caller, Page, Viewer};
use crate::service::{Registry, RegistryError, ResolvedVersion};

pub const MIN_MODELS: usize = 2;
pub const MAX_MODELS: usize = 6;

pub async fn page(registry: web::Data<Registry>, viewer: Viewer, req: HttpRequest) -> HttpResponse {
    viewer.shell.respond(compare(&registry, viewer.auth, &req).await)
}

fn bad(reason: impl Into<String>) -> RegistryError {
    RegistryError::invalid_query("m", reason.into())
}

async fn compare(registry: &Registry, caller: Caller, req: &HttpRequest) -> Result<Page, RegistryError> {
    let auth = caller?;
    let mut wanted = Vec::new();
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if k != "m" {
            return Err(RegistryError::invalid_query(
                k.into_owned(),
                "unknown parameter (compare takes only m)",
            ));
        }
        wanted.push(v.into_owned());
    }
    if !(MIN_MODELS..=MAX_MODELS).contains(&wanted.len()) {
        return Err(bad(format!("compare takes {MIN_MODELS} to {MAX_MODELS} models, got {}", wanted.len())));
    }
    let mut shown = Vec::with_capacity(wanted.len());
    for w in &wanted {
        let (name, selector) = w.split_once('@').map_or((w.as_str(), None), |(n, s)| (n, Some(s)));
        let (ns, name) =
            name.split_once('/').ok_or_else(|| bad(format!("'{w}' is not namespace/name[@version]")))?;
        let model = auth.model(registry, ns, name)?;
        let selector = match selector {
            None => VersionSelector::Latest,
            Some(s) => s.parse().map_err(|e: modelreg_api::VersionError| bad(format!("'{w}': {e}")))?,
        };
        shown.push(registry.resolve_for_page(&model, &selector).await?);
    }
    Ok(Page { status: StatusCode::OK, title: "Compare".into(), body: table(&shown) })
}

/// Which way a criterion is better, if it has a direction at all.
#[derive(Clone, Copy)]
enum Better {
    Higher,
    Lower,
    None,
}

/// One criterion: each model's cell, the text compared for "differs", and a rank key.
struct Row {
    label: String,
    cells: Vec<(Markup, String, Option<f64>)>,
    better: Better,
}

#[expect(clippy::cast_precision_loss, reason = "ranking keys only; exact to 2^53")]
fn num(n: Option<u64>) -> Option<f64> {
    n.map(|n| n as f64)
}

fn text_row(label: &str, shown: &[ResolvedVersion], f: impl Fn(&ResolvedVersion) -> Option<String>) -> Row {
    let cells = shown
        .iter()
        .map(|s| {
            let t = f(s).unwrap_or_else(|| "—".to_owned());
            (html! { (t) }, t, None)
        })
        .collect();
    Row { label: label.to_owned(), cells, better: Better::None }
}

fn rank_of<T: PartialEq>(all: &[T], unknown: &T, v: &T) -> Option<f64> {
    #[expect(clippy::cast_precision_loss, reason = "a handful of positions")]
    (v != unknown).then(|| all.iter().position(|x| x == v).map(|i| i as f64)).flatten()
}

fn rows(shown: &[ResolvedVersion]) -> Vec<Row> {
    let list = |v: Vec<String>| (!v.is_empty()).then(|| v.join(", "));
    let fact = |field| move |s: &ResolvedVersion| derivable(s, field).map(|(v, _)| v);
    let mut rows = vec![
        Row {
            label: "Version".into(),
            cells: shown
                .iter()
                .map(|s| {
                    let v = &s.record.version;
                    (html! { (v) (version_marks(v, s.record.yanked.is_some())) }, v.to_string(), None)
                })
                .collect(),
            better: Better::None,
        },
        text_row("Licence", shown, |s| Some(s.manifest.metadata.license.to_string())),
        Row {
            label: "Licence class (freer is better)".into(),
            cells: shown
                .iter()
                .map(|s| {
                    let c = assess(&s.manifest.metadata.license).class;
                    (
                        class_badge(c),
                        c.as_str().to_owned(),
                        rank_of(&LicenseClass::ALL, &LicenseClass::Unknown, &c).map(|r| -r),
                    )
                })
                .collect(),
            better: Better::Higher,
        },
        Row {
            label: "Commercial use".into(),
            cells: shown
                .iter()
                .map(|s| {
                    let m = &s.manifest.metadata;
                    let c = m
                        .license_terms
                        .as_ref()
                        .and_then(|t| t.commercial_use)
                        .unwrap_or_else(|| assess(&m.license).commercial_use);
                    (
                        commercial_badge(c),
                        c.as_str().to_owned(),
                        rank_of(&CommercialUse::ALL, &CommercialUse::Unknown, &c).map(|r| -r),
                    )
                })
                .collect(),
            better: Better::Higher,
        },
        text_row("Task", shown, |s| s.manifest.metadata.task.map(|t| t.to_string())),
        text_row("Input", shown, |s| {
            s.manifest
                .metadata
                .modalities
                .as_ref()
                .and_then(|m| list(m.input.iter().map(ToString::to_string).collect()))
        }),
        text_row("Output", shown, |s| {
            s.manifest
                .metadata
                .modalities
                .as_ref()
                .and_then(|m| list(m.output.iter().map(ToString::to_string).collect()))
        }),
        text_row("Languages", shown, |s| {
            list(s.manifest.metadata.languages.iter().map(ToString::to_string).collect())
        }),
        number_row(
            "Context length (tokens, more is better)",
            shown,
            Better::Higher,
            |s| derivable_u64(s, DerivedField::ContextLength),
            grouped,
        ),
        number_row(
            "Max output (tokens, more is better)",
            shown,
            Better::Higher,
            |s| s.manifest.metadata.max_output_tokens.map(|n| n.get()),
            grouped,
        ),
        number_row(
            "Parameters",
            shown,
            Better::None,
            |s| derivable_u64(s, DerivedField::Parameters),
            human_count,
        ),
        number_row(
            "Download size (smaller is better)",
            shown,
            Better::Lower,
            |s| Some(s.record.size_bytes),
            human_size,
        ),
        text_row("Format", shown, fact(DerivedField::Format)),
        text_row("Precision", shown, fact(DerivedField::Precision)),
        text_row("Quantization", shown, fact(DerivedField::Quantization)),
        text_row("Architecture", shown, fact(DerivedField::Architecture)),
        text_row("Framework", shown, |s| s.manifest.metadata.framework.clone()),
        flag_row("Fine-tunable", shown, |s| s.manifest.metadata.fine_tunable),
        flag_row("Risk notes", shown, |s| {
            Some(s.manifest.metadata.risks.as_ref().is_some_and(modelreg_api::Risks::any))
        }),
        text_row("Base model", shown, |s| {
            s.manifest.metadata.base_model.as_ref().map(|b| b.model.to_string())
        }),
        text_row("Published", shown, |s| Some(date(s.record.published_at))),
    ];
    let mut hardware: Vec<&str> =
        shown.iter().flat_map(|s| s.manifest.metadata.latency.iter().map(|l| l.hardware.as_str())).collect();
    hardware.sort_unstable();
    hardware.dedup();
    for hw in hardware {
        let cells = shown
            .iter()
            .map(|s| {
                let best = s
                    .manifest
                    .metadata
                    .latency
                    .iter()
                    .filter(|l| l.hardware == hw)
                    .map(|l| l.p50_ms)
                    .reduce(f64::min);
                let t = best.map_or_else(|| "—".to_owned(), |ms| format!("{ms} ms"));
                (html! { (t) }, t, best)
            })
            .collect();
        rows.push(Row {
            label: format!("p50 latency on {hw} (lower is better)"),
            cells,
            better: Better::Lower,
        });
    }
    rows
}

fn derivable_u64(s: &ResolvedVersion, field: DerivedField) -> Option<u64> {
    s.facts.get(&field).and_then(|f| f.value.as_u64()).or(match field {
        DerivedField::Parameters => s.manifest.metadata.parameters.map(|n| n.get()),
        DerivedField::ContextLength => s.manifest.metadata.context_length.map(|n| n.get()),
        _ => None,
    })
}

fn number_row(
    label: &str,
    shown: &[ResolvedVersion],
    better: Better,
    value: impl Fn(&ResolvedVersion) -> Option<u64>,
    show: fn(u64) -> String,
) -> Row {
    let cells = shown.iter().map(|s| {
        let v = value(s);
        let t = v.map_or_else(|| "—".to_owned(), show);
        (html! { (t) }, t, num(v))
    });
    Row { label: label.to_owned(), cells: cells.collect(), better }
}

fn flag_row(label: &str, shown: &[ResolvedVersion], value: impl Fn(&ResolvedVersion) -> Option<bool>) -> Row {
    let cells = shown.iter().map(|s| {
        let v = value(s);
        let t = v.map_or("—", |b| if b { "yes" } else { "no" }).to_owned();
        (html! { (t) }, t, v.map(|b| if b { 1.0 } else { 0.0 }))
    });
    Row { label: format!("{label} (yes is better)"), cells: cells.collect(), better: Better::Higher }
}

/// Which cells hold the best value: only when at least two are ranked and they differ.
fn best_cells(row: &Row) -> Vec<bool> {
    let keys: Vec<Option<f64>> = row.cells.iter().map(|c| c.2).collect();
    let ranked: Vec<f64> = keys.iter().flatten().copied().collect();
    let best = match row.better {
        Better::None => None,
        Better::Higher => ranked.iter().copied().reduce(f64::max),
        Better::Lower => ranked.iter().copied().reduce(f64::min),
    };
    let all_same = ranked.windows(2).all(|w| w[0] == w[1]);
    match best {
        Some(b) if ranked.len() >= 2 && !all_same => keys.iter().map(|k| *k == Some(b)).collect(),
        _ => vec![false; keys.len()],
    }
}

fn table(shown: &[ResolvedVersion]) -> Markup {
    html! {
        h1 { "Compare " (shown.len()) " models" }
        p { "Rows marked “differs” have different values; “best” marks the best value where a criterion has a direction." }
        div.table-wrap { table {
            caption { "Models side by side" }
            thead { tr {
                th scope="col" { "Criterion" }
                @for s in shown {
                    th scope="col" { a href={ "/m/" (s.model) "/v/" (s.record.version) } { (s.model) } }
                }
            } }
            tbody { @for row in rows(shown) {
                @let differs = row.cells.windows(2).any(|w| w[0].1 != w[1].1);
                @let best = best_cells(&row);
                tr class=[differs.then_some("differs")] {
                    th scope="row" { (row.label) @if differs { " " (badge("prerelease", "differs")) } }
                    @for (cell, is_best) in row.cells.iter().zip(best) {
                        td { (cell.0) @if is_best { " " strong { (badge("best", "best")) } } }
                    }
                }
            } }
        } }
    }
}
