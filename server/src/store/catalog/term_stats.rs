//! How common the automatic lookup's facet terms are (`lookup::estimated_share`), per
//! dialect: SQLite counts every term exactly (`version_term_counts`, migration 0023), read
//! per lookup for the query's terms; PostgreSQL's `ANALYZE` keeps the most common elements
//! of `versions.facets` with their frequencies in `pg_stats`, a read of about a millisecond,
//! so it is kept for [`POSTGRES_STATS_TTL`] and shared by every lookup of the store.

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

/// The term frequencies a store read last, and when.
#[derive(Default)]
pub(in crate::store) struct TermStatsCache(Mutex<Option<(Instant, Option<Arc<TermShares>>)>>);

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
    async fn term_shares(&self, _groups: &[Vec<String>]) -> Result<Option<Arc<TermShares>>, StoreError> {
        if let Some((read, shares)) = self.term_stats.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && read.elapsed() < POSTGRES_STATS_TTL
        {
            return Ok(shares.clone());
        }
        // Each listed element with its frequency; the three extra frequencies at the end of
        // the array (the least and most common listed, and the share of empty arrays) come
        // out with a NULL term.
        let rows: Vec<(Option<String>, Option<f32>)> = sqlx::query_as(
            "SELECT e.term, e.freq FROM pg_stats s, \
             unnest(CAST(CAST(s.most_common_elems AS TEXT) AS TEXT[]), s.most_common_elem_freqs) AS e(term, freq) \
             WHERE s.schemaname = current_schema() AND s.tablename = 'versions' AND s.attname = 'facets'",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let listed: std::collections::HashMap<String, f64> =
            rows.into_iter().filter_map(|(term, freq)| Some((term?, f64::from(freq?)))).collect();
        // The histogram of the search text: a sample of it in value order.
        let text_sample: Option<Vec<String>> = sqlx::query_scalar(
            "SELECT CAST(CAST(s.histogram_bounds AS TEXT) AS TEXT[]) FROM pg_stats s \
             WHERE s.schemaname = current_schema() AND s.tablename = 'versions' AND s.attname = 'search_text'",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .flatten();
        let shares = (!listed.is_empty()).then(|| {
            // A term ANALYZE did not list is at most as common as the rarest it did.
            let unlisted = listed.values().copied().fold(1.0, f64::min);
            Arc::new(TermShares { shares: listed, unlisted, text_sample: text_sample.unwrap_or_default() })
        });
        *self.term_stats.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), shares.clone()));
        Ok(shares)
    }
}
