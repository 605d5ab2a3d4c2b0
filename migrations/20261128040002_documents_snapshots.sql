-- Snapshots of aggregates whose streams grow without bound (a user's quota stream gains an event
-- per upload and per purge). A cache of the log, never a source of truth: truncating it only
-- makes the next load read the whole stream. Holds no personal data.
create table aggregate_snapshots (
    stream_id text not null,
    -- The stream version the state was folded at; the loader reads the events after it.
    stream_version bigint not null,
    state jsonb not null,
    updated_at timestamptz not null default now(),
    constraint aggregate_snapshots_pkey primary key (stream_id)
);
