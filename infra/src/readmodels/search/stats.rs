//! How common each lexeme is in the search table, from its column statistics, cached in the
//! process: a search estimates its breadth from them to choose how to find its candidates.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use uuid::Uuid;

/// How long statistics are reused. Reading them cost ~1 ms of every query (docs/benchmarks.md,
/// "Search"); `ANALYZE` changes them only every so many thousand row changes, and stale ones
/// only pick a slower way to the same results, never other results.
const TTL: Duration = Duration::from_secs(60);

/// The share of documents containing each of the most common lexemes (`ANALYZE`'s
/// `most_common_elems`); a lexeme not listed is rare. Empty before the first `ANALYZE`.
#[derive(Debug, Default)]
pub(super) struct Shares {
    /// Of `tsv` (filename and text, `english`). Ordered: a prefix's completions are a range.
    pub text: BTreeMap<String, f32>,
    /// Of `name_tsv` (filename, `simple` and `english`).
    pub names: BTreeMap<String, f32>,
    /// Rows in the table, as `ANALYZE` last counted them (0 before).
    pub documents: f64,
    /// The share of the rows each of the most common owners has (`most_common_vals`).
    pub owners: HashMap<Uuid, f32>,
    /// The share an owner not listed has on average (`shares` sets 1 when the statistics say
    /// nothing about owners).
    pub other_owner: f32,
}

impl Shares {
    /// About how many documents `owner` has in the table.
    pub fn documents_of(&self, owner: Uuid) -> f64 {
        self.documents * f64::from(self.owners.get(&owner).copied().unwrap_or(self.other_owner))
    }
}

/// Share of documents containing `lexeme`: 0 when it is not among the common ones.
pub(super) fn share(of: &BTreeMap<String, f32>, lexeme: &str) -> f32 {
    of.get(lexeme).copied().unwrap_or(0.0)
}

/// Share of documents a prefix matches, about the sum over its common completions; and how many
/// common completions it has.
pub(super) fn prefix_share(of: &BTreeMap<String, f32>, prefix: &str) -> (f32, usize) {
    let (share, completions) = of
        .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
        .take_while(|(l, _)| l.starts_with(prefix))
        .fold((0.0f32, 0), |(sum, n), (_, s)| (sum + s, n + 1));
    (share.min(1.0), completions)
}

type Cache = HashMap<String, (Instant, Arc<Shares>)>;

/// Per database (tests run many in one process).
static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Mutex::default);

/// The statistics of the database `pool` connects to, at most `TTL` old.
pub(super) async fn shares(pool: &PgPool) -> Result<Arc<Shares>, sqlx::Error> {
    let options = pool.connect_options();
    let key = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    );
    if let Some((at, shares)) = CACHE.lock().expect("search statistics").get(&key) {
        if at.elapsed() < TTL {
            return Ok(shares.clone());
        }
    }
    let rows: Vec<(String, String, f32)> = sqlx::query_as(
        "select s.attname::text, m.lexeme, m.share \
         from pg_stats s, \
             unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) as m(lexeme, share) \
         where s.schemaname = current_schema() and s.tablename = 'search_documents' \
           and s.attname in ('tsv', 'name_tsv') and m.lexeme is not null",
    )
    .fetch_all(pool)
    .await?;
    let documents: f32 = sqlx::query_scalar(
        "select greatest(reltuples, 0) from pg_class where oid = 'search_documents'::regclass",
    )
    .fetch_one(pool)
    .await?;
    // Owners: the most common ones' shares; the others share the rest evenly (`n_distinct` is a
    // count, or minus a fraction of the rows).
    let owner_stats: Option<(Vec<Uuid>, Vec<f32>, f32)> = sqlx::query_as(
        "select coalesce(s.most_common_vals::text::uuid[], '{}'), \
                coalesce(s.most_common_freqs, '{}'), s.n_distinct \
         from pg_stats s \
         where s.schemaname = current_schema() and s.tablename = 'search_documents' \
           and s.attname = 'owner_id'",
    )
    .fetch_optional(pool)
    .await?;
    let mut shares = Shares {
        documents: documents.into(),
        other_owner: 1.0,
        ..Shares::default()
    };
    if let Some((values, freqs, distinct)) = owner_stats {
        shares.owners = values.into_iter().zip(freqs.iter().copied()).collect();
        let distinct = if distinct < 0.0 {
            -distinct * documents
        } else {
            distinct
        };
        let others = distinct - shares.owners.len() as f32;
        let rest = 1.0 - freqs.iter().sum::<f32>();
        if others >= 1.0 {
            shares.other_owner = (rest / others).clamp(0.0, 1.0);
        }
    }
    for (column, lexeme, share) in rows {
        match column.as_str() {
            "tsv" => shares.text.insert(lexeme, share),
            _ => shares.names.insert(lexeme, share),
        };
    }
    let shares = Arc::new(shares);
    CACHE
        .lock()
        .expect("search statistics")
        .insert(key, (Instant::now(), shares.clone()));
    Ok(shares)
}
