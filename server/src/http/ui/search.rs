//! The search page (`/`): the filter form, the lookup's results as a table of the selection
//! criteria, and keyset paging with the lookup's cursor. The query string goes to the same
//! parser and the same service call as `GET /v1/models`; the page adds no filter of its own.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use modelreg_api::{LookupQuery, LookupRow, ModelName, Version};

use super::present::{class_badge, commercial_badge, grouped, human_count, human_size, version_marks};
use super::search_form::{Raw, form};
use super::{Caller, Page, Viewer};
use crate::service::{Principal, Registry, RegistryError};

pub async fn page(registry: web::Data<Registry>, viewer: Viewer, req: HttpRequest) -> HttpResponse {
    viewer.shell.respond(search(&registry, viewer.auth, &req).await)
}

async fn search(registry: &Registry, caller: Caller, req: &HttpRequest) -> Result<Page, RegistryError> {
    let auth = caller?;
    // An HTML form sends every empty control as `key=`; an empty control is no filter.
    let raw: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let parsed = LookupQuery::from_pairs(raw.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(|e| RegistryError::InvalidQuery { parameter: e.param, reason: e.reason });
    let outcome = match parsed {
        Ok(query) => results(registry, auth.caller(), query).await,
        Err(e) => Err(e),
    };
    let (status, listing) = match outcome {
        Ok((rows, yanked, next)) => (StatusCode::OK, table(&rows, &yanked, next.as_deref(), &raw)),
        Err(e @ RegistryError::InvalidQuery { .. }) => {
            (StatusCode::BAD_REQUEST, html! { p.error role="alert" { (e.to_string()) } })
        }
        Err(e) => return Err(e),
    };
    let body = html! {
        h1 { "Find a model" }
        div.layout {
            (form(&Raw(&raw)))
            section aria-label="Results" { (listing) }
        }
    };
    Ok(Page { status, title: "Search".into(), body })
}

type Results = (Vec<LookupRow>, HashSet<(ModelName, Version)>, Option<String>);

async fn results(
    registry: &Registry,
    caller: Option<&Principal>,
    query: LookupQuery,
) -> Result<Results, RegistryError> {
    let include_yanked = query.include_yanked;
    let page = registry.lookup(caller, query).await?;
    let rows = page.hits.into_iter().map(crate::http::lookup::row).collect::<Result<Vec<_>, _>>()?;
    // Lookup rows do not say whether they are yanked; they can only be when asked for.
    let yanked = if include_yanked {
        let models: Vec<ModelName> = rows.iter().map(|r| r.model.clone()).collect();
        registry.yanked_versions(&models).await?
    } else {
        HashSet::new()
    };
    Ok((rows, yanked, page.next_cursor))
}

/// The "Next" link: every filter kept, the cursor replaced.
fn next_href(raw: &[(String, String)], cursor: &str) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in raw.iter().filter(|(k, _)| k != "cursor") {
        s.append_pair(k, v);
    }
    s.append_pair("cursor", cursor);
    format!("/?{}", s.finish())
}

fn table(
    rows: &[LookupRow],
    yanked: &HashSet<(ModelName, Version)>,
    next: Option<&str>,
    raw: &[(String, String)],
) -> Markup {
    if rows.is_empty() {
        return html! { p { "No model matches these filters." } };
    }
    html! {
        form method="get" action="/compare" {
            p { (rows.len()) " results on this page. Tick 2 to 6 to compare them. "
                button type="submit" { "Compare selected" } }
            div.table-wrap {
                table {
                    caption { "Matching models" }
                    thead { tr {
                        th scope="col" { "Compare" }
                        th scope="col" { "Model" }
                        th scope="col" { "Version" }
                        th scope="col" { "Licence" }
                        th scope="col" { "Class" }
                        th scope="col" { "Commercial use" }
                        th scope="col" { "Task" }
                        th scope="col" { "Input → output" }
                        th scope="col" { "Languages" }
                        th scope="col" { "Context" }
                        th scope="col" { "Parameters" }
                        th scope="col" { "Size" }
                        th scope="col" { "Format" }
                        th scope="col" { "Published" }
                    } }
                    tbody {
                        @for r in rows { (row(r, yanked.contains(&(r.model.clone(), r.version.clone())))) }
                    }
                }
            }
        }
        @if let Some(cursor) = next {
            nav.paging aria-label="Pages" { a rel="next" href=(next_href(raw, cursor)) { "Next page →" } }
        }
    }
}

fn row(r: &LookupRow, yanked: bool) -> Markup {
    let id = format!("cmp-{}-{}", r.model.to_string().replace('/', "-"), r.version);
    let join =
        |v: &[modelreg_api::Modality]| v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    html! {
        tr {
            td {
                input id=(id) type="checkbox" name="m" value={ (r.model) "@" (r.version) };
                label.skip for=(id) { "Compare " (r.model) " " (r.version) }
            }
            th scope="row" { a href={ "/m/" (r.model) "/v/" (r.version) } { (r.model) } }
            td { (r.version) (version_marks(&r.version, yanked)) }
            td { code { (r.license) } }
            td { (class_badge(r.license_class)) }
            td { (commercial_badge(r.commercial_use)) }
            td { @if let Some(t) = r.task { (t) } @else { "—" } }
            td { (join(&r.modalities.input)) " → " (join(&r.modalities.output)) }
            td { (r.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(", ")) }
            td.num { @if let Some(c) = r.context_length { (grouped(c)) } @else { "—" } }
            td.num { @if let Some(p) = r.parameters { (human_count(p)) } @else { "—" } }
            td.num { (human_size(r.size_bytes)) }
            td { @if let Some(f) = r.format { (f) } @else { "—" } }
            td { (r.published_at.get(..10).unwrap_or(&r.published_at)) }
        }
    }
}
