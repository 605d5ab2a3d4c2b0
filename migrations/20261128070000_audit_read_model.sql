-- The audit read model, folded from every stream by the `audit` projection: an index over the
-- event log for the audit API's filters (actor, subject user, document, type, time). It holds no
-- personal data: the API decrypts that from the log at query time, so crypto-shredding a user
-- needs no rewrite here and entries show `[erased]` as soon as the key is gone.

create table audit_events (
    -- The event's global position: the entry's identity and the pagination key.
    position bigint not null,
    recorded_at timestamptz not null,
    event_type text not null,
    stream_id text not null,
    stream_version bigint not null,
    -- `metadata.actor_id`: who did it (null for system actions such as the sweeper).
    actor_id uuid,
    -- The users the event is about: the account of a `user-…` stream, a document's owner, a
    -- share's recipient, a downloader. An array so one GIN index answers "everything about X".
    subject_users uuid[] not null default '{}',
    document_id uuid,
    constraint audit_events_pkey primary key (position)
);

-- Each filter pages by position, so each index ends in it.
create index audit_events_actor_idx on audit_events (actor_id, position);
create index audit_events_subject_idx on audit_events using gin (subject_users);
create index audit_events_document_idx on audit_events (document_id, position);
create index audit_events_type_idx on audit_events (event_type, position);
create index audit_events_time_idx on audit_events (recorded_at, position);

-- Owner of each document, so later events of its stream (which do not repeat the owner) get the
-- owner as a subject.
create table audit_document_owners (
    document_id uuid not null,
    owner_id uuid not null,
    constraint audit_document_owners_pkey primary key (document_id)
);
