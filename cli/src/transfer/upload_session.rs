//! A large blob pushed through a resumable upload session: open (or resume) the session,
//! send the parts the registry lacks, one after another in order (the registry hashes
//! parts as a prefix and refuses one that arrives ahead, so one blob's parts are never
//! sent in parallel: parallelism comes from sending several blobs at once), then complete.
//! Each part is streamed from the file at its offset, never read whole. The session id is
//! remembered in an `UploadStateDir` so that an interrupted push continues where it stopped.

use std::io::SeekFrom;
use std::path::Path;

use futures_util::TryStreamExt;
use modelreg_api::{Digest, PartLayout, UploadSession, UploadState};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::progress::FileProgress;
use super::retry::RetryPolicy;
use super::upload_state::UploadStateDir;
use crate::client::Client;
use crate::error::{ClientError, FailureKind};
use crate::push::file_body;

/// Every request is retried by this policy; its attempts also bound how often a session is
/// re-read or re-opened when the registry lost track of it or of a part.
const POLICY: RetryPolicy = RetryPolicy::TRANSFER;

/// The blob to send: a local file with the digest and size it was hashed to.
#[derive(Debug, Clone, Copy)]
pub struct PartSource<'a> {
    pub source: &'a Path,
    /// The file's path inside the version, for messages.
    pub shown: &'a str,
    pub digest: Digest,
    pub size: u64,
}

impl PartSource<'_> {
    fn changed(&self, why: impl std::fmt::Display) -> ClientError {
        ClientError::Integrity(format!(
            "'{}' changed while it was being pushed ({why}); run the push again",
            self.shown
        ))
    }
}

/// Uploads `file` through a session, resuming the one remembered in `states` if the
/// registry still has it. Returns the bytes sent by this call.
pub async fn upload_in_parts(
    client: &Client,
    file: PartSource<'_>,
    states: Option<&UploadStateDir>,
    progress: &FileProgress,
) -> Result<u64, ClientError> {
    let mut sent = 0;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let retry = attempts < POLICY.attempts;
        // Past the transfer policy's attempts, an unavailable registry is waited out for
        // the client's whole retry budget (`--retry-for`).
        let session = client
            .repeat_while_unavailable(|| POLICY.run(|| open_session(client, &file, states), |_| {}))
            .await?;
        let id = match (session.state, session.id.clone()) {
            (UploadState::Exists, _) => {
                forget(states, &file.digest);
                return Ok(sent);
            }
            (_, Some(id)) => id,
            (_, None) => return Err(bad_session(client, "the session has no id")),
        };
        if session.state == UploadState::Open {
            let layout = session
                .layout()
                .filter(|l| l.size == file.size)
                .ok_or_else(|| bad_session(client, "the session's parts do not cover the file"))?;
            if attempts == 1 {
                progress.already(session.received.iter().filter_map(|&n| layout.part_len(n)).sum());
            }
            match send_missing_parts(client, &file, &session, layout, progress, &mut sent).await {
                Ok(()) => {}
                Err(e) if retry && lost_track(&e) => {
                    if e.api_code() == Some("upload_not_found") {
                        forget(states, &file.digest);
                    }
                    continue;
                }
                Err(e) => return Err(explain(&file, e)),
            }
        }
        match client.repeat_while_unavailable(|| POLICY.run(|| client.complete_upload(&id), |_| {})).await {
            Ok(done) if done.digest != file.digest || done.size != file.size => {
                return Err(
                    file.changed(format!("the registry stored {} of {} bytes", done.digest, done.size))
                );
            }
            Ok(_) => {
                forget(states, &file.digest);
                return Ok(sent);
            }
            Err(e) if e.api_code() == Some("digest_mismatch") || e.api_code() == Some("size_mismatch") => {
                forget(states, &file.digest);
                return Err(file.changed(e));
            }
            Err(e) if retry && lost_track(&e) => {
                if e.api_code() == Some("upload_not_found") {
                    forget(states, &file.digest);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The remembered session if the registry still has it for this blob, else a new one
/// (remembered from now on).
async fn open_session(
    client: &Client,
    file: &PartSource<'_>,
    states: Option<&UploadStateDir>,
) -> Result<UploadSession, ClientError> {
    let registry = client.base_url();
    if let Some(id) = states.and_then(|s| s.load(registry, &file.digest, file.size)) {
        match client.upload_status(&id).await {
            Ok(s) if s.digest == file.digest && s.size == file.size && s.state != UploadState::Exists => {
                return Ok(s);
            }
            Ok(_) => {}
            Err(e) if e.kind() == FailureKind::NotFound => {}
            Err(e) => return Err(e),
        }
        forget(states, &file.digest);
    }
    let session = client.create_upload(&file.digest, file.size).await?;
    if let (Some(states), Some(id)) = (states, &session.id) {
        // Without the state file the push still works; only a later resume would not.
        let _ = states.save(registry, &file.digest, file.size, id);
    }
    Ok(session)
}

/// Sends, in order, every part the session does not have yet.
async fn send_missing_parts(
    client: &Client,
    file: &PartSource<'_>,
    session: &UploadSession,
    layout: PartLayout,
    progress: &FileProgress,
    sent: &mut u64,
) -> Result<(), ClientError> {
    for part in 1..=layout.part_count {
        if session.received.binary_search(&part).is_ok() {
            continue;
        }
        let part_len = layout.part_len(part).unwrap_or(0);
        let attempt = || async move {
            let result = POLICY
                .run(
                    || send_part(client, file, session, layout, part, progress),
                    |_| progress.rewind(part_len),
                )
                .await;
            if result.is_err() {
                progress.rewind(part_len);
            }
            result
        };
        *sent += client.repeat_while_unavailable(attempt).await?;
    }
    Ok(())
}

/// One part, streamed from the file at its offset with its exact length.
async fn send_part(
    client: &Client,
    file: &PartSource<'_>,
    session: &UploadSession,
    layout: PartLayout,
    part: u32,
    progress: &FileProgress,
) -> Result<u64, ClientError> {
    let range = layout.range(part).expect("parts are numbered within the layout");
    let len = range.end - range.start;
    let io_err = |e| ClientError::io(format!("cannot read '{}'", file.shown), e);
    let mut handle = tokio::fs::File::open(file.source).await.map_err(io_err)?;
    handle.seek(SeekFrom::Start(range.start)).await.map_err(io_err)?;
    let (body, shrank) = file_body(handle.take(len), len);
    let counter = progress.counter();
    let body = body.inspect_ok(move |chunk| counter.add(chunk.len() as u64));
    match client.upload_part(session, part, len, reqwest::Body::wrap_stream(body)).await {
        Ok(_) => Ok(len),
        Err(_) if shrank.load(std::sync::atomic::Ordering::SeqCst) => {
            Err(file.changed("it is now shorter than when it was hashed"))
        }
        Err(e) => Err(e),
    }
}

/// The registry forgot the session (expired, or garbage-collected) or holds other parts
/// than this client thinks: read its state again (or open a new one) and carry on.
fn lost_track(e: &ClientError) -> bool {
    matches!(e.api_code(), Some("upload_not_found" | "part_out_of_order" | "upload_incomplete"))
}

/// A part the registry already had with other bytes means the file changed.
fn explain(file: &PartSource<'_>, e: ClientError) -> ClientError {
    match e.api_code() {
        Some("part_conflict" | "digest_mismatch" | "size_mismatch") => file.changed(e),
        _ => e,
    }
}

fn forget(states: Option<&UploadStateDir>, digest: &Digest) {
    if let Some(states) = states {
        states.forget(digest);
    }
}

fn bad_session(client: &Client, reason: &str) -> ClientError {
    ClientError::BadResponse { url: client.endpoint(&["v1", "uploads"]).to_string(), reason: reason.into() }
}
