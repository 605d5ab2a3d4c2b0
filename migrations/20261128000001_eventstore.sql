-- The event store: the append-only log that is DocuVault's audit log and source of truth.

create table events (
    -- Insertion order. Not commit order: readers page by (tx_id, global_position), see below.
    global_position bigint generated always as identity,
    -- The writing transaction. Readers only take events whose transaction is older than every
    -- transaction still in flight (pg_snapshot_xmin), so a late commit can never be skipped.
    -- Always the default: an insert that supplied its own value would break that guarantee.
    tx_id xid8 not null default pg_current_xact_id(),
    event_id uuid not null,
    stream_id text not null,
    stream_version bigint not null,
    event_type text not null,
    schema_version integer not null,
    data jsonb not null,
    metadata jsonb not null,
    recorded_at timestamptz not null,
    -- SHA-256(prev_hash || canonical bytes of this event); prev_hash of a stream's first event is
    -- 32 zero bytes. The append statement computes it from the stream head it reads itself
    -- (infra/src/eventstore/canonical.rs defines the bytes); `docuvault audit verify` recomputes it.
    hash bytea not null,
    constraint events_pkey primary key (global_position),
    constraint events_event_id_key unique (event_id),
    constraint events_stream_version_key unique (stream_id, stream_version),
    constraint events_stream_version_positive check (stream_version >= 1),
    constraint events_hash_length check (octet_length(hash) = 32)
);

-- The never-skip read order, index-driven: both the keyset condition
-- `(tx_id, global_position) > (…)` and the bound `tx_id < pg_snapshot_xmin(…)` are index conditions.
-- events_stream_version_key serves stream reads, the stream-head lookup of every append (backwards)
-- and `audit verify`'s walk.
create index events_tx_position_idx on events (tx_id, global_position);

-- Append-only, enforced by the database itself. Row triggers do not fire on TRUNCATE, so that
-- needs its own statement-level trigger.
create function events_reject_change() returns trigger language plpgsql as $$
begin
    raise exception 'the event log is append-only: % on events is not allowed', tg_op
        using errcode = 'insufficient_privilege';
end;
$$;

create trigger events_no_update_delete before update or delete on events
    for each row execute function events_reject_change();
create trigger events_no_truncate before truncate on events
    for each statement execute function events_reject_change();

-- Per-subject data keys (crypto-shredding): wrapped by the master key; erasure deletes the row's
-- key material and keeps a tombstone so the subject cannot silently get a new key.
create table data_keys (
    subject_id uuid primary key,
    -- nonce (12 bytes) || ChaCha20-Poly1305 ciphertext of the 32-byte key (+16-byte tag), with
    -- the subject id as associated data: a wrapped key copied to another row does not unwrap.
    wrapped_key bytea,
    created_at timestamptz not null default now(),
    destroyed_at timestamptz,
    constraint data_keys_destroyed_has_no_key check ((destroyed_at is null) = (wrapped_key is not null))
);
