-- Read model of the `stream_stats` projection: events per stream and per stream category.
-- Small on purpose: it exercises the runtime (tests, rebuild benchmark) and gives admins a cheap
-- overview of the log.

create table stream_stats_streams (
    stream_id text not null,
    category text not null,
    -- Stream versions are 1-based and gap-free, so the highest version seen is the event count;
    -- taking the maximum makes replays idempotent.
    events bigint not null,
    last_position bigint not null,
    last_event_type text not null,
    last_recorded_at timestamptz not null,
    constraint stream_stats_streams_pkey primary key (stream_id),
    constraint stream_stats_streams_events_positive check (events >= 1)
);

-- Not needed for upserts, so a rebuild creates it only after the load.
create index stream_stats_streams_category_idx on stream_stats_streams (category);

create table stream_stats_categories (
    category text not null,
    -- Sum of `events` over the category's streams, maintained by the same statement that
    -- raises them.
    events bigint not null,
    streams bigint not null,
    last_position bigint not null,
    constraint stream_stats_categories_pkey primary key (category)
);
