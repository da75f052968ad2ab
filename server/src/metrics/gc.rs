//! What one garbage collection run did, as Prometheus gauges for a textfile collector
//! (`modelreg-server gc --metrics-file`): GC is a batch job in a process of its own, so its
//! figures are the last run's, stamped with when it finished, not counters of a server.

use std::time::Duration;

use prometheus_client::registry::Registry;

use super::{float, int};

/// The figures of one finished run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcRunSample {
    /// When it finished, in seconds since the Unix epoch.
    pub finished_at_unix: f64,
    pub duration: Duration,
    pub blobs_scanned: u64,
    pub blobs_deleted: u64,
    pub bytes_freed: u64,
    pub uploads_aborted: u64,
}

/// The run as gauges in the Prometheus text format.
pub fn render_gc_run(run: &GcRunSample) -> String {
    let mut registry = Registry::default();
    registry.register(
        "modelreg_gc_last_success_timestamp_seconds",
        "When the last garbage collection run finished without error",
        float(run.finished_at_unix),
    );
    registry.register(
        "modelreg_gc_last_duration_seconds",
        "How long the last garbage collection run took",
        float(run.duration.as_secs_f64()),
    );
    registry.register("modelreg_gc_last_blobs_scanned", "Blobs the last run listed", int(run.blobs_scanned));
    registry.register("modelreg_gc_last_blobs_deleted", "Blobs the last run deleted", int(run.blobs_deleted));
    registry.register("modelreg_gc_last_freed_bytes", "Bytes the last run freed", int(run.bytes_freed));
    registry.register(
        "modelreg_gc_last_uploads_aborted",
        "Stale upload sessions the last run aborted",
        int(run.uploads_aborted),
    );
    let mut out = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
        .expect("writing to a String cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_renders_as_gauges_of_the_last_run() {
        let text = render_gc_run(&GcRunSample {
            finished_at_unix: 1_700_000_000.5,
            duration: Duration::from_millis(1500),
            blobs_scanned: 10,
            blobs_deleted: 3,
            bytes_freed: 4096,
            uploads_aborted: 1,
        });
        assert!(text.contains("# TYPE modelreg_gc_last_freed_bytes gauge"), "{text}");
        assert!(text.contains("modelreg_gc_last_freed_bytes 4096\n"), "{text}");
        assert!(text.contains("modelreg_gc_last_success_timestamp_seconds 1700000000.5\n"), "{text}");
        assert!(text.contains("modelreg_gc_last_duration_seconds 1.5\n"), "{text}");
    }
}
