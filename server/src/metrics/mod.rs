//! The server's Prometheus metrics: one [`Metrics`] value per server, holding every series
//! and rendering them in the Prometheus text format. The layers record into it (requests
//! from `http`, domain events from `service`, backend operations from `blob`); it imports
//! none of them, and labels are only ever bounded sets (route templates, never raw paths).
//! Garbage collection and scrubbing run in processes of their own (`modelreg-server gc`,
//! `verify`): `gc` and `verify` render what one run did for a textfile collector instead.

mod gc;
mod verify;

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

pub use gc::{GcRunSample, render_gc_run};
pub use verify::{VerifyRunSample, last_verify_success, render_verify_run};

/// The `Content-Type` of a scrape (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Latency buckets in seconds, from a cached HEAD to a multi-gigabyte transfer.
const LATENCY_BUCKETS: [f64; 14] =
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 300.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BlobLabels {
    operation: &'static str,
    backend: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// A float gauge set to `v`, for the textfile renderings of one run (gc, verify).
fn float(v: f64) -> Gauge<f64, std::sync::atomic::AtomicU64> {
    let g = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
    g.set(v);
    g
}

/// An integer gauge set to `v` (saturating), for the textfile renderings of one run.
fn int(v: u64) -> Gauge {
    let g = Gauge::<i64>::default();
    g.set(i64::try_from(v).unwrap_or(i64::MAX));
    g
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// What one finished HTTP request contributes.
#[derive(Debug, Clone, Copy)]
pub struct RequestSample<'a> {
    /// The route template (`/v1/models/{namespace}/{name}`), or `unmatched`.
    pub route: &'a str,
    /// One of the standard methods, or `other`.
    pub method: &'static str,
    pub status: u16,
    pub duration: Duration,
    pub received_bytes: u64,
    pub sent_bytes: u64,
}

/// The database pool as sampled at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolSample {
    pub max: u32,
    pub open: u32,
    pub idle: u32,
    /// How long the scrape waited for a connection.
    pub acquire_wait: Duration,
}

/// Every series of one server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_duration: HistogramFamily<RequestLabels>,
    received: Family<RouteLabels, Counter>,
    sent: Family<RouteLabels, Counter>,
    blob_duration: HistogramFamily<BlobLabels>,
    blob_errors: Family<BlobLabels, Counter>,
    publishes: Family<OutcomeLabels, Counter>,
    yanks: Family<ActionLabels, Counter>,
    deletes: Family<KindLabels, Counter>,
    upload_sessions_open: Gauge,
    db_pool_connections: Family<StateLabels, Gauge>,
    db_pool_max: Gauge,
    db_pool_acquire: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every series (counters at zero, so that rates and alerts see them at once).
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let request_duration = HistogramFamily::<RequestLabels>::new_with_constructor(latency_histogram);
        let received = Family::<RouteLabels, Counter>::default();
        let sent = Family::<RouteLabels, Counter>::default();
        let blob_duration = HistogramFamily::<BlobLabels>::new_with_constructor(latency_histogram);
        let blob_errors = Family::<BlobLabels, Counter>::default();
        let publishes = Family::<OutcomeLabels, Counter>::default();
        let yanks = Family::<ActionLabels, Counter>::default();
        let deletes = Family::<KindLabels, Counter>::default();
        let db_pool_connections = Family::<StateLabels, Gauge>::default();
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info.get_or_create(&BuildLabels { version: env!("CARGO_PKG_VERSION") }).set(1);

        let m = Self {
            requests,
            request_duration,
            received,
            sent,
            blob_duration,
            blob_errors,
            publishes,
            yanks,
            deletes,
            upload_sessions_open: Gauge::default(),
            db_pool_connections,
            db_pool_max: Gauge::default(),
            db_pool_acquire: Gauge::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register("modelreg_build_info", "Build of the running server (value 1)", build_info);
        r.register(
            "modelreg_http_requests",
            "HTTP requests by route template, method and status class",
            m.requests.clone(),
        );
        r.register(
            "modelreg_http_request_duration_seconds",
            "HTTP request latency until the response body is sent, by route template, method and status class",
            m.request_duration.clone(),
        );
        r.register("modelreg_http_received_bytes", "Request body bytes received", m.received.clone());
        r.register("modelreg_http_sent_bytes", "Response body bytes sent", m.sent.clone());
        r.register(
            "modelreg_blob_operation_duration_seconds",
            "Blob store operation latency by operation and backend",
            m.blob_duration.clone(),
        );
        r.register(
            "modelreg_blob_operation_errors",
            "Blob store operations that failed in the backend, by operation and backend",
            m.blob_errors.clone(),
        );
        r.register(
            "modelreg_publishes",
            "Publish requests by outcome (created, unchanged)",
            m.publishes.clone(),
        );
        r.register("modelreg_yanks", "Yank changes by action (yank, unyank)", m.yanks.clone());
        r.register("modelreg_deletes", "Deletions by kind (version, model)", m.deletes.clone());
        r.register(
            "modelreg_upload_sessions_open",
            "Upload sessions open (sampled at scrape time)",
            m.upload_sessions_open.clone(),
        );
        r.register(
            "modelreg_db_pool_connections",
            "Database pool connections by state (in_use, idle), sampled at scrape time",
            m.db_pool_connections.clone(),
        );
        r.register("modelreg_db_pool_max_connections", "Database pool size limit", m.db_pool_max.clone());
        r.register(
            "modelreg_db_pool_acquire_wait_seconds",
            "How long the last scrape waited for a database connection",
            m.db_pool_acquire.clone(),
        );
        // Zero-valued series exist from the start, so that an alert on their rate has data.
        for outcome in ["created", "unchanged"] {
            drop(m.publishes.get_or_create(&OutcomeLabels { outcome }));
        }
        for action in ["yank", "unyank"] {
            drop(m.yanks.get_or_create(&ActionLabels { action }));
        }
        for kind in ["version", "model"] {
            drop(m.deletes.get_or_create(&KindLabels { kind }));
        }
        Self { registry, ..m }
    }

    /// Records one finished HTTP request.
    pub fn observe_request(&self, s: &RequestSample<'_>) {
        let labels =
            RequestLabels { route: s.route.to_owned(), method: s.method, status: status_class(s.status) };
        self.requests.get_or_create(&labels).inc();
        self.request_duration.get_or_create(&labels).observe(s.duration.as_secs_f64());
        let route = RouteLabels { route: labels.route, method: s.method };
        if s.received_bytes > 0 {
            self.received.get_or_create(&route).inc_by(s.received_bytes);
        }
        if s.sent_bytes > 0 {
            self.sent.get_or_create(&route).inc_by(s.sent_bytes);
        }
    }

    /// Records one blob store operation; `failed` when the backend failed (not when the
    /// client sent bytes that did not match).
    pub fn observe_blob(
        &self,
        operation: &'static str,
        backend: &'static str,
        duration: Duration,
        failed: bool,
    ) {
        let labels = BlobLabels { operation, backend };
        self.blob_duration.get_or_create(&labels).observe(duration.as_secs_f64());
        if failed {
            self.blob_errors.get_or_create(&labels).inc();
        }
    }

    /// A publish that created a version (`true`) or repeated an identical one.
    pub fn published(&self, created: bool) {
        let outcome = if created { "created" } else { "unchanged" };
        self.publishes.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// A version yanked (`true`) or un-yanked.
    pub fn yank_changed(&self, yanked: bool) {
        let action = if yanked { "yank" } else { "unyank" };
        self.yanks.get_or_create(&ActionLabels { action }).inc();
    }

    /// A version deleted, or (`model`) a whole model.
    pub fn deleted(&self, model: bool) {
        let kind = if model { "model" } else { "version" };
        self.deletes.get_or_create(&KindLabels { kind }).inc();
    }

    /// Sets what a scrape samples from the database.
    pub fn set_database_sample(&self, pool: PoolSample, open_upload_sessions: u64) {
        let in_use = pool.open.saturating_sub(pool.idle);
        self.db_pool_connections.get_or_create(&StateLabels { state: "in_use" }).set(i64::from(in_use));
        self.db_pool_connections.get_or_create(&StateLabels { state: "idle" }).set(i64::from(pool.idle));
        self.db_pool_max.set(i64::from(pool.max));
        self.db_pool_acquire.set(pool.acquire_wait.as_secs_f64());
        self.upload_sessions_open.set(i64::try_from(open_upload_sessions).unwrap_or(i64::MAX));
    }

    /// Every series in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 << 10);
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// `2xx`, `4xx`, ...: the status class keeps the label set small.
fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_template_method_and_status_class() {
        let m = Metrics::new();
        let sample = RequestSample {
            route: "/v1/models/{namespace}/{name}",
            method: "GET",
            status: 404,
            duration: Duration::from_millis(3),
            received_bytes: 0,
            sent_bytes: 120,
        };
        m.observe_request(&sample);
        m.observe_request(&RequestSample { status: 200, ..sample });
        let text = m.render();
        let line = r#"modelreg_http_requests_total{route="/v1/models/{namespace}/{name}",method="GET",status="4xx"} 1"#;
        assert!(text.contains(line), "{text}");
        assert!(
            text.contains(
                r#"modelreg_http_sent_bytes_total{route="/v1/models/{namespace}/{name}",method="GET"} 240"#
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE modelreg_http_request_duration_seconds histogram"), "{text}");
        assert!(text.contains(r#"modelreg_build_info{version=""#), "{text}");
        assert!(text.contains(r#"modelreg_publishes_total{outcome="created"} 0"#), "{text}");
    }

    #[test]
    fn blob_errors_count_only_backend_failures_and_pool_gauges_are_set() {
        let m = Metrics::new();
        m.observe_blob("get", "s3", Duration::from_millis(5), false);
        m.observe_blob("get", "s3", Duration::from_millis(5), true);
        m.set_database_sample(PoolSample { max: 10, open: 3, idle: 1, acquire_wait: Duration::ZERO }, 4);
        let text = m.render();
        assert!(
            text.contains(r#"modelreg_blob_operation_errors_total{operation="get",backend="s3"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"modelreg_blob_operation_duration_seconds_count{operation="get",backend="s3"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"modelreg_db_pool_connections{state="in_use"} 2"#), "{text}");
        assert!(text.contains("modelreg_upload_sessions_open 4"), "{text}");
    }

    #[test]
    fn status_classes_cover_every_code() {
        assert_eq!(status_class(101), "1xx");
        assert_eq!(status_class(304), "3xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(999), "5xx");
    }
}
