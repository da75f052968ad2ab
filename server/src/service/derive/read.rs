//! Reading the files a derivation needs: each distinct (digest, kind) once, by bounded
//! ranged reads, parsed on the blocking pool so that a large header never holds up an async
//! worker (and with it `/healthz` and every other request on that worker). What may be held
//! in memory at once, across all publishes of the process, is bounded by a byte budget.
//! Must not aggregate or judge facts; that is the parent's job.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use modelreg_api::{Digest, FileEntry};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::blob::BlobStore;
use crate::facts::{
    FactsError, FileKind, GgufFacts, HfConfigFacts, MAX_CONFIG_BYTES, MAX_GGUF_HEADER_BYTES, Parse,
    SafetensorsFacts, parse_config_json, parse_gguf, parse_safetensors, parse_tokenizer_config,
};
use crate::service::RegistryError;

/// The first read of a weight file: enough for nearly every safetensors header.
const FIRST_READ: u64 = 64 << 10;
/// The longest header read (GGUF's cap; safetensors refuses more than 16 MiB itself).
const MAX_HEADER_READ: u64 = MAX_GGUF_HEADER_BYTES;
/// Files read at once per publish. Most reads are a 64 KiB prefix; the byte budget below,
/// not this, bounds memory.
const READS_IN_FLIGHT: usize = 16;
/// File bytes held at once by all derivations of the process, in KiB: one largest header
/// plus room for the small reads of other publishes. A read waits for its share.
const BUDGET_KIB: usize = 48 << 10;

static HEADER_BYTES: Semaphore = Semaphore::const_new(BUDGET_KIB);

/// What one file said.
pub(super) enum FileFacts {
    Safetensors(SafetensorsFacts),
    Gguf(GgufFacts),
    Config(HfConfigFacts),
    Tokenizer(Option<u64>),
}

/// Reads and parses `chosen`, returning what each said, in the same order. A digest listed
/// under several paths of the same kind is read once and its facts shared. Fails when the
/// blob store does or a file exceeds a limit; unreadable files give `None`.
pub(super) async fn read_all(
    blobs: &BlobStore,
    chosen: &[(&FileEntry, FileKind)],
) -> Result<Vec<Option<Arc<FileFacts>>>, RegistryError> {
    let mut distinct: BTreeMap<(Digest, FileKind), &FileEntry> = BTreeMap::new();
    for (file, kind) in chosen {
        distinct.entry((file.digest, *kind)).or_insert(file);
    }
    let read: BTreeMap<(Digest, FileKind), Option<Arc<FileFacts>>> = stream::iter(distinct)
        .map(|(key, file)| async move { Ok::<_, RegistryError>((key, read_file(blobs, file, key.1).await?)) })
        .buffer_unordered(READS_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(chosen.iter().map(|(file, kind)| read[&(file.digest, *kind)].clone()).collect())
}

async fn read_file(
    blobs: &BlobStore,
    file: &FileEntry,
    kind: FileKind,
) -> Result<Option<Arc<FileFacts>>, RegistryError> {
    let facts = match kind {
        FileKind::Safetensors => {
            read_header(blobs, file, kind, parse_safetensors).await?.map(FileFacts::Safetensors)
        }
        FileKind::Gguf => read_header(blobs, file, kind, parse_gguf).await?.map(FileFacts::Gguf),
        FileKind::HfConfig => read_config(blobs, file, kind, parse_config_json).await?.map(FileFacts::Config),
        FileKind::TokenizerConfig => {
            read_config(blobs, file, kind, parse_tokenizer_config).await?.map(FileFacts::Tokenizer)
        }
    };
    Ok(facts.map(Arc::new))
}

/// The parser's verdict on a file: facts, nothing (not what its name says: the registry
/// stores opaque files too), or a refusal naming the file and the limit.
fn judge<T>(file: &FileEntry, result: Result<T, FactsError>) -> Result<Option<T>, RegistryError> {
    match result {
        Ok(facts) => Ok(Some(facts)),
        Err(e @ FactsError::TooLarge { limit, max, .. }) => Err(too_large(file, limit, max, &e)),
        Err(e @ (FactsError::Malformed { .. } | FactsError::Unsupported { .. })) => {
            tracing::debug!(file.path = %file.path, reason = %e, "file not readable as its kind; no facts derived from it");
            Ok(None)
        }
    }
}

fn too_large(file: &FileEntry, limit: &'static str, max: u64, error: &FactsError) -> RegistryError {
    tracing::info!(file.path = %file.path, blob.digest = %file.digest, limit, max, "file exceeds a derivation limit; publish refused");
    RegistryError::FileHeaderTooLarge { path: file.path.to_string(), limit, max, message: error.to_string() }
}

/// Waits for `bytes` of the process-wide budget.
async fn reserve(bytes: u64) -> Result<SemaphorePermit<'static>, RegistryError> {
    let kib = u32::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
    HEADER_BYTES.acquire_many(kib).await.map_err(|_| RegistryError::internal("header byte budget closed"))
}

/// Runs `parse` over `bytes` on the blocking pool; the reservation is released when it ends.
async fn parse_blocking<T: Send + 'static>(
    reservation: SemaphorePermit<'static>,
    parse: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RegistryError> {
    tokio::task::spawn_blocking(move || {
        let out = parse();
        drop(reservation);
        out
    })
    .await
    .map_err(|e| RegistryError::internal(format!("header parser failed: {e}")))
}

/// Reads a binary header with growing prefixes until the parser is done; a header that
/// needs more than `MAX_HEADER_READ` bytes is refused.
async fn read_header<T: Send + 'static>(
    blobs: &BlobStore,
    file: &FileEntry,
    kind: FileKind,
    parse: fn(&[u8], u64) -> Result<Parse<T>, FactsError>,
) -> Result<Option<T>, RegistryError> {
    let size = file.size;
    let mut want = FIRST_READ.min(size);
    loop {
        let reservation = reserve(want).await?;
        let prefix = blobs.read_prefix(&file.digest, want).await?;
        let got = prefix.len() as u64;
        let parsed = parse_blocking(reservation, move || parse(&prefix, size)).await?;
        want = match judge(file, parsed)? {
            None => return Ok(None),
            Some(Parse::Done(facts)) => return Ok(Some(facts)),
            // The parser promises to ask for more than it was given; never loop on less.
            Some(Parse::NeedMore(needed)) if needed <= got => {
                tracing::debug!(file.path = %file.path, needed_bytes = needed, "parser stalled; no facts derived from it");
                return Ok(None);
            }
            Some(Parse::NeedMore(needed)) if got >= MAX_HEADER_READ => {
                let found = format!("header needs more than {got} bytes (at least {needed})");
                let (limit, max) = ("header_bytes", MAX_HEADER_READ);
                return Err(too_large(file, limit, max, &FactsError::TooLarge { kind, limit, max, found }));
            }
            Some(Parse::NeedMore(needed)) => needed.min(MAX_HEADER_READ).min(size),
        };
    }
}

async fn read_config<T: Send + 'static>(
    blobs: &BlobStore,
    file: &FileEntry,
    kind: FileKind,
    parse: fn(&[u8]) -> Result<T, FactsError>,
) -> Result<Option<T>, RegistryError> {
    if file.size > MAX_CONFIG_BYTES {
        let found = format!("file is {} bytes", file.size);
        let (limit, max) = ("file_bytes", MAX_CONFIG_BYTES);
        return Err(too_large(file, limit, max, &FactsError::TooLarge { kind, limit, max, found }));
    }
    let reservation = reserve(file.size).await?;
    let bytes = blobs.read_prefix(&file.digest, file.size).await?;
    judge(file, parse_blocking(reservation, move || parse(&bytes)).await?)
}
