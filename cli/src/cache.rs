//! The local content-addressed blob cache: verified downloads are kept under
//! `<root>/blobs/sha256/ab/cd/<64 hex>` and placed into later pulls by hard link (a copy
//! where a link is impossible, e.g. across file systems), so that a second pull of the same
//! content moves no bytes over the network. It only ever holds files that were verified
//! before they were stored, and never talks to the registry. Entries are read-only (a hard
//! link shares them with the pulled file, so an in-place edit would change both); their
//! modification time is their last use, which `prune` evicts by. The same root also holds
//! the state files of interrupted uploads (`uploads/`, see `transfer::upload_state`).
//! Plain blocking file I/O: async callers run it on a blocking thread.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use modelreg_api::Digest;
use serde::Serialize;

use crate::error::ClientError;

/// Relocates the whole cache (blobs and upload state).
pub const CACHE_DIR_ENV: &str = "MODELREG_CACHE_DIR";

/// The cache root: `$MODELREG_CACHE_DIR`, else `$XDG_CACHE_HOME/modelreg` (when absolute,
/// the XDG rule), else `$HOME/.cache/modelreg`; `None` when none of them is set.
pub fn cache_root(
    explicit: Option<OsString>,
    xdg: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let set = |v: Option<OsString>| v.filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set(explicit) {
        return Some(dir);
    }
    if let Some(xdg) = set(xdg).filter(|p| p.is_absolute()) {
        return Some(xdg.join("modelreg"));
    }
    set(home).map(|home| home.join(".cache").join("modelreg"))
}

/// A cache rooted at a directory (created on first store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobCache {
    root: PathBuf,
}

/// What `modelreg cache info` reports; also its `--json` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheInfo {
    pub path: PathBuf,
    /// Blobs in the cache.
    pub files: u64,
    /// Their total size (a blob also linked into pulled folders is counted once).
    pub bytes: u64,
}

/// What `modelreg cache prune` did; also its `--json` shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    pub path: PathBuf,
    pub removed_files: u64,
    pub removed_bytes: u64,
    /// What is left.
    pub files: u64,
    pub bytes: u64,
}

/// One blob in the cache.
#[derive(Debug)]
struct Entry {
    path: PathBuf,
    size: u64,
    last_used: SystemTime,
}

impl BlobCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The cache of this user, from the environment (see [`cache_root`]).
    pub fn from_env() -> Result<Self, ClientError> {
        let var = std::env::var_os;
        cache_root(var(CACHE_DIR_ENV), var("XDG_CACHE_HOME"), var("HOME")).map(Self::new).ok_or_else(|| {
            ClientError::Invalid(format!(
                "cannot find your cache directory: set {CACHE_DIR_ENV}, XDG_CACHE_HOME or HOME"
            ))
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where upload sessions are remembered between runs.
    pub fn uploads_dir(&self) -> PathBuf {
        self.root.join("uploads")
    }

    /// `<root>/blobs/sha256/ab/cd/<hex>`.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.blobs_dir().join(&hex[..2]).join(&hex[2..4]).join(hex)
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    /// Whether `dest` is the cached blob itself (the same file, hard-linked) with the right
    /// size: then it needs no re-hashing, the blob was verified when it was stored.
    pub fn holds(&self, digest: &Digest, size: u64, dest: &Path) -> bool {
        match (fs::metadata(self.blob_path(digest)), fs::symlink_metadata(dest)) {
            (Ok(cached), Ok(placed)) => {
                placed.is_file() && placed.len() == size && same_file(&cached, &placed)
            }
            _ => false,
        }
    }

    /// Puts the cached blob at `dest` (replacing what is there) when the cache has it with
    /// the right size; returns whether it did. Marks the blob as just used.
    pub fn place(&self, digest: &Digest, size: u64, dest: &Path) -> io::Result<bool> {
        let cached = self.blob_path(digest);
        match fs::metadata(&cached) {
            Ok(meta) if meta.is_file() && meta.len() == size => {}
            Ok(meta) if meta.is_file() => {
                // Not what was verified: never hand it out.
                let _ = fs::remove_file(&cached);
                return Ok(false);
            }
            _ => return Ok(false),
        }
        let temp = beside(dest, digest, "cached");
        let _ = fs::remove_file(&temp);
        match fs::hard_link(&cached, &temp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(_) => {
                // Another file system, or too many links: a private, writable copy.
                if let Err(e) = fs::copy(&cached, &temp) {
                    let _ = fs::remove_file(&temp);
                    return if e.kind() == io::ErrorKind::NotFound { Ok(false) } else { Err(e) };
                }
                set_owner_writable(&temp)?;
            }
        }
        if let Err(e) = fs::rename(&temp, dest) {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        touch(&cached);
        Ok(true)
    }

    /// Stores `verified` (a file whose digest was just checked) as the blob `digest`: a hard
    /// link when possible, else a copy through a temporary file. An entry that is already
    /// there is kept.
    pub fn store(&self, verified: &Path, digest: &Digest) -> io::Result<()> {
        let target = self.blob_path(digest);
        if fs::metadata(&target).is_ok_and(|m| m.is_file()) {
            touch(&target);
            return Ok(());
        }
        fs::create_dir_all(target.parent().expect("blob paths have a parent"))?;
        match fs::hard_link(verified, &target) {
            Ok(()) => return set_readonly(&target),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
            Err(_) => {}
        }
        let tmp_dir = self.root.join("tmp");
        fs::create_dir_all(&tmp_dir)?;
        let temp = tmp_dir.join(format!("{}.{}", digest.hex(), std::process::id()));
        // A copy is synced before it gets its name: a crash must not leave a blob there
        // whose size is right and whose bytes are not.
        let copied = fs::copy(verified, &temp)
            .and_then(|_| fs::File::open(&temp)?.sync_all())
            .and_then(|()| set_readonly(&temp))
            .and_then(|()| fs::rename(&temp, &target));
        if copied.is_err() {
            let _ = fs::remove_file(&temp);
        }
        copied
    }

    /// How many blobs the cache holds and their size.
    pub fn info(&self) -> io::Result<CacheInfo> {
        let entries = self.entries()?;
        Ok(CacheInfo {
            path: self.root.clone(),
            files: entries.len() as u64,
            bytes: entries.iter().map(|e| e.size).sum(),
        })
    }

    /// Removes the least recently used blobs until at most `max_bytes` remain (0 empties
    /// the cache), and leftovers of interrupted stores.
    pub fn prune(&self, max_bytes: u64) -> io::Result<PruneReport> {
        let mut entries = self.entries()?;
        entries.sort_by(|a, b| a.last_used.cmp(&b.last_used).then_with(|| a.path.cmp(&b.path)));
        let mut bytes: u64 = entries.iter().map(|e| e.size).sum();
        let mut files = entries.len() as u64;
        let (mut removed_files, mut removed_bytes) = (0, 0);
        for entry in &entries {
            if bytes <= max_bytes {
                break;
            }
            match fs::remove_file(&entry.path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            bytes -= entry.size;
            files -= 1;
            removed_files += 1;
            removed_bytes += entry.size;
            if let Some(parent) = entry.path.parent() {
                // Best effort: a directory still holding other blobs stays.
                let _ =
                    fs::remove_dir(parent).and_then(|()| fs::remove_dir(parent.parent().unwrap_or(parent)));
            }
        }
        let _ = fs::remove_dir_all(self.root.join("tmp"));
        Ok(PruneReport { path: self.root.clone(), removed_files, removed_bytes, files, bytes })
    }

    /// Every blob file under `blobs/sha256/ab/cd/`.
    fn entries(&self) -> io::Result<Vec<Entry>> {
        let mut found = Vec::new();
        for first in read_dir_or_empty(&self.blobs_dir())? {
            for second in read_dir_or_empty(&first)? {
                for path in read_dir_or_empty(&second)? {
                    let meta = fs::symlink_metadata(&path)?;
                    if meta.is_file() {
                        let last_used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                        found.push(Entry { path, size: meta.len(), last_used });
                    }
                }
            }
        }
        Ok(found)
    }
}

/// A temporary name beside `dest` for content `digest`.
fn beside(dest: &Path, digest: &Digest, what: &str) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.{what}", &digest.hex()[..16]));
    dest.with_file_name(name)
}

fn read_dir_or_empty(dir: &Path) -> io::Result<Vec<PathBuf>> {
    match fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.map(|e| e.path())).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

fn set_readonly(path: &Path) -> io::Result<()> {
    let mut perms = fs::metadata(path)?.permissions();
    perms.set_readonly(true);
    fs::set_permissions(path, perms)
}

/// A private copy is the user's to edit (the cache's entries are read-only).
#[cfg(unix)]
fn set_owner_writable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = fs::metadata(path)?.permissions();
    perms.set_mode(perms.mode() | 0o200);
    fs::set_permissions(path, perms)
}

#[cfg(not(unix))]
fn set_owner_writable(path: &Path) -> io::Result<()> {
    let mut perms = fs::metadata(path)?.permissions();
    #[expect(clippy::permissions_set_readonly_false, reason = "no owner/world distinction here")]
    perms.set_readonly(false);
    fs::set_permissions(path, perms)
}

/// Marks a blob as just used (its modification time), best effort.
fn touch(path: &Path) {
    if let Ok(file) = fs::File::open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::hash::hash_reader;

    fn digest_of(data: &[u8]) -> Digest {
        hash_reader(data).unwrap().0
    }

    fn stored(cache: &BlobCache, dir: &Path, data: &[u8]) -> Digest {
        let file = dir.join(format!("f{}", data.len()));
        fs::write(&file, data).unwrap();
        let digest = digest_of(data);
        cache.store(&file, &digest).unwrap();
        digest
    }

    #[test]
    fn the_root_follows_the_override_then_xdg_then_home() {
        let s = |v: &str| Some(OsString::from(v));
        assert_eq!(cache_root(s("/c"), s("/x"), s("/h")), Some(PathBuf::from("/c")));
        assert_eq!(cache_root(None, s("/x"), s("/h")), Some(PathBuf::from("/x/modelreg")));
        assert_eq!(cache_root(s(""), s("rel"), s("/h")), Some(PathBuf::from("/h/.cache/modelreg")));
        assert_eq!(cache_root(None, None, None), None);
    }

    #[test]
    fn a_stored_blob_is_linked_read_only_and_placed_into_an_output() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = BlobCache::new(tmp.path().join("cache"));
        let digest = stored(&cache, tmp.path(), b"weights");
        let entry = cache.blob_path(&digest);
        let hex = digest.hex();
        assert!(entry.ends_with(format!("blobs/sha256/{}/{}/{hex}", &hex[..2], &hex[2..4])));
        assert!(fs::metadata(&entry).unwrap().permissions().readonly());

        let dest = tmp.path().join("out.bin");
        fs::write(&dest, b"stale content").unwrap();
        assert!(cache.place(&digest, 7, &dest).unwrap());
        assert_eq!(fs::read(&dest).unwrap(), b"weights");
        assert!(cache.holds(&digest, 7, &dest));
        assert!(!cache.holds(&digest, 8, &dest));
        assert!(!beside(&dest, &digest, "cached").exists());
        // Storing again keeps the entry.
        cache.store(&dest, &digest).unwrap();
        assert_eq!(cache.info().unwrap().files, 1);
    }

    #[test]
    fn a_missing_or_wrongly_sized_entry_is_not_placed() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = BlobCache::new(tmp.path().join("cache"));
        let dest = tmp.path().join("out.bin");
        assert!(!cache.place(&digest_of(b"absent"), 6, &dest).unwrap());
        let digest = stored(&cache, tmp.path(), b"abc");
        assert!(!cache.place(&digest, 4, &dest).unwrap());
        assert!(!dest.exists());
        assert!(!cache.blob_path(&digest).exists(), "an entry of the wrong size is dropped");
    }

    #[test]
    fn info_counts_blobs_and_prune_removes_the_least_recently_used_first() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = BlobCache::new(tmp.path().join("cache"));
        assert_eq!(cache.info().unwrap().files, 0, "a cache that does not exist yet is empty");
        let old = stored(&cache, tmp.path(), &[1; 100]);
        let new = stored(&cache, tmp.path(), &[2; 200]);
        let newest = stored(&cache, tmp.path(), &[3; 300]);
        let base = SystemTime::now() - Duration::from_secs(3600);
        for (i, d) in [old, new, newest].iter().enumerate() {
            let f = fs::File::open(cache.blob_path(d)).unwrap();
            f.set_modified(base + Duration::from_secs(60 * i as u64)).unwrap();
        }
        // Using the oldest makes it the most recent.
        assert!(cache.place(&old, 100, &tmp.path().join("o")).unwrap());
        assert_eq!(cache.info().unwrap(), CacheInfo { path: cache.root().into(), files: 3, bytes: 600 });

        let report = cache.prune(450).unwrap();
        assert_eq!(
            (report.removed_files, report.removed_bytes, report.files, report.bytes),
            (1, 200, 2, 400)
        );
        assert!(!cache.blob_path(&new).exists());
        assert!(cache.blob_path(&old).exists() && cache.blob_path(&newest).exists());

        let report = cache.prune(0).unwrap();
        assert_eq!((report.removed_files, report.files, report.bytes), (2, 0, 0));
        assert_eq!(fs::read(tmp.path().join("o")).unwrap(), [1; 100], "pulled files outlive the cache");
    }
}
