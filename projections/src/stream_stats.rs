//! `stream_stats`: events per stream and per stream category. The example projection the tests
//! and the rebuild benchmark use: it folds a batch in memory and writes it with two bulk
//! (UNNEST) upserts in one statement, whatever the batch size.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::RecordedEvent;
use sqlx::PgConnection;

use crate::projection::{Projection, ProjectionError};

/// Counts events per stream (`stream_stats_streams`) and per category (`stream_stats_categories`).
/// Accepts every event type: it reads only the envelope.
#[derive(Debug, Default, Clone, Copy)]
pub struct StreamStats;

impl StreamStats {
    pub const NAME: &'static str = "stream_stats";
}

/// The latest state of one stream within a batch.
struct Latest<'a> {
    category: &'a str,
    version: u64,
    position: u64,
    event_type: &'a str,
    recorded_at: DateTime<Utc>,
}

#[async_trait]
impl Projection for StreamStats {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &[&str] {
        &["stream_stats_streams", "stream_stats_categories"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        let mut latest: HashMap<&str, Latest<'_>> = HashMap::new();
        for e in events {
            let candidate = Latest {
                category: e.stream_id.category(),
                version: e.stream_version,
                position: e.global_position,
                event_type: &e.event_type,
                recorded_at: e.recorded_at,
            };
            latest
                .entry(e.stream_id.as_str())
                .and_modify(|l| {
                    if candidate.version > l.version {
                        l.version = candidate.version;
                        l.event_type = candidate.event_type;
                        l.recorded_at = candidate.recorded_at;
                    }
                    l.position = l.position.max(candidate.position);
                })
                .or_insert(candidate);
        }
        let n = latest.len();
        let (mut ids, mut cats, mut counts, mut positions, mut types, mut times) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (stream, l) in latest {
            ids.push(stream);
            cats.push(l.category);
            counts.push(l.version as i64);
            positions.push(l.position as i64);
            types.push(l.event_type);
            times.push(l.recorded_at);
        }
        // Idempotent by construction: a stream's count is its highest version (versions are 1-based and
        // gap-free), raised with `greatest`; a category grows by exactly what its streams grew in this
        // statement (`before` sees the rows as they were when the statement started), so replaying
        // applied events adds nothing.
        sqlx::query!(
            "\
            with input as ( \
                select * from unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::timestamptz[]) \
                    as i(stream_id, category, events, last_position, last_event_type, last_recorded_at)), \
            before as ( \
                select s.stream_id, s.events from stream_stats_streams s join input i on i.stream_id = s.stream_id), \
            upserted as ( \
                insert into stream_stats_streams as s \
                    (stream_id, category, events, last_position, last_event_type, last_recorded_at) \
                select stream_id, category, events, last_position, last_event_type, last_recorded_at from input \
                on conflict (stream_id) do update set \
                    events = greatest(s.events, excluded.events), \
                    last_position = greatest(s.last_position, excluded.last_position), \
                    last_event_type = case when excluded.events > s.events \
                        then excluded.last_event_type else s.last_event_type end, \
                    last_recorded_at = case when excluded.events > s.events \
                        then excluded.last_recorded_at else s.last_recorded_at end \
                returning s.stream_id, s.category, s.events, s.last_position), \
            deltas as ( \
                select u.category, \
                    sum(u.events - coalesce(b.events, 0))::int8 as added, \
                    count(*) filter (where b.stream_id is null)::int8 as new_streams, \
                    max(u.last_position) as last_position \
                from upserted u left join before b on b.stream_id = u.stream_id \
                group by u.category) \
            insert into stream_stats_categories as c (category, events, streams, last_position) \
            select category, added, new_streams, last_position from deltas \
            on conflict (category) do update set \
                events = c.events + excluded.events, \
                streams = c.streams + excluded.streams, \
                last_position = greatest(c.last_position, excluded.last_position)",
            // The macro's check takes text[] as `&[String]` only; the borrowed names bind as
            // text[] all the same (sqlx#280), so they are passed with an explicit type.
            &ids as &[&str],
            &cats as &[&str],
            &counts,
            &positions,
            &types as &[&str],
            &times
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
