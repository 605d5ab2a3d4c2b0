//! The PostgreSQL store's reads for the audit tools and projection lag: the log's head, the
//! sealed (stored-form) events with their chain links for exports, and the stream-by-stream walk
//! `audit verify` recomputes. Behind [`EventStore`](domain::ports::EventStore)'s
//! `head_position`, `read_chain_links` and `sealed_streams`.

use domain::ports::{ChainLink, SealedEvent, StoreError};
use futures::stream::{self, BoxStream, StreamExt};
use sqlx::PgPool;

use super::rows::backend;

/// Events per page of the stream-by-stream walk.
const PAGE: i64 = 2_000;

/// The [`SealedEvent`] in a row of `events` columns (the record of a compile-checked query).
/// A macro, not a `From`, because each query's record is a type of its own; it moves the event's
/// fields out of `$row` and leaves any others (a chain link's `prev_hash`).
macro_rules! sealed_event {
    ($row:ident) => {
        SealedEvent {
            global_position: $row.global_position.max(0) as u64,
            stream_id: $row.stream_id,
            stream_version: $row.stream_version.max(0) as u64,
            event_id: $row.event_id,
            event_type: $row.event_type,
            schema_version: $row.schema_version.max(0) as u32,
            recorded_at: $row.recorded_at,
            data: $row.data,
            metadata: $row.metadata,
            hash: $row.hash,
        }
    };
}

/// The highest global position (0 for an empty log): a primary-key lookup.
pub(super) async fn head_position(pool: &PgPool) -> Result<u64, StoreError> {
    let head: i64 =
        sqlx::query_scalar!(r#"select coalesce(max(global_position), 0) as "head!" from events"#)
            .fetch_one(pool)
            .await
            .map_err(backend)?;
    Ok(head.max(0) as u64)
}

/// The stored form and chain links of the events at `positions`.
pub(super) async fn chain_links(
    pool: &PgPool,
    positions: &[u64],
) -> Result<Vec<ChainLink>, StoreError> {
    let positions: Vec<i64> = positions
        .iter()
        .filter_map(|p| i64::try_from(*p).ok())
        .collect();
    let rows = sqlx::query!(
        "select e.global_position, e.stream_id, e.stream_version, \
             e.event_id, e.event_type, e.schema_version, e.recorded_at, e.data, e.metadata, \
             e.hash, p.hash as \"prev_hash?\" \
         from events e \
         left join events p \
             on p.stream_id = e.stream_id and p.stream_version = e.stream_version - 1 \
         where e.global_position = any($1) \
         order by e.global_position",
        &positions
    )
    .fetch_all(pool)
    .await
    .map_err(backend)?;
    Ok(rows
        .into_iter()
        .map(|r| ChainLink {
            prev_hash: r.prev_hash,
            event: sealed_event!(r),
        })
        .collect())
}

/// Every event, stream by stream in id order, each stream in version order, page by page.
pub(super) fn sealed_streams(pool: PgPool) -> BoxStream<'static, Result<SealedEvent, StoreError>> {
    // The state between pages: the keyset position, or `None` once the walk ended (or failed).
    let start = Some((String::new(), 0i64));
    stream::unfold(start, move |after| {
        let pool = pool.clone();
        async move {
            let (stream_id, version) = after?;
            // A keyset over the unique index, a bounded batch at a time, so memory stays flat
            // however large the log is and no long-running query pins a snapshot.
            let page = sqlx::query!(
                "select global_position, stream_id, stream_version, event_id, \
                     event_type, schema_version, recorded_at, data, metadata, hash \
                 from events \
                 where (stream_id, stream_version) > ($1, $2) \
                 order by stream_id, stream_version \
                 limit $3",
                &stream_id,
                version,
                PAGE
            )
            .fetch_all(&pool)
            .await;
            match page {
                Err(e) => Some((vec![Err(backend(e))], None)),
                Ok(page) => {
                    let last = page.last()?;
                    let next = (last.stream_id.clone(), last.stream_version);
                    let items = page.into_iter().map(|r| Ok(sealed_event!(r))).collect();
                    Some((items, Some(next)))
                }
            }
        }
    })
    .flat_map(stream::iter)
    .boxed()
}

/// [`verify_store`](domain::chain::verify_store) on the PostgreSQL log behind `pool`, without a
/// key ring (the walk reads sealed events only).
pub async fn verify_log(pool: &PgPool) -> Result<super::VerifyReport, StoreError> {
    domain::chain::verify_events(sealed_streams(pool.clone())).await
}
