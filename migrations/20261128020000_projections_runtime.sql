-- The projection runtime's own bookkeeping: one checkpoint row per projection and one rebuild
-- progress row per projection. Read models live in their own migrations.

create table projection_checkpoints (
    name text not null,
    -- The code version whose handler built the live tables. A process running a newer version
    -- rebuilds (blue/green); an older one refuses to lead.
    version integer not null,
    -- The read-order checkpoint (domain::Checkpoint): the store's (transaction id, position) of the
    -- last applied event. (0, 0) is before every event. xid8 values fit a bigint in practice
    -- (epoch << 32 | xid), so the pair stays comparable as a row value.
    tx bigint not null default 0,
    pos bigint not null default 0,
    -- running: a leader applies events; halted: a handler failed, nothing moves until `resume`;
    -- rebuilding: the leader is building shadow tables (the live tables keep being served and
    -- updated); standby: no process leads it at the moment.
    state text not null default 'standby',
    -- Why it halted, shown to admins; cleared by `resume` and by a successful rebuild.
    last_error text,
    -- The process that took the advisory lock last (`host:pid:instance`). Also a fencing token:
    -- every checkpoint write is conditional on it, so a leader that lost its lock without knowing
    -- cannot commit after a successor took over.
    leader_id text,
    -- recorded_at of the last applied event, for the lag in seconds.
    last_event_at timestamptz,
    -- A smoothed apply rate, for the admin view (Prometheus has the exact counters).
    events_per_second double precision not null default 0,
    updated_at timestamptz not null default now(),
    constraint projection_checkpoints_pkey primary key (name),
    constraint projection_checkpoints_state_check
        check (state in ('running', 'halted', 'rebuilding', 'standby')),
    constraint projection_checkpoints_position_check check (tx >= 0 and pos >= 0)
);

-- Blue/green rebuilds: requested by the CLI or the admin API, carried out by the projection's
-- leader (or by the requester itself when no process leads it), followed through this row.
create table projection_rebuilds (
    name text not null,
    -- requested: waiting for a leader to pick it up; running: loading shadow tables;
    -- swapping: the final catch-up and swap transaction; done / failed: finished.
    state text not null,
    requested_at timestamptz not null default now(),
    started_at timestamptz,
    finished_at timestamptz,
    -- Progress as the rebuilder last saw it. The total is the log's head position when last
    -- sampled, so it grows under live writes.
    events_done bigint not null default 0,
    events_total bigint not null default 0,
    events_per_second double precision not null default 0,
    eta_seconds double precision,
    error text,
    updated_at timestamptz not null default now(),
    constraint projection_rebuilds_pkey primary key (name),
    constraint projection_rebuilds_state_check
        check (state in ('requested', 'running', 'swapping', 'done', 'failed'))
);
