//! Evaluations as queryable data (issue 14) on both databases: the `eval=` filter with its
//! language, `sort=eval:<dataset>:<metric>` best first by the metric's direction with missing
//! evaluations last across pages, and migration 0012's backfill writing what publish writes.

use std::sync::Arc;

use modelreg_api::{Facts, LookupQuery, MAX_EVAL_FILTERS, MAX_EVAL_LANGUAGES};
use modelreg_server::store::{Cursor, MetadataStore, Strategy};
use serde_json::{Value, json};

store_contract!(
    eval_filters_match_an_evaluation_within_the_bound_and_never_a_missing_one,
    swahili_asr_with_wer_under_20_is_one_query,
    evaluation_sorts_are_best_first_by_metric_direction_with_missing_last_across_pages,
    the_largest_evaluation_query_the_caps_allow_runs_on_every_strategy,
);

async fn publish(store: &Arc<dyn MetadataStore>, model: &str, version: &str, metadata: Value, at: u32) {
    crate::lookup_contract::publish(store, model, version, metadata, Facts::new(), at).await;
}

fn asr(evaluations: Value) -> Value {
    json!({ "license": "MIT", "task": "automatic-speech-recognition", "evaluations": evaluations })
}

fn wer(dataset: &str, value: f64, language: &str) -> Value {
    json!({ "task": "automatic-speech-recognition", "dataset": dataset, "metric": "wer", "value": value, "language": language })
}

fn mmlu(value: f64) -> Value {
    json!({ "license": "MIT", "task": "text-generation", "evaluations": [{ "dataset": "mmlu", "metric": "accuracy", "value": value }] })
}

/// Speech models with word error rates per language, and language models with accuracies.
async fn seed(store: &Arc<dyn MetadataStore>) {
    // 1.1.0 is the better release; its Kenyan Swahili WER is 18.5.
    publish(store, "asr/sw-base", "1.0.0", asr(json!([wer("common_voice", 30.0, "sw")])), 1).await;
    publish(
        store,
        "asr/sw-base",
        "1.1.0",
        asr(json!([wer("common_voice", 18.5, "sw-KE"), wer("common_voice", 9.0, "en")])),
        2,
    )
    .await;
    // Names in another case are the same dataset and metric.
    publish(
        store,
        "asr/sw-large",
        "2.0.0",
        asr(json!([{ "dataset": "Common_Voice", "metric": "WER", "value": 14.0, "language": "sw-TZ" }])),
        3,
    )
    .await;
    // Good at French, poor at Swahili.
    publish(
        store,
        "asr/multi",
        "1.0.0",
        asr(json!([wer("common_voice", 25.0, "sw"), wer("common_voice", 12.0, "fr")])),
        4,
    )
    .await;
    // Swahili on another dataset only, and no evaluation at all.
    publish(store, "asr/fleurs-only", "1.0.0", asr(json!([wer("fleurs", 11.0, "sw")])), 5).await;
    publish(store, "asr/unevaluated", "1.0.0", asr(json!([])), 6).await;
    publish(store, "llm/mid", "1.0.0", mmlu(0.70), 7).await;
    publish(store, "llm/low", "1.0.0", mmlu(0.55), 8).await;
    publish(store, "llm/high", "1.0.0", mmlu(0.82), 9).await;
    publish(store, "llm/unevaluated", "1.0.0", json!({ "license": "MIT", "task": "text-generation" }), 10)
        .await;
    publish(store, "llm/tied", "1.0.0", mmlu(0.70), 11).await;
}

fn query(s: &str) -> LookupQuery {
    let pairs: Vec<(&str, &str)> =
        s.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    LookupQuery::from_pairs(pairs).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Every page of a lookup as `name@version=eval_value`; every strategy must agree.
async fn all_pages(store: &Arc<dyn MetadataStore>, s: &str) -> Vec<String> {
    let q = query(s);
    let scanned = pages_with(store, &q, Strategy::Scan).await;
    for strategy in [Strategy::Walk, Strategy::Seek, Strategy::Buckets, Strategy::Auto] {
        assert_eq!(pages_with(store, &q, strategy).await, scanned, "{strategy:?} and Scan disagree on {s}");
    }
    scanned
}

async fn pages_with(store: &Arc<dyn MetadataStore>, q: &LookupQuery, strategy: Strategy) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let mut hits = store.lookup(q, cursor.as_ref(), strategy).await.unwrap();
        let more = hits.len() > q.limit as usize;
        hits.truncate(q.limit as usize);
        out.extend(hits.iter().map(|h| match h.eval_value {
            Some(v) => format!("{}/{}@{}={v}", h.namespace, h.name, h.version),
            None => format!("{}/{}@{}", h.namespace, h.name, h.version),
        }));
        if !more {
            return out;
        }
        // Through the client's opaque form, as the service hands it out.
        let next = Cursor::after(hits.last().unwrap(), q).encode();
        cursor = Some(Cursor::decode(&next, q).unwrap());
        assert!(out.len() < 1000, "paging does not terminate");
    }
}

async fn names(store: &Arc<dyn MetadataStore>, s: &str) -> Vec<String> {
    let mut names: Vec<String> =
        all_pages(store, s).await.into_iter().map(|n| n.split('@').next().unwrap().to_owned()).collect();
    names.sort();
    names
}

async fn eval_filters_match_an_evaluation_within_the_bound_and_never_a_missing_one(
    store: Arc<dyn MetadataStore>,
) {
    seed(&store).await;
    for (q, expected) in [
        ("eval=common_voice:wer<=20", &["asr/multi", "asr/sw-base", "asr/sw-large"][..]),
        ("eval=COMMON_VOICE:Wer<=9", &["asr/sw-base"]),
        ("eval=common_voice:wer>=20", &["asr/multi", "asr/sw-base"]),
        ("eval=common_voice:wer<=20&eval_language=sw", &["asr/sw-base", "asr/sw-large"]),
        ("eval=common_voice:wer<=20&eval_language=sw-TZ", &["asr/sw-large"]),
        ("eval=common_voice:wer<=20&eval_language=fr&eval_language=sw-TZ", &["asr/multi", "asr/sw-large"]),
        ("eval=common_voice:wer<=10&eval_language=sw", &[]),
        ("eval=fleurs:wer<=20&eval_language=sw", &["asr/fleurs-only"]),
        ("eval=mmlu:accuracy>=0.7", &["llm/high", "llm/mid", "llm/tied"]),
        ("eval=mmlu:accuracy>=0.6&eval=mmlu:accuracy<=0.75", &["llm/mid", "llm/tied"]),
        ("eval=mmlu:accuracy>=0.6&eval=common_voice:wer<=100", &[]),
        ("eval=mmlu:accuracy>=-1000000", &["llm/high", "llm/low", "llm/mid", "llm/tied"]),
        ("eval=mmlu:f1>=0", &[]),
    ] {
        assert_eq!(names(&store, q).await, expected, "{q}");
    }
    // The highest release that meets the bound is the model's match, here not its latest.
    assert_eq!(all_pages(&store, "eval=common_voice:wer>=29").await, ["asr/sw-base@1.0.0=30"]);
}

async fn swahili_asr_with_wer_under_20_is_one_query(store: Arc<dyn MetadataStore>) {
    seed(&store).await;
    let q = "task=automatic-speech-recognition&eval=common_voice:wer<=20&eval_language=sw&sort=eval:common_voice:wer";
    assert_eq!(all_pages(&store, q).await, ["asr/sw-large@2.0.0=14", "asr/sw-base@1.1.0=18.5"]);
    // The Swahili value is the one that counts: in English sw-base is far better.
    let q = "task=automatic-speech-recognition&eval_language=sw&sort=eval:common_voice:wer&limit=1";
    assert_eq!(
        all_pages(&store, q).await,
        [
            "asr/sw-large@2.0.0=14",
            "asr/sw-base@1.1.0=18.5",
            "asr/multi@1.0.0=25",
            "asr/fleurs-only@1.0.0",
            "asr/unevaluated@1.0.0"
        ]
    );
}

async fn evaluation_sorts_are_best_first_by_metric_direction_with_missing_last_across_pages(
    store: Arc<dyn MetadataStore>,
) {
    seed(&store).await;
    // Ties (mid and tied at 0.7) and missing values are broken by version id in the sort's
    // direction.
    let best_first = ["llm/high@1.0.0=0.82", "llm/tied@1.0.0=0.7", "llm/mid@1.0.0=0.7", "llm/low@1.0.0=0.55"];
    let worst_first =
        ["llm/low@1.0.0=0.55", "llm/mid@1.0.0=0.7", "llm/tied@1.0.0=0.7", "llm/high@1.0.0=0.82"];
    for limit in [1, 2, 3, 100] {
        for (order, with_values, missing) in [
            ("", &best_first, ["llm/unevaluated@1.0.0"]),
            ("&order=desc", &best_first, ["llm/unevaluated@1.0.0"]),
            ("&order=asc", &worst_first, ["llm/unevaluated@1.0.0"]),
        ] {
            let q = format!("task=text-generation&sort=eval:mmlu:accuracy{order}&limit={limit}");
            let expected: Vec<&str> = with_values.iter().copied().chain(missing).collect();
            assert_eq!(all_pages(&store, &q).await, expected, "{q}");
        }
        // A lower-is-better metric sorts ascending by default, descending on request.
        let q = format!("eval_language=sw&sort=eval:common_voice:wer&limit={limit}&versions=all");
        let pages = all_pages(&store, &q).await;
        assert_eq!(
            pages[..4],
            ["asr/sw-large@2.0.0=14", "asr/sw-base@1.1.0=18.5", "asr/multi@1.0.0=25", "asr/sw-base@1.0.0=30"],
            "{q}"
        );
        assert_eq!(pages.len(), 11, "{q}: every version, the unevaluated last");
        assert!(pages[4..].iter().all(|p| !p.contains('=')), "{q}");
        let q =
            format!("task=automatic-speech-recognition&sort=eval:common_voice:wer&order=desc&limit={limit}");
        assert_eq!(
            all_pages(&store, &q).await,
            [
                "asr/sw-large@2.0.0=14",
                "asr/multi@1.0.0=12",
                "asr/sw-base@1.1.0=9",
                "asr/unevaluated@1.0.0",
                "asr/fleurs-only@1.0.0"
            ],
            "{q}: each version by its best WER in any language"
        );
    }
}

async fn the_largest_evaluation_query_the_caps_allow_runs_on_every_strategy(store: Arc<dyn MetadataStore>) {
    seed(&store).await;
    // As many filters and languages as the caps allow, each filter with every language.
    let mut parts: Vec<String> =
        (1..MAX_EVAL_FILTERS).map(|i| format!("eval=common_voice:wer<={}", 100 + i)).collect();
    parts.push("eval=common_voice:wer<=20".into());
    // qaa-qtz are reserved for local use: valid tags no evaluation has.
    parts.extend((1..MAX_EVAL_LANGUAGES as u8).map(|i| format!("eval_language=qa{}", (b'a' + i) as char)));
    parts.push("eval_language=sw".into());
    parts.push("sort=eval:common_voice:wer".into());
    for versions in ["", "&versions=all"] {
        let q = format!("{}{versions}&limit=1", parts.join("&"));
        let found = all_pages(&store, &q).await;
        assert_eq!(found[..2], ["asr/sw-large@2.0.0=14", "asr/sw-base@1.1.0=18.5"], "{versions}");
    }
}

/// The backfill part of migration 0012 (`dialect`), which fills `version_evaluations` for the
/// versions published before it.
fn backfill_sql(dialect: &str) -> String {
    let path = format!("{}/../migrations/{dialect}/0012_version_evaluations.sql", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let at = text.find("INSERT INTO version_evaluations").expect("the migration backfills");
    text[at..].to_owned()
}

type EvalRow = (i64, i32, String, String, f64, Option<String>, Option<String>, Option<String>);

const EVAL_ROWS: &str = "SELECT version_id, position, dataset, metric, value, task, language, primary_language \
                         FROM version_evaluations ORDER BY version_id, position";

async fn seed_for_backfill(store: &Arc<dyn MetadataStore>) {
    seed(store).await;
    publish(
        store,
        "asr/spaced",
        "1.0.0",
        asr(json!([{ "dataset": " LibriSpeech ", "metric": "Test-Clean WER", "value": 2.5, "language": "en-GB" }])),
        12,
    )
    .await;
}

#[tokio::test]
async fn sqlite_migration_0012_backfills_the_rows_publish_writes() {
    let dir = tempfile::TempDir::new().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = modelreg_server::store::open(&url, None).await.unwrap();
    seed_for_backfill(&store).await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let published: Vec<EvalRow> = sqlx::query_as(EVAL_ROWS).fetch_all(&pool).await.unwrap();
    assert_eq!(published.len(), 12);
    assert!(
        published
            .iter()
            .any(|r| r.2 == "librispeech" && r.3 == "test-clean wer" && r.7.as_deref() == Some("en"))
    );
    sqlx::query("DELETE FROM version_evaluations").execute(&pool).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(backfill_sql("sqlite"))).execute(&pool).await.unwrap();
    let backfilled: Vec<EvalRow> = sqlx::query_as(EVAL_ROWS).fetch_all(&pool).await.unwrap();
    assert_eq!(backfilled, published);
    pool.close().await;
}

#[tokio::test]
async fn postgres_migration_0012_backfills_the_rows_publish_writes() {
    let db = modelreg_testkit::postgres_db().await;
    let store = modelreg_server::store::open(&db.url(), Some(2)).await.unwrap();
    seed_for_backfill(&store).await;
    let pool = sqlx::PgPool::connect(&db.url()).await.unwrap();
    let published: Vec<EvalRow> = sqlx::query_as(EVAL_ROWS).fetch_all(&pool).await.unwrap();
    assert_eq!(published.len(), 12);
    sqlx::query("DELETE FROM version_evaluations").execute(&pool).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(backfill_sql("postgres"))).execute(&pool).await.unwrap();
    let backfilled: Vec<EvalRow> = sqlx::query_as(EVAL_ROWS).fetch_all(&pool).await.unwrap();
    assert_eq!(backfilled, published);
    pool.close().await;
}
