-- The search read model: one row per document, with its filename, extracted text and topics,
-- and a weighted tsvector (filename A, text C) maintained by PostgreSQL itself. The `simple`
-- configuration (no stemming, no stopwords) because a vault mixes languages; prefix queries
-- cover the plural/inflection cases.

create table search_documents (
    document_id uuid not null,
    owner_id uuid not null,
    -- Decrypted filename; null once its owner was erased.
    filename text,
    folder_id uuid,
    content_type text,
    created_at timestamptz not null,
    -- Only confirmed, untrashed documents are searchable.
    uploaded boolean not null default false,
    trashed boolean not null default false,
    -- Extracted text (a copy of the derived text object, capped by the extractor).
    body text,
    topic_ids uuid[] not null default '{}',
    -- Filename separators become spaces, so "tax-return_2025.pdf" is the words tax, return,
    -- 2025, pdf rather than one host-name-like token.
    tsv tsvector generated always as (
        setweight(to_tsvector('simple', translate(coalesce(filename, ''), '._-/', '    ')), 'A')
        || setweight(to_tsvector('simple', coalesce(body, '')), 'C')
    ) stored,
    constraint search_documents_pkey primary key (document_id)
);

create index search_documents_tsv_idx on search_documents using gin (tsv);
-- Date-range and newest-first listings of one owner's documents.
create index search_documents_owner_created_idx on search_documents (owner_id, created_at desc);
-- Topic filters.
create index search_documents_topic_ids_idx on search_documents using gin (topic_ids);

-- Who else may find a document: active shares only (revocation deletes the row).
create table search_shares (
    document_id uuid not null,
    recipient_id uuid not null,
    constraint search_shares_pkey primary key (document_id, recipient_id)
);

create index search_shares_recipient_idx on search_shares (recipient_id, document_id);
