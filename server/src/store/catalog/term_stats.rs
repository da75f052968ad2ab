//! How common the automatic lookup's facet terms are (`lookup::estimated_share`), per
//! dialect: SQLite counts every term exactly (`version_term_counts`, migration 0023), read
//! per lookup for the query's terms; PostgreSQL's `ANALYZE` keeps the most common elements
//! of `versions.facets` with their frequencies in `pg_stats` (a read of 2-20 ms, growing
//! with the registry), so it is kept for [`POSTGRES_STATS_TTL`], shared by every lookup of
//! the store, and read again in the background.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sqlx::QueryBuilder;

use crate::store::StoreError;
use crate::store::convert::db_err;
use crate::store::lookup::TermShares;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;

/// How long PostgreSQL's term frequencies are reused: they change only when `ANALYZE` runs
/// (autovacuum, or the start-up statistics pass), and a stale share only sizes a window.
pub(in crate::store) const POSTGRES_STATS_TTL: Duration = Duration::from_secs(60);

/// The term frequencies a store read last, and when; shared with the task that refreshes
/// them.
#[derive(Default, Clone)]
pub(in crate::store) struct TermStatsCache(Arc<Mutex<Option<CachedShares>>>);

struct CachedShares {
    read: Instant,
    shares: Option<Arc<TermShares>>,
    /// A refresh is under way.
    refreshing: bool,
}

impl TermStatsCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<CachedShares>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn store(&self, shares: Option<Arc<TermShares>>, read: Instant) {
        *self.lock() = Some(CachedShares { read, shares, refreshing: false });
    }

    /// The shares held at `now` (None: none read yet), and whether the caller is to read
    /// them again: the first caller to find them [`POSTGRES_STATS_TTL`] old.
    fn get(&self, now: Instant) -> Option<(Option<Arc<TermShares>>, bool)> {
        let mut cached = self.lock();
        let c = cached.as_mut()?;
        let refresh = now.saturating_duration_since(c.read) >= POSTGRES_STATS_TTL && !c.refreshing;
        c.refreshing |= refresh;
        Some((c.shares.clone(), refresh))
    }

    /// A refresh failed: the next caller tries again.
    fn refresh_failed(&self) {
        if let Some(c) = self.lock().as_mut() {
            c.refreshing = false;
        }
    }
}

/// Where a store's term shares come from.
#[async_trait]
pub(in crate::store) trait TermShareSource {
    /// The shares of versions carrying the terms of `groups`, or None when the database has
    /// no statistics for them (PostgreSQL before its first `ANALYZE` of `versions`).
    async fn term_shares(&self, groups: &[Vec<String>]) -> Result<Option<Arc<TermShares>>, StoreError>;
}

#[async_trait]
impl TermShareSource for SqliteStore {
    async fn term_shares(&self, groups: &[Vec<String>]) -> Result<Option<Arc<TermShares>>, StoreError> {
        let mut qb = QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT term, versions, (SELECT MAX(id) FROM versions) FROM version_term_counts WHERE term IN (",
        );
        let mut list = qb.separated(", ");
        for term in groups.iter().flatten() {
            list.push_bind(term);
        }
        qb.push(")");
        let rows: Vec<(String, i64, Option<i64>)> =
            qb.build_query_as().fetch_all(&self.pool).await.map_err(db_err)?;
        let shares = rows
            .into_iter()
            .map(|(term, versions, all)| (term, versions as f64 / all.unwrap_or(0).max(1) as f64))
            .collect();
        // Exact counts: a term without a row is on no version.
        Ok(Some(Arc::new(TermShares { shares, unlisted: 0.0, text_sample: Vec::new() })))
    }
}

#[async_trait]
impl TermShareSource for PostgresStore {
    /// The cached shares; once they are [`POSTGRES_STATS_TTL`] old, still those while one
    /// background task reads them again (a read took 6-21 ms at a million versions, which
    /// one lookup a minute paid on top of its own time). Only the first read is waited for.
    async fn term_shares(&self, _groups: &[Vec<String>]) -> Result<Option<Arc<TermShares>>, StoreError> {
        if let Some((shares, refresh)) = self.term_stats.get(Instant::now()) {
            if refresh {
                let (pool, cache) = (self.pool.clone(), self.term_stats.clone());
                tokio::spawn(async move {
                    match read_postgres_shares(&pool).await {
                        Ok(shares) => cache.store(shares, Instant::now()),
                        Err(e) => {
                            tracing::warn!(error = %e, "reading the term statistics failed; the last ones stay");
                            cache.refresh_failed();
                        }
                    }
                });
            }
            return Ok(shares);
        }
        let shares = read_postgres_shares(&self.pool).await?;
        self.term_stats.store(shares.clone(), Instant::now());
        Ok(shares)
    }
}

/// PostgreSQL's term shares as of its last `ANALYZE` of `versions` (None before it).
async fn read_postgres_shares(pool: &sqlx::PgPool) -> Result<Option<Arc<TermShares>>, StoreError> {
    // Each listed element with its frequency; the three extra frequencies at the end of the
    // array (the least and most common listed, and the share of empty arrays) come out with
    // a NULL term.
    let rows: Vec<(Option<String>, Option<f32>)> = sqlx::query_as(
        "SELECT e.term, e.freq FROM pg_stats s, \
         unnest(CAST(CAST(s.most_common_elems AS TEXT) AS TEXT[]), s.most_common_elem_freqs) AS e(term, freq) \
         WHERE s.schemaname = current_schema() AND s.tablename = 'versions' AND s.attname = 'facets'",
    )
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let listed: std::collections::HashMap<String, f64> =
        rows.into_iter().filter_map(|(term, freq)| Some((term?, f64::from(freq?)))).collect();
    // The histogram of the search text: a sample of it in value order.
    let text_sample: Option<Vec<String>> = sqlx::query_scalar(
        "SELECT CAST(CAST(s.histogram_bounds AS TEXT) AS TEXT[]) FROM pg_stats s \
         WHERE s.schemaname = current_schema() AND s.tablename = 'versions' AND s.attname = 'search_text'",
    )
    .fetch_optional(pool)
    .await
    .map_err(db_err)?
    .flatten();
    Ok((!listed.is_empty()).then(|| {
        // A term ANALYZE did not list is at most as common as the rarest it did.
        let unlisted = listed.values().copied().fold(1.0, f64::min);
        Arc::new(TermShares { shares: listed, unlisted, text_sample: text_sample.unwrap_or_default() })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_shares_are_served_while_one_caller_reads_them_again() {
        let cache = TermStatsCache::default();
        let start = Instant::now();
        assert!(cache.get(start).is_none(), "nothing read yet: the caller reads and waits");
        let old = Arc::new(TermShares { unlisted: 0.5, ..TermShares::default() });
        cache.store(Some(old.clone()), start);
        assert_eq!(cache.get(start), Some((Some(old.clone()), false)), "fresh");
        let later = start + POSTGRES_STATS_TTL;
        assert_eq!(cache.get(later), Some((Some(old.clone()), true)), "stale: this caller refreshes");
        assert_eq!(cache.get(later), Some((Some(old.clone()), false)), "one refresh at a time");
        cache.refresh_failed();
        assert_eq!(cache.get(later), Some((Some(old), true)), "after a failure the next caller tries");
        let new = Arc::new(TermShares::default());
        cache.store(Some(new.clone()), later);
        assert_eq!(cache.get(later), Some((Some(new), false)));
    }
}
