//! SQLite, the embedded default: connection (WAL, `synchronous=FULL`, foreign keys, busy
//! timeout), migrations from `migrations/sqlite` (kept in lockstep with the PostgreSQL ones),
//! and the one `impl_sql_stores!` line that instantiates every concern's SQL for it. No
//! queries of its own: they belong to the concerns.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::StoreError;
use super::convert::db_err;
use super::dialect::{Dialect, impl_sql_stores};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
}

/// The most page cache each connection keeps (64 MiB; the pool has 4 connections unless
/// configured otherwise).
const PAGE_CACHE_KIB: u32 = 64 * 1024;

/// The most of the database file read through a memory map: SQLite's own limit unless it
/// was built with a higher one (2 GiB less 64 KiB). The lookup bench's file is 442 MB at
/// 100,000 versions; pages past the map are read into the page cache as before.
const MMAP_BYTES: i64 = 0x7fff_0000;

impl SqliteStore {
    /// Connects and runs pending migrations.
    pub async fn connect(url: &str, max_connections: Option<u32>) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL syncs the WAL on every commit: with NORMAL a power loss may roll back the
            // last commits, a token revocation among them (docs/benchmarks.md has the cost).
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            // SQLite's default page cache is 2 MiB a connection: a scan of the lookup or of a
            // choice re-read most of its pages from the OS on every request (a fifth of the
            // choose lines' time at 100,000 versions, docs/benchmarks.md). A negative size
            // is in KiB; pages are cached as read, up to this.
            .pragma("cache_size", format!("-{}", PAGE_CACHE_KIB))
            // Reads through a memory map of the file: every connection shares the OS's cached
            // pages, where each page cache fills on its own (a connection's first scans read
            // their pages again; the pool hands requests to its connections in turn), and
            // nothing is copied. SQLite writes through the file as before. The cost: an I/O
            // error while reading a mapped page is a SIGBUS, not an error (docs/deployment.md).
            .pragma("mmap_size", MMAP_BYTES.to_string());
        if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(db_err)?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.unwrap_or(4))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(db_err)?;
        MIGRATOR.run(&pool).await.map_err(db_err)?;
        Ok(Self { pool })
    }
}

impl_sql_stores!(SqliteStore, sqlx::Sqlite, Dialect::Sqlite);

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use chrono::Utc;
    use modelreg_api::{Digest, FileEntry, Manifest, Metadata};

    use super::*;
    use crate::store::{BlobLockStore, CatalogStore, NewFile, NewVersion};

    async fn temp_store(dir: &tempfile::TempDir, connections: u32) -> SqliteStore {
        let url = format!("sqlite://{}", dir.path().join("meta.db").display());
        SqliteStore::connect(&url, Some(connections)).await.unwrap()
    }

    async fn synchronous(store: &SqliteStore) -> i64 {
        sqlx::query_scalar::<_, i64>("PRAGMA synchronous").fetch_one(&store.pool).await.unwrap()
    }

    /// What the `pragma` statement reads on each of two connections held at once (so both
    /// were opened by the pool's options).
    async fn on_two_connections(store: &SqliteStore, pragma: &'static str) -> [i64; 2] {
        let (mut a, mut b) = (store.pool.acquire().await.unwrap(), store.pool.acquire().await.unwrap());
        let mut out = [0; 2];
        for (value, conn) in out.iter_mut().zip([&mut a, &mut b]) {
            *value = sqlx::query_scalar(pragma).fetch_one(&mut **conn).await.unwrap();
        }
        out
    }

    #[tokio::test]
    async fn every_connection_syncs_each_commit_in_full() {
        let dir = tempfile::tempdir().unwrap();
        let store = temp_store(&dir, 2).await;
        // Both must have been opened with FULL (2).
        for level in on_two_connections(&store, "PRAGMA synchronous").await {
            assert_eq!(level, 2, "PRAGMA synchronous is FULL");
        }
        assert_eq!(synchronous(&store).await, 2);
    }

    #[tokio::test]
    async fn every_connection_caches_up_to_64_mib_of_pages_and_maps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = temp_store(&dir, 2).await;
        for kib in on_two_connections(&store, "PRAGMA cache_size").await {
            assert_eq!(kib, -65536, "a negative cache_size is in KiB");
        }
        for mapped in on_two_connections(&store, "PRAGMA mmap_size").await {
            assert_eq!(mapped, MMAP_BYTES, "reads go through a map of the file");
        }
    }

    fn version(i: usize) -> NewVersion {
        let digest: Digest = format!("sha256:{i:064x}").parse().unwrap();
        let manifest = Manifest {
            files: vec![FileEntry { path: "w.bin".parse().unwrap(), digest, size: 1 }],
            metadata: Metadata::with_license("MIT".parse().unwrap()),
            override_derived: Default::default(),
        };
        NewVersion {
            actor: "bench".into(),
            model: "bench/sync".parse().unwrap(),
            version: format!("1.0.{i}").parse().unwrap(),
            digest,
            license: "MIT".into(),
            manifest_json: String::from_utf8(manifest.canonical_json()).unwrap(),
            files: vec![NewFile { path: "w.bin".into(), digest, size: 1 }],
            size_bytes: 1,
            published_at: Utc::now(),
            manifest,
            facts: Default::default(),
        }
    }

    /// What FULL costs a publish, against NORMAL, in the same run and on the same disk:
    /// `cargo test -p modelreg-server --lib sqlite::tests::publish_cost -- --ignored --nocapture`
    /// (`MODELREG_SYNC_BENCH_DIR` picks the disk; the default is the system temp folder).
    #[tokio::test]
    #[ignore = "a measurement, not a check: run by hand (docs/benchmarks.md)"]
    async fn publish_cost_of_full_against_normal_sync() {
        const VERSIONS: usize = 200;
        let base = std::env::var_os("MODELREG_SYNC_BENCH_DIR").map(std::path::PathBuf::from);
        let mut per_mode = Vec::new();
        for round in 0..2 {
            for (mode, pragma) in
                [("NORMAL", "PRAGMA synchronous = NORMAL"), ("FULL", "PRAGMA synchronous = FULL")]
            {
                let dir = match &base {
                    Some(b) => tempfile::tempdir_in(b).unwrap(),
                    None => tempfile::tempdir().unwrap(),
                };
                // One connection, so that the pragma set here is the one every publish uses.
                let store = temp_store(&dir, 1).await;
                sqlx::query(pragma).execute(&store.pool).await.unwrap();
                let start = Instant::now();
                // The two transactions of a publish: the lease on its blobs, then the version.
                for i in 0..VERSIONS {
                    let new = version(i);
                    store.lease_blobs(&[new.digest], Utc::now() + chrono::Duration::hours(1)).await.unwrap();
                    store.publish_version(&new).await.unwrap();
                }
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                println!(
                    "round {round} {mode:>6}: {VERSIONS} publishes in {ms:.0} ms ({:.2} ms each)",
                    ms / VERSIONS as f64
                );
                per_mode.push((mode, ms));
            }
        }
        let total = |m: &str| per_mode.iter().filter(|(k, _)| *k == m).map(|(_, ms)| ms).sum::<f64>();
        println!("FULL / NORMAL = {:.2}", total("FULL") / total("NORMAL"));
    }
}
