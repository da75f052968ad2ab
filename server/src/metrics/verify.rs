//! What a scrub (`modelreg-server verify --metrics-file`) has found so far, as Prometheus
//! gauges for a textfile collector: like GC, verify is a batch job in a process of its own,
//! so its figures describe the current or last run, written during the run and at its end.

use std::time::Duration;

use prometheus_client::registry::Registry;

use super::{float, int};

/// The figures of a run, in progress or finished.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerifyRunSample {
    /// Whether the run is still going (the counts are then partial).
    pub running: bool,
    /// When the run started, in seconds since the Unix epoch.
    pub started_at_unix: f64,
    /// When a run last finished without error (this one or an earlier one); `None` if never.
    pub last_success_unix: Option<f64>,
    /// How long the run has taken so far.
    pub duration: Duration,
    pub blobs_referenced: u64,
    pub blobs_checked: u64,
    pub bytes_checked: u64,
    pub blobs_missing: u64,
    pub blobs_corrupt: u64,
}

/// The name of the gauge that carries the last success over from one run's file to the next.
pub const VERIFY_LAST_SUCCESS: &str = "modelreg_verify_last_success_timestamp_seconds";

/// The run as gauges in the Prometheus text format.
pub fn render_verify_run(run: &VerifyRunSample) -> String {
    let mut registry = Registry::default();
    registry.register(
        "modelreg_verify_running",
        "1 while a verify run is in progress",
        int(u64::from(run.running)),
    );
    registry.register(
        "modelreg_verify_started_timestamp_seconds",
        "When the current or last verify run started",
        float(run.started_at_unix),
    );
    if let Some(at) = run.last_success_unix {
        registry.register(
            VERIFY_LAST_SUCCESS,
            "When a verify run last finished without error (whatever it found)",
            float(at),
        );
    }
    registry.register(
        "modelreg_verify_duration_seconds",
        "How long the current or last verify run has taken",
        float(run.duration.as_secs_f64()),
    );
    registry.register(
        "modelreg_verify_blobs_referenced",
        "Referenced blobs the run has listed (within --since), sampled or not",
        int(run.blobs_referenced),
    );
    registry.register("modelreg_verify_blobs_checked", "Blobs the run has read", int(run.blobs_checked));
    registry.register(
        "modelreg_verify_checked_bytes",
        "Bytes the run has read and hashed",
        int(run.bytes_checked),
    );
    registry.register(
        "modelreg_verify_blobs_missing",
        "Referenced blobs the run found absent from the blob store",
        int(run.blobs_missing),
    );
    registry.register(
        "modelreg_verify_blobs_corrupt",
        "Referenced blobs the run found stored with the wrong size or content",
        int(run.blobs_corrupt),
    );
    let mut out = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
        .expect("writing to a String cannot fail");
    out
}

/// The last success recorded in an earlier run's file, so that a run in progress (or one
/// that failed) keeps reporting it.
pub fn last_verify_success(previous: &str) -> Option<f64> {
    previous.lines().find_map(|l| l.strip_prefix(VERIFY_LAST_SUCCESS)?.strip_prefix(' ')?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(running: bool, last_success_unix: Option<f64>) -> VerifyRunSample {
        VerifyRunSample {
            running,
            started_at_unix: 1_700_000_000.0,
            last_success_unix,
            duration: Duration::from_millis(2500),
            blobs_referenced: 10,
            blobs_checked: 4,
            bytes_checked: 4096,
            blobs_missing: 1,
            blobs_corrupt: 2,
        }
    }

    #[test]
    fn a_run_renders_as_gauges_and_carries_the_last_success_over() {
        let text = render_verify_run(&sample(true, Some(1_699_000_000.5)));
        assert!(text.contains("# TYPE modelreg_verify_blobs_corrupt gauge"), "{text}");
        assert!(text.contains("modelreg_verify_running 1\n"), "{text}");
        assert!(text.contains("modelreg_verify_checked_bytes 4096\n"), "{text}");
        assert!(text.contains("modelreg_verify_blobs_missing 1\n"), "{text}");
        assert!(text.contains("modelreg_verify_duration_seconds 2.5\n"), "{text}");
        assert_eq!(last_verify_success(&text), Some(1_699_000_000.5));
        let never = render_verify_run(&sample(false, None));
        assert!(!never.contains(VERIFY_LAST_SUCCESS), "{never}");
        assert_eq!(last_verify_success(&never), None);
    }
}
