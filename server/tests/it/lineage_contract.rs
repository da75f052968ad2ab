//! Effective licences through lineage on both databases: a chain, a merge, a conflict, a
//! base published after its derivative, a base outside the registry, a cycle, and the
//! lookup filters over the stored answers.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use modelreg_api::{CommercialUse, EffectiveLicense, Facts, LicenseClass, LookupQuery};
use modelreg_server::store::{MetadataStore, Strategy};
use serde_json::{Value, json};

store_contract!(
    a_three_level_chain_carries_the_root_licence_and_flags_the_conflicts,
    a_merge_takes_the_stricter_of_its_bases,
    a_merge_is_a_derivative_of_each_of_its_bases,
    publishing_a_base_after_its_derivatives_updates_the_whole_chain,
    a_base_outside_the_registry_counts_with_its_stated_licence_or_unknown,
    a_cycle_of_bases_ends,
    yanking_or_deleting_a_base_recomputes_its_derivatives,
    a_base_and_its_derivative_published_at_once_agree,
    lookup_filters_on_the_effective_licence_and_conflicts,
);

async fn publish(store: &Arc<dyn MetadataStore>, model: &str, version: &str, metadata: Value) {
    crate::lookup_contract::publish(store, model, version, metadata, Facts::new(), 0).await;
}

async fn effective(store: &Arc<dyn MetadataStore>, model: &str, version: &str) -> EffectiveLicense {
    let detail = store.get_version(&model.parse().unwrap(), &version.parse().unwrap()).await.unwrap();
    detail.unwrap_or_else(|| panic!("{model}@{version} not found")).effective_license
}

fn verdict(e: &EffectiveLicense) -> (LicenseClass, CommercialUse) {
    (e.class, e.commercial_use)
}

fn conflict_bases(e: &EffectiveLicense) -> Vec<&str> {
    e.conflicts.iter().map(|c| c.base.as_str()).collect()
}

const LLAMA: (LicenseClass, CommercialUse) = (LicenseClass::RestrictedUse, CommercialUse::Restricted);
const UNKNOWN: (LicenseClass, CommercialUse) = (LicenseClass::Unknown, CommercialUse::Unknown);

fn card(license: &str, bases: &[Value]) -> Value {
    let mut m = json!({ "license": license });
    if let Some((first, rest)) = bases.split_first() {
        m["base_model"] = first.clone();
        if !rest.is_empty() {
            m["base_models"] = Value::Array(rest.to_vec());
        }
    }
    m
}

async fn seed_chain(store: &Arc<dyn MetadataStore>) {
    publish(store, "meta/llama-3", "1.0.0", card("LicenseRef-llama3", &[])).await;
    publish(store, "acme/ft", "1.0.0", card("Apache-2.0", &[json!({ "model": "meta/llama-3" })])).await;
    publish(store, "acme/ft-q4", "1.0.0", card("MIT", &[json!({ "model": "acme/ft", "version": "1.0.0" })]))
        .await;
    publish(store, "acme/plain", "1.0.0", card("MIT", &[])).await;
}

async fn a_three_level_chain_carries_the_root_licence_and_flags_the_conflicts(store: Arc<dyn MetadataStore>) {
    seed_chain(&store).await;
    let root = effective(&store, "meta/llama-3", "1.0.0").await;
    assert_eq!((verdict(&root), root.conflicts.len()), (LLAMA, 0));
    let ft = effective(&store, "acme/ft", "1.0.0").await;
    assert_eq!(verdict(&ft), LLAMA, "Apache-2.0 on a Llama-3 fine-tune is bound by Llama's terms");
    assert_eq!(conflict_bases(&ft), ["meta/llama-3@1.0.0"]);
    assert_eq!(
        (ft.conflicts[0].declared_class, ft.conflicts[0].base_class),
        (LicenseClass::Permissive, LicenseClass::RestrictedUse)
    );
    let q = effective(&store, "acme/ft-q4", "1.0.0").await;
    assert_eq!(verdict(&q), LLAMA);
    assert_eq!(conflict_bases(&q), ["acme/ft@1.0.0"]);
    let plain = effective(&store, "acme/plain", "1.0.0").await;
    assert_eq!(
        (verdict(&plain), plain.conflicts.len()),
        ((LicenseClass::Permissive, CommercialUse::Allowed), 0)
    );
}

async fn a_merge_takes_the_stricter_of_its_bases(store: Arc<dyn MetadataStore>) {
    publish(&store, "a/gpl", "1.0.0", card("GPL-3.0-only", &[])).await;
    publish(&store, "b/nc", "1.0.0", card("CC-BY-NC-4.0", &[])).await;
    let both = [json!({ "model": "a/gpl" }), json!({ "model": "b/nc" })];
    publish(&store, "acme/merge-nc", "1.0.0", card("CC-BY-NC-4.0", &both)).await;
    publish(&store, "acme/merge-gpl", "1.0.0", card("GPL-3.0-only", &both)).await;
    let nc = effective(&store, "acme/merge-nc", "1.0.0").await;
    assert_eq!(verdict(&nc), (LicenseClass::NonCommercial, CommercialUse::Forbidden));
    assert!(nc.conflicts.is_empty(), "{nc:?}");
    let gpl = effective(&store, "acme/merge-gpl", "1.0.0").await;
    assert_eq!(verdict(&gpl), (LicenseClass::NonCommercial, CommercialUse::Forbidden));
    assert_eq!(conflict_bases(&gpl), ["b/nc@1.0.0"]);
}

async fn publishing_a_base_after_its_derivatives_updates_the_whole_chain(store: Arc<dyn MetadataStore>) {
    publish(&store, "acme/ft", "1.0.0", card("Apache-2.0", &[json!({ "model": "meta/llama-3" })])).await;
    publish(&store, "acme/ft-q4", "1.0.0", card("MIT", &[json!({ "model": "acme/ft" })])).await;
    assert_eq!(verdict(&effective(&store, "acme/ft", "1.0.0").await), UNKNOWN, "base not yet known");
    assert_eq!(verdict(&effective(&store, "acme/ft-q4", "1.0.0").await), UNKNOWN);
    assert!(names(&store, "effective_license_class=restricted_use").await.is_empty());

    publish(&store, "meta/llama-3", "1.0.0", card("LicenseRef-llama3", &[])).await;
    let ft = effective(&store, "acme/ft", "1.0.0").await;
    assert_eq!((verdict(&ft), conflict_bases(&ft)), (LLAMA, vec!["meta/llama-3@1.0.0"]));
    let q = effective(&store, "acme/ft-q4", "1.0.0").await;
    assert_eq!((verdict(&q), conflict_bases(&q)), (LLAMA, vec!["acme/ft@1.0.0"]));
    assert_eq!(
        names(&store, "effective_license_class=restricted_use").await,
        ["acme/ft", "acme/ft-q4", "meta/llama-3"]
    );

    // A newer release of an unpinned base is the one that counts.
    publish(&store, "meta/llama-3", "2.0.0", card("CC-BY-NC-4.0", &[])).await;
    let q = effective(&store, "acme/ft-q4", "1.0.0").await;
    assert_eq!(verdict(&q), (LicenseClass::NonCommercial, CommercialUse::Forbidden));
}

async fn a_base_outside_the_registry_counts_with_its_stated_licence_or_unknown(
    store: Arc<dyn MetadataStore>,
) {
    let stated = json!({ "model": "ext/llama-3", "license": "LicenseRef-llama3" });
    publish(&store, "acme/stated", "1.0.0", card("Apache-2.0", &[stated])).await;
    publish(&store, "acme/silent", "1.0.0", card("Apache-2.0", &[json!({ "model": "ext/other" })])).await;
    let e = effective(&store, "acme/stated", "1.0.0").await;
    assert_eq!((verdict(&e), conflict_bases(&e)), (LLAMA, vec!["ext/llama-3"]));
    let e = effective(&store, "acme/silent", "1.0.0").await;
    assert_eq!((verdict(&e), e.conflicts.len()), (UNKNOWN, 0));
}

async fn a_cycle_of_bases_ends(store: Arc<dyn MetadataStore>) {
    publish(&store, "acme/a", "1.0.0", card("MIT", &[json!({ "model": "acme/b" })])).await;
    publish(&store, "acme/b", "1.0.0", card("CC-BY-NC-4.0", &[json!({ "model": "acme/a" })])).await;
    let a = effective(&store, "acme/a", "1.0.0").await;
    assert_eq!(verdict(&a), (LicenseClass::NonCommercial, CommercialUse::Forbidden));
    let b = effective(&store, "acme/b", "1.0.0").await;
    assert_eq!(verdict(&b), (LicenseClass::NonCommercial, CommercialUse::Forbidden));
}

fn query(s: &str) -> LookupQuery {
    let pairs: Vec<(&str, &str)> = s.split('&').map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    LookupQuery::from_pairs(pairs).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Model names of every match (one page is enough here); every strategy must agree.
async fn names(store: &Arc<dyn MetadataStore>, s: &str) -> Vec<String> {
    let q = query(s);
    let mut seen = None;
    for strategy in [Strategy::Scan, Strategy::Walk, Strategy::Seek, Strategy::Buckets, Strategy::Auto] {
        let hits = store.lookup(&q, None, strategy).await.unwrap();
        let names: Vec<String> = hits.iter().map(|h| format!("{}/{}", h.namespace, h.name)).collect();
        if let Some(first) = &seen {
            assert_eq!(&names, first, "{strategy:?} disagrees on {s}");
        }
        seen = Some(names);
    }
    seen.unwrap()
}

async fn lookup_filters_on_the_effective_licence_and_conflicts(store: Arc<dyn MetadataStore>) {
    seed_chain(&store).await;
    let cases: &[(&str, &[&str])] = &[
        ("effective_license_class=restricted_use", &["acme/ft", "acme/ft-q4", "meta/llama-3"]),
        ("effective_license_class=permissive", &["acme/plain"]),
        ("license_class=permissive", &["acme/ft", "acme/ft-q4", "acme/plain"]),
        ("effective_commercial_use=allowed", &["acme/plain"]),
        (
            "effective_commercial_use=restricted&effective_commercial_use=forbidden",
            &["acme/ft", "acme/ft-q4", "meta/llama-3"],
        ),
        ("license_conflicts=true", &["acme/ft", "acme/ft-q4"]),
        ("license_conflicts=false", &["acme/plain", "meta/llama-3"]),
        ("license_class=permissive&effective_license_class=permissive", &["acme/plain"]),
    ];
    for (s, expected) in cases {
        assert_eq!(names(&store, s).await, *expected, "{s}");
    }
    let hits = store.lookup(&query("q=ft-q4"), None, Strategy::Auto).await.unwrap();
    assert_eq!(
        (hits[0].effective_license_class.as_str(), hits[0].effective_commercial_use.as_str()),
        ("restricted_use", "restricted")
    );
    assert!(hits[0].license_conflicts.contains("acme/ft@1.0.0"), "{}", hits[0].license_conflicts);
}

async fn yanking_or_deleting_a_base_recomputes_its_derivatives(store: Arc<dyn MetadataStore>) {
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
    let base = "meta/llama-3".parse().unwrap();
    publish(&store, "meta/llama-3", "1.0.0", card("LicenseRef-llama3", &[])).await;
    publish(&store, "meta/llama-3", "2.0.0", card("CC-BY-NC-4.0", &[])).await;
    publish(&store, "acme/ft", "1.0.0", card("Apache-2.0", &[json!({ "model": "meta/llama-3" })])).await;
    publish(&store, "acme/ft-q4", "1.0.0", card("MIT", &[json!({ "model": "acme/ft" })])).await;
    let nc = (LicenseClass::NonCommercial, CommercialUse::Forbidden);
    assert_eq!(verdict(&effective(&store, "acme/ft-q4", "1.0.0").await), nc);

    // Yanked, 2.0.0 is no longer the latest release: 1.0.0 counts, down the chain.
    assert!(
        store.set_yank(&base, &"2.0.0".parse().unwrap(), Some("wrong licence"), "test", at).await.unwrap()
    );
    assert_eq!(verdict(&effective(&store, "acme/ft-q4", "1.0.0").await), LLAMA);
    assert!(store.set_yank(&base, &"2.0.0".parse().unwrap(), None, "test", at).await.unwrap());
    assert_eq!(verdict(&effective(&store, "acme/ft-q4", "1.0.0").await), nc);

    assert!(store.delete_version(&base, &"2.0.0".parse().unwrap(), "test", at).await.unwrap());
    assert_eq!(verdict(&effective(&store, "acme/ft", "1.0.0").await), LLAMA);
    assert_eq!(store.delete_model(&base, "test", at).await.unwrap(), Some(1));
    let ft = effective(&store, "acme/ft", "1.0.0").await;
    assert_eq!((verdict(&ft), ft.conflicts.len()), (UNKNOWN, 0), "a deleted base is no longer known");
    assert_eq!(verdict(&effective(&store, "acme/ft-q4", "1.0.0").await), UNKNOWN);
}

async fn a_merge_is_a_derivative_of_each_of_its_bases(store: Arc<dyn MetadataStore>) {
    publish(&store, "a/gpl", "1.0.0", card("GPL-3.0-only", &[])).await;
    publish(&store, "b/nc", "1.0.0", card("CC-BY-NC-4.0", &[])).await;
    let both = [json!({ "model": "a/gpl" }), json!({ "model": "b/nc", "version": "1.0.0" })];
    publish(&store, "acme/merge", "1.0.0", card("CC-BY-NC-4.0", &both)).await;
    publish(&store, "acme/ft", "1.0.0", card("GPL-3.0-only", &[json!({ "model": "a/gpl" })])).await;
    assert_eq!(names(&store, "base_model=b/nc").await, ["acme/merge"]);
    assert_eq!(names(&store, "base_model=a/gpl").await, ["acme/ft", "acme/merge"]);
    let listed = store.list_derivatives(&"b/nc".parse().unwrap()).await.unwrap();
    let listed: Vec<_> = listed.iter().map(|d| (d.model.to_string(), d.base_version.clone())).collect();
    assert_eq!(listed, [("acme/merge".to_owned(), Some("1.0.0".to_owned()))]);
}

async fn a_base_and_its_derivative_published_at_once_agree(store: Arc<dyn MetadataStore>) {
    // Without serialising the lineage step, each publish can miss the other's uncommitted
    // rows: the derivative sees no base, and the base sees no derivative to recompute.
    for i in 0..12 {
        let (base, ft) = (format!("meta/llama-{i}"), format!("acme/ft-{i}"));
        let derivative = card("Apache-2.0", &[json!({ "model": base })]);
        tokio::join!(
            publish(&store, &base, "1.0.0", card("LicenseRef-llama3", &[])),
            publish(&store, &ft, "1.0.0", derivative),
        );
        let e = effective(&store, &ft, "1.0.0").await;
        assert_eq!((verdict(&e), e.conflicts.len()), (LLAMA, 1), "round {i}");
    }
}
