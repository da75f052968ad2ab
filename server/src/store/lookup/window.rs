//! The bounded windows of the automatic lookup: which models (`Walk`, for sorts in a model
//! order) or versions (`Seek`, for sorts on a version column) after the cursor a walk
//! examines, as the `FROM` item `m` or `v` of the lookup statement. Only which rows are
//! read; the strategy's joins, filters and ordering, and the choice of strategy,
//! stay in `lookup`.
//!
//! After the first window the walk goes on only while the rate of matches it has seen says
//! that walking on reads fewer rows than scanning (`next_window`), so that a common filter
//! is walked and a rare one scanned, at any registry size.
//!
//! Window sizes are written into the SQL as literals, not bound: they are the registry's own
//! constants, and a literal `LIMIT` gives PostgreSQL the true row count in every plan,
//! including the generic plan of a statement sqlx has prepared before.

use modelreg_api::{LookupQuery, Order, VersionsMode};
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::Strategy;
use super::driver::candidate_groups;
use super::filters::push_visible;
use super::keys::{Cursor, SortColumn, SortValue, order_terms, push_after, push_value};
use crate::store::dialect::Dialect;

/// How many models an automatic walk examines first: a query matching at least about one
/// model in 5 fills its page within it.
pub(super) const WALK_WINDOW: i64 = 100;

/// How many versions an automatic seek examines first: about the same share of the
/// registry as [`WALK_WINDOW`] at a few versions per model.
pub(super) const SEEK_WINDOW: i64 = 400;

/// What the scan reads per matching version (bitmap, heap row, ranking, its model), in
/// rows a walk reads: an estimate from the plans at 550,000 versions on PostgreSQL
/// (docs/benchmarks.md, issue 16), not yet calibrated on a quiet machine.
const SCAN_ROW_COST: f64 = 3.0;

/// What a seek reads per version it examines, in rows: the version and, for the best
/// version of each model, the probe for a higher matching release.
const SEEK_ROW_COST: f64 = 2.0;

/// SQLite's scan per version of its driving group and seek per version examined, in rows a
/// walk reads: measured at 100,000 versions on a quiet machine (docs/benchmarks.md, issue 16:
/// a walk of 5 filters about 10 us a model, 2 a version; the scan about 1.2 us a driving
/// version, the seek 1.6 us a version). A probe in SQLite costs little against the
/// correlated facet checks of a walk, unlike PostgreSQL's bitmap scan and its ranking.
const SQLITE_SCAN_ROW_COST: f64 = 0.5;
const SQLITE_SEEK_ROW_COST: f64 = 1.0;

/// A further window covers this much more than the rate seen so far says it needs.
const WINDOW_MARGIN: f64 = 1.5;

/// No window is larger: a walk that would need more scans instead.
const MAX_WINDOW: f64 = 20_000.0;

/// How far an automatic walk got: units (models for a walk, versions for a seek) examined,
/// units that matched, rows found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store) struct Progress {
    pub walked: i64,
    pub matched: i64,
    pub rows: i64,
}

/// The registry's size, from the largest ids (at least the number of rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store) struct RegistrySize {
    pub models: i64,
    pub versions: i64,
}

/// The next window of an automatic walk that has not filled its page (`wanted` rows), or
/// None when scanning costs less: the walk goes on for as many units as the rate of matches
/// so far says the page needs (with a margin) if reading them costs fewer rows than the scan
/// would read for every matching version (that rate's share of all versions). A walk that
/// found nothing, or has walked the whole registry, scans.
pub(in crate::store) fn next_window(
    strategy: Strategy,
    p: Progress,
    wanted: i64,
    size: RegistrySize,
) -> Option<i64> {
    if p.matched == 0 || p.rows >= wanted {
        return None;
    }
    let (units, walked_row_cost) = match strategy {
        Strategy::Seek => (size.versions, SEEK_ROW_COST),
        _ => (size.models, size.versions as f64 / size.models.max(1) as f64),
    };
    if p.walked >= units {
        return None;
    }
    let rate = p.matched as f64 / p.walked as f64;
    let rows_per_unit = p.rows as f64 / p.matched as f64;
    let window = ((wanted - p.rows) as f64 / rows_per_unit / rate * WINDOW_MARGIN).ceil();
    let walk = window.min((units - p.walked) as f64) * walked_row_cost;
    let scan = rate * size.versions as f64 * SCAN_ROW_COST;
    (walk < scan && window <= MAX_WINDOW).then_some(window as i64)
}

/// How many versions carry each facet term, as shares of all versions, from the database's
/// statistics: exact counts on SQLite (`version_term_counts`), the most common elements of
/// `facets` on PostgreSQL (`pg_stats`, as of the last `ANALYZE`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(in crate::store) struct TermShares {
    pub shares: std::collections::HashMap<String, f64>,
    /// The share of a term not in `shares`: 0 where the counts are exact, else the rarest
    /// listed share (a term PostgreSQL did not list is at most that common).
    pub unlisted: f64,
    /// A sample of the versions' lower-cased search text (PostgreSQL's histogram of
    /// `search_text`), by which the words of `q` are judged; empty on SQLite.
    pub text_sample: Vec<String>,
}

/// The share of the text sample a word is in at or above which it is too common for the
/// text index: its postings span a fifth of the index or more.
const COMMON_WORD: f64 = 0.2;

impl TermShares {
    /// The share of versions in a filter group (`driver::weighted_groups`: alternative terms,
    /// each with the share of its versions in the filter), at most all of them.
    pub(in crate::store) fn group_share(&self, group: &[(String, f64)]) -> f64 {
        let sum: f64 =
            group.iter().map(|(t, w)| w * self.shares.get(t).copied().unwrap_or(self.unlisted)).sum();
        sum.clamp(0.0, 1.0)
    }

    /// The words of `words` (a lower-cased `q`) not to look up in the text index: all but
    /// the rarest of three characters or more (the longest of equals) that are in at least
    /// [`COMMON_WORD`] of the text sample, or too short for a trigram (the index cannot
    /// answer them). None without a sample, or when no word is long enough.
    pub(in crate::store) fn common_words(&self, words: &str) -> Vec<String> {
        if self.text_sample.is_empty() {
            return Vec::new();
        }
        let share = |w: &str| self.sample_count(w) as f64 / self.text_sample.len() as f64;
        let Some((_, rarest)) = words
            .split_whitespace()
            .filter(|w| long_word(w))
            .map(|w| (share(w), w))
            .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.len().cmp(&a.1.len())))
        else {
            return Vec::new();
        };
        words
            .split_whitespace()
            .filter(|w| *w != rarest && (!long_word(w) || share(w) >= COMMON_WORD))
            .map(str::to_owned)
            .collect()
    }

    /// The share of versions expected to hold every word of `words` (a lower-cased `q`):
    /// that of its rarest word of three characters or more in the text sample, a word the
    /// sample lacks counted as half a sample (it is rarer than one in the sample's size, not
    /// absent). None without a sample, or when no word is long enough.
    pub(in crate::store) fn text_share(&self, words: &str) -> Option<f64> {
        let rarest = words.split_whitespace().filter(|w| long_word(w)).map(|w| self.sample_count(w)).min()?;
        (!self.text_sample.is_empty()).then(|| (rarest as f64).max(0.5) / self.text_sample.len() as f64)
    }

    /// How many texts of the sample hold `word`.
    fn sample_count(&self, word: &str) -> usize {
        self.text_sample.iter().filter(|t| t.contains(word)).count()
    }
}

/// Whether the text index can look `word` up: it has a trigram.
fn long_word(word: &str) -> bool {
    word.chars().count() >= 3
}

/// The [`Estimate`] of a query whose only narrowing filter is text held by `share` of the
/// versions (`TermShares::text_share`): PostgreSQL's scan reads the matches of its rarest
/// word through the trigram index, so it costs what a scan of facet matches costs.
pub(in crate::store) fn text_estimate(share: f64) -> Estimate {
    Estimate { matching: share, scan_cost: share * SCAN_ROW_COST, seek_row_cost: SEEK_ROW_COST }
}

/// What the statistics expect of a query with filter groups (each a list of alternative
/// terms, `driver::candidate_groups`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(in crate::store) struct Estimate {
    /// The share of versions matching every group, the groups taken as independent. Filters
    /// without terms (text, evaluations, memory, latency on one hardware) do not lower it, so
    /// it errs on the side of more matches.
    pub matching: f64,
    /// What the scan costs per version of the registry, in rows a walk reads: on PostgreSQL
    /// the matches' share (its candidate models, `push_candidate_terms`) at its cost a
    /// match; on SQLite the share of the rarest group, which drives its scan (`driver`), at
    /// its cost a row.
    pub scan_cost: f64,
    /// What a seek costs per version it examines, in rows a walk reads.
    pub seek_row_cost: f64,
}

/// The [`Estimate`] of a query with filter groups `groups` (`driver::weighted_groups`: each
/// term with the share of its versions in the filter) on `dialect`.
pub(in crate::store) fn estimate(
    groups: &[Vec<(String, f64)>],
    shares: &TermShares,
    dialect: Dialect,
) -> Estimate {
    let per_group: Vec<f64> = groups.iter().map(|g| shares.group_share(g)).collect();
    let matching: f64 = per_group.iter().product();
    match dialect {
        Dialect::Postgres => {
            Estimate { matching, scan_cost: matching * SCAN_ROW_COST, seek_row_cost: SEEK_ROW_COST }
        }
        // Every version of the driving group read, and the matches ranked as PostgreSQL's.
        Dialect::Sqlite => Estimate {
            matching,
            scan_cost: per_group.iter().copied().fold(1.0, f64::min) * SQLITE_SCAN_ROW_COST
                + matching * SCAN_ROW_COST,
            seek_row_cost: SQLITE_SEEK_ROW_COST,
        },
    }
}

/// The first window of an automatic walk, when the statistics expect `e`: None when the scan
/// reads less than walking until the page is full would (the walk's first window would only
/// find that out), else a window as large as the rate of matches says the page needs (with
/// the margin), at least `first` and at most the largest window. A model's versions mostly
/// share their facets, so a model matches at the versions' rate; and a seek for the `best`
/// version of each model keeps only one of a model's matching versions, so it finds rows at
/// that rate divided by the versions a model has.
pub(in crate::store) fn first_window(
    strategy: Strategy,
    best: bool,
    first: i64,
    e: Estimate,
    wanted: i64,
    size: RegistrySize,
) -> Option<i64> {
    let per_model = size.versions as f64 / size.models.max(1) as f64;
    let (units, walked_row_cost, rate) = match strategy {
        Strategy::Seek if best => (size.versions, e.seek_row_cost, e.matching / per_model.max(1.0)),
        Strategy::Seek => (size.versions, e.seek_row_cost, e.matching),
        _ => (size.models, per_model, e.matching),
    };
    let window = (wanted as f64 / rate.max(f64::MIN_POSITIVE) * WINDOW_MARGIN).ceil();
    let walk = window.min(units as f64) * walked_row_cost;
    let scan = e.scan_cost * size.versions as f64;
    if scan < walk {
        return None;
    }
    Some((window.min(MAX_WINDOW) as i64).max(first))
}

/// Which rows after the cursor (models for `Walk`, versions for `Seek`) a bounded walk
/// examines, in walk order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store) struct Window {
    pub skip: i64,
    pub take: i64,
}

/// Pushes the models a `Walk` reads, as `m`: the window of them after the cursor in the
/// sort's model order, or all of them without a window (or for a sort a model has no order
/// for). On PostgreSQL, without a window and in name order, only the candidates among them
/// ([`push_candidate_terms`]).
pub(super) fn push_models<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    dialect: Dialect,
    column: Option<&SortColumn>,
    window: Option<Window>,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    let Some(w) = window else {
        let groups = candidate_terms(q, dialect);
        if !groups.is_empty() {
            // A fence (OFFSET 0): the candidates through the GIN index first, then each
            // one's versions by model.
            qb.push("(SELECT * FROM models mm WHERE mm.deleted_at IS NULL");
            push_visible(qb, q, "mm");
            push_candidate_terms(qb, groups, "mm");
            qb.push(" OFFSET 0) m");
        } else {
            qb.push("models m");
        }
        return;
    };
    match column {
        None => push_name_window(qb, q, cursor, dialect, w),
        Some(c) if !c.on_versions && !c.computed => push_created_window(qb, q, cursor, c, w),
        Some(_) => {
            qb.push("models m");
        }
    }
}

/// Models by name: one row each, so the window is a plain `LIMIT` over them after the
/// cursor's model (including it with `versions=all`, whose next row may be another version
/// of the same model).
fn push_name_window<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    dialect: Dialect,
    w: Window,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let collate = dialect.bytewise_collation();
    let (after, dir) = match (q.order, q.versions == VersionsMode::Best) {
        (Order::Asc, true) => (">", "ASC"),
        (Order::Asc, false) => (">=", "ASC"),
        (Order::Desc, true) => ("<", "DESC"),
        (Order::Desc, false) => ("<=", "DESC"),
    };
    qb.push("(SELECT * FROM models mm WHERE mm.deleted_at IS NULL");
    push_visible(qb, q, "mm");
    push_candidate_terms(qb, candidate_terms(q, dialect), "mm");
    if let Some(cur) = cursor {
        let (ns, name) = cur.name_key();
        qb.push(format!(" AND (mm.namespace{collate}, mm.name{collate}) {after} ("));
        qb.push_bind(ns.to_owned()).push(", ").push_bind(name.to_owned()).push(")");
    }
    qb.push(format!(" ORDER BY mm.namespace{collate} {dir}, mm.name{collate} {dir}"));
    qb.push(format!(" LIMIT {} OFFSET {}) m", w.take, w.skip));
}

/// The filter groups (`driver::candidate_groups`) by which the lookup narrows the models it
/// walks to candidates: on PostgreSQL, those of a query with facet or range filters; none on
/// SQLite, which has no terms on its models.
fn candidate_terms(q: &LookupQuery, dialect: Dialect) -> Vec<Vec<String>> {
    if dialect == Dialect::Postgres { candidate_groups(q) } else { Vec::new() }
}

/// ` AND` model `mm` has a term of each of `groups` among the terms of all its versions
/// (`models.terms`, PostgreSQL's migration 0027): every model with a matching version, and
/// those whose versions have the terms between them, which their rows then fail. One GIN
/// bitmap over the models, a fifth of the versions' entries at five versions a model.
fn push_candidate_terms<DB>(qb: &mut QueryBuilder<DB>, groups: Vec<Vec<String>>, mm: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    for group in groups {
        qb.push(format!(" AND {mm}.terms && ARRAY["));
        let mut list = qb.separated(", ");
        for term in group {
            list.push_bind(term);
        }
        qb.push("]::text[]");
    }
}

/// Models by creation time. Models created in the same millisecond are ordered among
/// themselves by the id of the version each contributes, which the window cannot know; so
/// the window is a range of creation times holding whole ties: from the cursor's time up to
/// the time of the window's last model, and past the time of the model before the window
/// when it skips some. Its matches are then exactly those of that range, in any order.
fn push_created_window<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    column: &SortColumn,
    w: Window,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    let col = column.name;
    let (from, past, upto, dir, first, last) = match q.order {
        Order::Asc => (">=", ">", "<=", "ASC", i64::MIN, i64::MAX),
        Order::Desc => ("<=", "<", ">=", "DESC", i64::MAX, i64::MIN),
    };
    let start = cursor.and_then(|c| c.key.clone()).unwrap_or(SortValue::Int(first));
    // The time of the model at `offset` from the cursor's time, in walk order.
    let nth = |qb: &mut QueryBuilder<DB>, offset: i64| {
        qb.push(format!("(SELECT x.{col} FROM models x WHERE x.deleted_at IS NULL"));
        push_visible(qb, q, "x");
        qb.push(format!(" AND x.{col} {from} "));
        push_value(qb, &start);
        qb.push(format!(" ORDER BY x.{col} {dir}, x.id {dir} LIMIT 1 OFFSET {offset})"));
    };
    qb.push("(SELECT * FROM models mm WHERE mm.deleted_at IS NULL");
    push_visible(qb, q, "mm");
    // Both ends of the range are always written: PostgreSQL estimates a range with an
    // unknown end as a small share of the table (an open one as a third of it).
    qb.push(format!(" AND mm.{col} {from} "));
    push_value(qb, &start);
    if w.skip > 0 {
        // No such model: the earlier window held every one left, and this one is empty.
        qb.push(format!(" AND mm.{col} {past} "));
        nth(qb, w.skip - 1);
    }
    qb.push(format!(" AND mm.{col} {upto} COALESCE("));
    nth(qb, w.skip + w.take - 1);
    qb.push(", ").push_bind(last).push(")) m");
}

/// Pushes the versions a `Seek` reads, as `v`: the window of them after the cursor in the
/// sort key's index order (releases only for the best version of each model), or all of
/// them without a window (or for a sort on a model column).
pub(super) fn push_versions<DB>(
    qb: &mut QueryBuilder<DB>,
    q: &LookupQuery,
    cursor: Option<&Cursor>,
    column: Option<&SortColumn>,
    window: Option<Window>,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
    for<'t> f64: Encode<'t, DB> + Type<DB>,
{
    let (Some(w), Some(c)) = (window, column.filter(|c| c.on_versions)) else {
        qb.push("versions v");
        return;
    };
    qb.push("(SELECT * FROM versions w");
    let mut lead = " WHERE ";
    if q.versions == VersionsMode::Best {
        qb.push(" WHERE w.prerelease = ''");
        lead = " AND ";
    }
    if let Some(cur) = cursor {
        qb.push(lead);
        push_after(qb, c, "w.", q.order, cur);
    }
    qb.push(format!(" ORDER BY {}", order_terms(c, "w.", q.order)));
    qb.push(format!(" LIMIT {} OFFSET {}) v", w.take, w.skip));
}

#[cfg(test)]
mod tests {
    use super::*;

    const MILLION: RegistrySize = RegistrySize { models: 200_000, versions: 1_000_000 };
    const SMALL: RegistrySize = RegistrySize { models: 20_000, versions: 100_000 };

    fn walked(walked: i64, matched: i64) -> Progress {
        Progress { walked, matched, rows: matched }
    }

    #[test]
    fn a_common_filter_is_walked_on_and_a_rare_one_scanned() {
        // One model in 25 matches: 17 more rows need about 425 models (638 with the margin),
        // far less than scanning 40,000 matching versions.
        assert_eq!(next_window(Strategy::Walk, walked(100, 4), 21, MILLION), Some(638));
        // One in 100 at a million versions: still cheaper to walk on.
        assert!(next_window(Strategy::Walk, walked(500, 5), 21, MILLION).is_some());
        // The same rate at 100,000 versions: the scan reads a tenth as much.
        assert_eq!(next_window(Strategy::Walk, walked(500, 5), 21, SMALL), None);
        assert_eq!(next_window(Strategy::Walk, walked(100, 0), 21, MILLION), None);
    }

    #[test]
    fn a_walk_never_goes_past_the_registry_nor_beyond_the_largest_window() {
        assert_eq!(next_window(Strategy::Walk, walked(200_000, 3), 21, MILLION), None);
        assert_eq!(next_window(Strategy::Seek, walked(400, 1), 21, MILLION), None, "a 12,000-version window");
        assert_eq!(
            next_window(Strategy::Walk, Progress { walked: 100, matched: 5, rows: 21 }, 21, MILLION),
            None
        );
    }

    fn pg(share: f64) -> Estimate {
        Estimate { matching: share, scan_cost: share * SCAN_ROW_COST, seek_row_cost: SEEK_ROW_COST }
    }

    #[test]
    fn the_statistics_skip_a_walk_that_could_only_end_in_a_scan() {
        // One version in 400 matches at a million: a page needs about 12,600 models
        // (63,000 version rows) against a scan of 2,500 matches (7,500).
        assert_eq!(first_window(Strategy::Walk, true, WALK_WINDOW, pg(0.0025), 21, MILLION), None);
        assert_eq!(first_window(Strategy::Seek, false, SEEK_WINDOW, pg(0.0025), 21, MILLION), None);
        // One in 8 (a licence): a first window that holds the page, at least the usual one.
        assert_eq!(first_window(Strategy::Walk, true, WALK_WINDOW, pg(0.125), 21, MILLION), Some(252));
        assert_eq!(first_window(Strategy::Walk, true, WALK_WINDOW, pg(1.0), 21, MILLION), Some(WALK_WINDOW));
        // One in 50: a larger first window instead of several round trips.
        assert_eq!(first_window(Strategy::Walk, true, WALK_WINDOW, pg(0.02), 21, MILLION), Some(1575));
        // Nothing expected to match: scan (it reads nothing).
        assert_eq!(first_window(Strategy::Walk, true, WALK_WINDOW, pg(0.0), 21, SMALL), None);
        // One in 30 at five versions a model: every version of a matching model is a row
        // (1,000 versions), the best of each model one in five of them (5,000: the scan
        // of 3,300 matches reads less).
        assert_eq!(first_window(Strategy::Seek, false, SEEK_WINDOW, pg(0.03), 21, SMALL), Some(1050));
        assert_eq!(first_window(Strategy::Seek, true, SEEK_WINDOW, pg(0.03), 21, SMALL), None);
        // SQLite's scan of the same matches reads a group of one version in five: seek.
        let sqlite =
            Estimate { matching: 0.03, scan_cost: 0.2 * SQLITE_SCAN_ROW_COST + 0.09, seek_row_cost: 1.0 };
        assert_eq!(first_window(Strategy::Seek, true, SEEK_WINDOW, sqlite, 21, SMALL), Some(5250));
    }

    #[test]
    fn the_estimate_multiplies_groups_adds_alternatives_and_knows_what_each_scan_reads() {
        let shares = TermShares {
            shares: [
                ("license:mit", 0.25),
                ("license:apache-2.0", 0.25),
                ("language:fr", 0.2),
                ("modality:text", 1.0),
            ]
            .into_iter()
            .map(|(t, s)| (t.to_owned(), s))
            .collect(),
            unlisted: 0.001,
            ..TermShares::default()
        };
        let group = |terms: &[&str]| terms.iter().map(|t| ((*t).to_owned(), 1.0)).collect::<Vec<_>>();
        let groups = [
            group(&["license:mit", "license:apache-2.0"]),
            group(&["language:fr"]),
            group(&["modality:text"]),
        ];
        let e = estimate(&groups, &shares, Dialect::Postgres);
        assert!((e.matching - 0.1).abs() < 1e-12, "{e:?}");
        assert!((e.scan_cost - 0.3).abs() < 1e-12, "PostgreSQL's scan reads the matches: {e:?}");
        let e = estimate(&groups, &shares, Dialect::Sqlite);
        assert!((e.scan_cost - 0.4).abs() < 1e-12, "SQLite's reads the rarest group: {e:?}");
        assert!(
            (estimate(&[group(&["tag:rare"])], &shares, Dialect::Postgres).matching - 0.001).abs() < 1e-12
        );
        assert_eq!(estimate(&[], &shares, Dialect::Sqlite).matching, 1.0, "no terms: everything may match");
    }

    #[test]
    fn only_the_rarer_words_of_q_use_the_text_index() {
        let shares = TermShares {
            text_sample: ["acme/mt-1 model number 1", "acme/mt-2 model number 22", "beta/x model number 3"]
                .map(String::from)
                .to_vec(),
            ..TermShares::default()
        };
        assert_eq!(shares.common_words("number mt-2"), ["number"]);
        assert_eq!(shares.common_words("model number acme"), ["model", "number"], "acme is in 2 of 3");
        // The rarest word keeps the index, however common; the longest of equals.
        assert_eq!(shares.common_words("model number"), ["model"]);
        // A word too short for a trigram never uses the index.
        assert_eq!(shares.common_words("number 22"), ["22"]);
        assert_eq!(shares.common_words("number"), Vec::<String>::new());
        assert_eq!(shares.common_words("a 22"), Vec::<String>::new(), "no word the index can answer");
        assert_eq!(TermShares::default().common_words("number 22"), Vec::<String>::new(), "no sample");
    }

    #[test]
    fn a_word_the_text_sample_lacks_skips_the_walk() {
        let sample: Vec<String> = (0..100).map(|i| format!("acme/m-{i} model number {}", i * 7)).collect();
        let shares = TermShares { text_sample: sample, ..TermShares::default() };
        // The rarest long word: "number" is in all 100, "1234" in none (half a sample).
        assert_eq!(shares.text_share("number 1234"), Some(0.005));
        assert_eq!(shares.text_share("number m-1"), Some(0.11), "m-1, m-10..m-19");
        assert_eq!(shares.text_share("number"), Some(1.0));
        assert_eq!(shares.text_share("ab 12"), None, "no word the index can answer");
        assert_eq!(TermShares::default().text_share("number"), None, "no sample");
        // At a million versions a walk in name order would need some 6,300 models for a
        // page of 21 at that rate: the scan reads the 5,000 expected matches instead.
        let rare = text_estimate(0.005);
        assert_eq!(first_window(Strategy::Walk, true, WALK_WINDOW, rare, 21, MILLION), None);
        // A common word fills a page within a first window.
        let common = text_estimate(0.5);
        assert_eq!(first_window(Strategy::Walk, true, WALK_WINDOW, common, 21, MILLION), Some(WALK_WINDOW));
    }

    #[test]
    fn several_rows_of_one_model_count_toward_the_page() {
        // versions=all: 2 models with 5 rows each; 11 more rows need about 2 more models.
        let p = Progress { walked: 100, matched: 2, rows: 10 };
        assert_eq!(next_window(Strategy::Walk, p, 21, MILLION), Some(165));
    }
}
