//! The SQL dialects the store speaks: one [`Dialect`] value owns every per-dialect constant
//! (how a write transaction begins, the per-owner upload lock, collation, JSON casts), and
//! [`impl_sql_stores!`] is the one way the portable SQL of every concern is instantiated for
//! a dialect. No queries live here, and nothing here knows a concern's tables.

/// Which SQL dialect a statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// How a write transaction begins. SQLite's `BEGIN IMMEDIATE` takes the write lock up
    /// front, so concurrent writers queue on the busy timeout instead of failing to upgrade a
    /// read lock; on PostgreSQL, of concurrent inserts of one key the losers wait for the
    /// winner's commit and then see the conflict.
    pub(super) const fn begin_write(self) -> &'static str {
        match self {
            Self::Postgres => "BEGIN",
            Self::Sqlite => "BEGIN IMMEDIATE",
        }
    }

    /// A statement taking `$1`'s per-owner lock on upload sessions until the transaction
    /// ends, so that counting and inserting an owner's sessions cannot overshoot the cap: a
    /// transaction-scoped advisory lock on PostgreSQL; on SQLite [`Self::begin_write`]
    /// already serializes writers, so a statement that only binds `$1`.
    pub(super) const fn lock_upload_owner(self) -> &'static str {
        match self {
            Self::Postgres => "SELECT pg_advisory_xact_lock(hashtext('modelreg.upload_owner:' || $1))",
            Self::Sqlite => "SELECT $1",
        }
    }

    /// A statement that serialises the writers of effective licences until the transaction
    /// ends: a publish reads its bases' answers and recomputes its derivatives, and two at
    /// once (a base and its derivative) would each miss the other's uncommitted rows. A
    /// transaction-scoped advisory lock on PostgreSQL, taken before any row is written so
    /// that it never waits behind a row lock; on SQLite [`Self::begin_write`] already
    /// serialises writers.
    pub(super) const fn lock_lineage(self) -> &'static str {
        match self {
            Self::Postgres => "SELECT pg_advisory_xact_lock(hashtext('modelreg.lineage'))",
            Self::Sqlite => "SELECT 1",
        }
    }

    /// The collation that orders text bytewise, as SQLite's default does (appended to a
    /// column).
    pub(super) const fn bytewise_collation(self) -> &'static str {
        match self {
            Self::Postgres => " COLLATE \"C\"",
            Self::Sqlite => "",
        }
    }

    /// The cast that makes a bound text value a JSON column's value (appended to it).
    pub(super) const fn json_cast(self) -> &'static str {
        match self {
            Self::Postgres => "::jsonb",
            Self::Sqlite => "",
        }
    }
}

/// Implements every concern's store trait, and [`MetadataStore`](super::MetadataStore), for
/// `$store` (a struct with a `pool: sqlx::Pool<$db>` field) in `$dialect`:
/// `impl_sql_stores!(SqliteStore, sqlx::Sqlite, Dialect::Sqlite)`. Each concern's `sql.rs`
/// holds its part as a macro over the same three arguments.
macro_rules! impl_sql_stores {
    ($store:ty, $db:ty, $dialect:expr) => {
        $crate::store::catalog::sql::impl_catalog_store!($store, $db, $dialect);
        $crate::store::access::sql::impl_access_store!($store, $db, $dialect);
        $crate::store::lineage::sql::impl_lineage_store!($store, $db, $dialect);
        $crate::store::locks::sql::impl_blob_lock_store!($store, $db, $dialect);
        $crate::store::uploads::sql::impl_upload_store!($store, $db, $dialect);
        $crate::store::visibility::sql::impl_blob_visibility_store!($store, $db, $dialect);
        $crate::store::criteria::sql::impl_criteria_store!($store, $db, $dialect);
        $crate::store::sessions::sql::impl_session_store!($store, $db, $dialect);
        $crate::store::commits::sql::impl_commit_store!($store, $db, $dialect);
        $crate::store::scrub::sql::impl_scrub_store!($store, $db, $dialect);

        #[async_trait::async_trait]
        impl $crate::store::MetadataStore for $store {
            async fn ping(&self) -> Result<(), $crate::store::StoreError> {
                sqlx::query::<$db>("SELECT 1")
                    .execute(&self.pool)
                    .await
                    .map_err($crate::store::convert::db_err)?;
                Ok(())
            }
        }
    };
}

pub(super) use impl_sql_stores;
