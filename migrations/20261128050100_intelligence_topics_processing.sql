-- Read models of document intelligence: topics as users see them, and each document's processing
-- state and topics. Both are projections (rebuildable from the log).

-- Topics: system defaults (owner_id null, admin-managed) and per-user topics. A user topic may
-- shadow a system topic: that user's listing shows theirs instead.
create table topics (
    topic_id uuid not null,
    owner_id uuid,
    -- Decrypted with the owner's (or the system) data key; null once erased.
    name text,
    keywords text[] not null default '{}',
    shadows uuid,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    constraint topics_pkey primary key (topic_id)
);

-- A user's listing: their own topics plus the system ones (owner_id is null), by name.
create index topics_owner_name_idx on topics (owner_id, lower(name));

-- One row per document that has processing events: the current run's status, what extraction
-- produced (the text itself lives in the blob store; text_object is its key), the latest
-- suggestion and the document's topics.
create table document_processing (
    document_id uuid not null,
    run integer not null,
    -- pending | ready | error
    status text not null,
    -- native | ocr | ocr_unavailable | unsupported | empty (null before extraction)
    extraction text,
    text_object text,
    text_chars bigint,
    text_truncated boolean,
    provider text,
    model text,
    fell_back boolean,
    suggested uuid[] not null default '{}',
    topic_ids uuid[] not null default '{}',
    -- auto (the classifier's), accepted or overridden (the owner's decision)
    topics_source text,
    -- Failed attempts in the current run and the last one's stable code.
    failed_attempts integer not null default 0,
    last_error text,
    updated_at timestamptz not null,
    constraint document_processing_pkey primary key (document_id),
    constraint document_processing_status_check check (status in ('pending', 'ready', 'error'))
);

-- "Documents in topic X" (search filters, topic deletion) without a scan.
create index document_processing_topic_ids_idx on document_processing using gin (topic_ids);
