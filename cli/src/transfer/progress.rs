//! Transfer progress on stderr, honest about bytes: one overall bar in bytes (with rate and
//! ETA) plus a line per active file when stderr is a terminal; a plain status line every
//! few seconds when it is not (CI logs); nothing with `-q` or `--json`. Counts only what
//! really crosses the network: bytes a resumed transfer already had are taken off the total.
//! It never prints results (stdout belongs to the commands).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::AbortHandle;

use crate::output::{Output, human_size};

/// How often a plain status line is printed when stderr is not a terminal.
const LINE_INTERVAL: Duration = Duration::from_secs(5);

/// Progress of one push or pull; cheap to clone. `hidden()` reports nothing.
#[derive(Clone, Default)]
pub struct Progress {
    shared: Option<Arc<Shared>>,
}

struct Shared {
    bars: Option<(MultiProgress, ProgressBar)>,
    verb: &'static str,
    total: AtomicU64,
    done: AtomicU64,
    files_total: usize,
    files_done: AtomicUsize,
    started: Instant,
    ticker: Option<AbortHandle>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
        if let Some((_, overall)) = &self.bars {
            overall.finish_and_clear();
        }
    }
}

impl Progress {
    /// Reports nothing.
    pub fn hidden() -> Self {
        Self::default()
    }

    /// Starts reporting a transfer of `total_bytes` in `files` files, as `verb`
    /// ("uploading", "downloading"), the way `out` and stderr allow. Needs a tokio runtime
    /// when stderr is not a terminal (the periodic line runs on it).
    pub fn start(out: &Output, verb: &'static str, total_bytes: u64, files: usize) -> Self {
        if out.json || out.quiet || total_bytes == 0 {
            return Self::hidden();
        }
        let terminal = std::io::stderr().is_terminal();
        let bars = terminal.then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let overall = multi.add(ProgressBar::new(total_bytes));
            overall.set_style(
                ProgressStyle::with_template(
                    "{prefix:>11} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
                )
                .expect("a valid progress template")
                .progress_chars("=> "),
            );
            overall.set_prefix(verb);
            (multi, overall)
        });
        let shared = Arc::new_cyclic(|weak: &Weak<Shared>| {
            let ticker = (!terminal).then(|| spawn_ticker(weak.clone()));
            Shared {
                bars,
                verb,
                total: AtomicU64::new(total_bytes),
                done: AtomicU64::new(0),
                files_total: files,
                files_done: AtomicUsize::new(0),
                started: Instant::now(),
                ticker,
            }
        });
        Self { shared: Some(shared) }
    }

    /// Progress of one file of `size` bytes, shown as `label` from its first byte on the
    /// network until it is dropped (files waiting for a stream, or found locally, get no line).
    pub fn file(&self, label: &str, size: u64) -> FileProgress {
        let line =
            FileLine { label: label.to_owned(), size, bar: OnceLock::new(), already: AtomicU64::new(0) };
        FileProgress { counter: ByteCounter { progress: self.clone(), line: Arc::new(line) } }
    }

    /// A line for `-v` (per-file detail), printed above the bars when they are shown.
    pub fn detail(&self, out: &Output, message: impl std::fmt::Display) {
        if !out.verbose || out.quiet || out.json {
            return;
        }
        match self.shared.as_ref().and_then(|s| s.bars.as_ref()) {
            Some((multi, _)) => {
                let _ = multi.println(message.to_string());
            }
            None => eprintln!("{message}"),
        }
    }

    /// Bytes that went over the network so far.
    pub fn done(&self) -> u64 {
        self.shared.as_ref().map_or(0, |s| s.done.load(Ordering::Relaxed))
    }

    /// Removes the bars; the periodic line stops once every clone is gone.
    pub fn finish(&self) {
        if let Some(s) = &self.shared {
            if let Some((_, overall)) = &s.bars {
                overall.finish_and_clear();
            }
            if let Some(ticker) = &s.ticker {
                ticker.abort();
            }
        }
    }

    fn add(&self, n: u64) {
        if let Some(s) = &self.shared {
            let done = s.done.fetch_add(n, Ordering::Relaxed) + n;
            // A retried part or a restarted download sends more than planned: say so.
            let total = s.total.fetch_max(done, Ordering::Relaxed).max(done);
            if let Some((_, overall)) = &s.bars {
                if total > overall.length().unwrap_or(0) {
                    overall.set_length(total);
                }
                overall.inc(n);
            }
        }
    }

    /// `n` planned bytes need not be sent after all (a resumed transfer already has them).
    fn skip(&self, n: u64) {
        if let Some(s) = &self.shared {
            let before = s
                .total
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| Some(t.saturating_sub(n)))
                .unwrap_or(0);
            if let Some((_, overall)) = &s.bars {
                overall.set_length(before.saturating_sub(n));
            }
        }
    }
}

/// One file's share of a [`Progress`]; its line disappears when it is dropped.
pub struct FileProgress {
    counter: ByteCounter,
}

/// Counts one file's bytes; a cheap, owned handle for request bodies that must be `'static`.
#[derive(Clone)]
pub struct ByteCounter {
    progress: Progress,
    line: Arc<FileLine>,
}

/// One file's line under the overall bar, made when its first byte moves.
struct FileLine {
    label: String,
    size: u64,
    bar: OnceLock<ProgressBar>,
    /// Bytes the file had before (resumed), where its line starts.
    already: AtomicU64,
}

impl ByteCounter {
    /// `n` more bytes went over the network.
    pub fn add(&self, n: u64) {
        self.progress.add(n);
        if let Some(bar) = self.bar() {
            bar.inc(n);
        }
    }

    /// The file's line, made now if bars are shown and it has none yet.
    fn bar(&self) -> Option<&ProgressBar> {
        let (multi, _) = self.progress.shared.as_ref()?.bars.as_ref()?;
        Some(self.line.bar.get_or_init(|| {
            let bar = multi.add(ProgressBar::new(self.line.size));
            bar.set_style(
                ProgressStyle::with_template("  {wide_msg} {binary_bytes}/{binary_total_bytes}")
                    .expect("a valid progress template"),
            );
            bar.set_message(self.line.label.clone());
            bar.set_position(self.line.already.load(Ordering::Relaxed));
            bar
        }))
    }
}

impl FileProgress {
    /// Reports nothing (for library callers and tests).
    pub fn hidden() -> Self {
        Progress::hidden().file("", 0)
    }

    /// A handle that counts into this file's progress.
    pub fn counter(&self) -> ByteCounter {
        self.counter.clone()
    }

    /// `n` more bytes went over the network.
    pub fn add(&self, n: u64) {
        self.counter.add(n);
    }

    /// `n` bytes of this file are already there (resumed) and will not be sent.
    pub fn already(&self, n: u64) {
        self.counter.progress.skip(n);
        self.counter.line.already.fetch_add(n, Ordering::Relaxed);
        if let Some(bar) = self.counter.line.bar.get() {
            bar.inc(n);
        }
    }

    /// `n` bytes counted for this file are thrown away (a restart from byte 0).
    pub fn rewind(&self, n: u64) {
        if let Some(bar) = self.counter.line.bar.get() {
            bar.set_position(bar.position().saturating_sub(n));
        }
    }
}

impl Drop for FileProgress {
    fn drop(&mut self) {
        let progress = &self.counter.progress;
        if let Some(s) = &progress.shared {
            s.files_done.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(bar) = self.counter.line.bar.get() {
            bar.finish_and_clear();
            if let Some((multi, _)) = progress.shared.as_ref().and_then(|s| s.bars.as_ref()) {
                multi.remove(bar);
            }
        }
    }
}

/// Prints a status line every `LINE_INTERVAL` until the progress is gone.
fn spawn_ticker(weak: Weak<Shared>) -> AbortHandle {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(LINE_INTERVAL);
        interval.tick().await;
        loop {
            interval.tick().await;
            let Some(shared) = weak.upgrade() else { return };
            eprintln!("{}", status_line(&shared));
        }
    })
    .abort_handle()
}

/// `uploading: 312.0 MiB of 1.0 GiB (30%), 98.3 MiB/s, 2 of 5 files done`.
fn status_line(s: &Shared) -> String {
    let done = s.done.load(Ordering::Relaxed);
    let total = s.total.load(Ordering::Relaxed).max(done);
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    let secs = s.started.elapsed().as_secs_f64();
    let rate = if secs > 0.0 { (done as f64 / secs) as u64 } else { 0 };
    format!(
        "{}: {} of {} ({percent}%), {}/s, {} of {} files done",
        s.verb,
        human_size(done),
        human_size(total),
        human_size(rate),
        s.files_done.load(Ordering::Relaxed),
        s.files_total
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn quiet_and_json_runs_report_nothing_and_counts_stay_honest() {
        let quiet = Output { quiet: true, ..Output::default() };
        assert!(Progress::start(&quiet, "uploading", 10, 1).shared.is_none());
        let json = Output { json: true, ..Output::default() };
        assert!(Progress::start(&json, "uploading", 10, 1).shared.is_none());

        // Under `cargo test` stderr is captured, so this is the plain-line mode.
        let progress = Progress::start(&Output::default(), "uploading", 3 << 20, 2);
        let file = progress.file("a.bin", 2 << 20);
        file.already(1 << 20);
        file.add(1 << 20);
        drop(file);
        let other = progress.file("b.bin", 1 << 20);
        other.add((1 << 20) + 5);
        drop(other);
        assert_eq!(progress.done(), (2 << 20) + 5);
        let shared = progress.shared.as_ref().unwrap();
        assert_eq!(
            status_line(shared).split(", ").next().unwrap(),
            "uploading: 2.0 MiB of 2.0 MiB (100%)",
            "resumed bytes leave the total; extra bytes raise it"
        );
        assert!(status_line(shared).ends_with("2 of 2 files done"), "{}", status_line(shared));
        progress.finish();
    }
}
