-- Read models of the documents area: documents, their shares, folders and quotas. Rebuilt from
-- the log by the `documents` projection; the query API reads only these.

-- One row per document that is pending, active or trashed (purged, rejected and expired ones are
-- deleted). Filenames are the decrypted personal data; a rebuild after erasure shows `[erased]`.
create table documents (
    id uuid not null,
    owner_id uuid not null,
    -- The top level is the nil UUID rather than NULL, so one (owner, status, folder, …) index
    -- serves every folder, the top level included, as a plain range scan.
    folder_key uuid not null,
    filename text not null,
    -- Lower-cased filename: the sort key for `sort=name` and the haystack for `q`.
    filename_key text not null,
    content_type text not null,
    size_bytes bigint not null,
    sha256 text,
    -- The lifecycle the listings filter on (indexed): pending, active or trashed.
    state text not null,
    -- What the processing pipeline says about an active document (`uploaded` until it runs:
    -- `processing`, `ready`, `error`). Shown as the document's `status` when state is active.
    processing_status text not null default 'uploaded',
    created_at timestamptz not null,
    updated_at timestamptz not null,
    trashed_at timestamptz,
    upload_expires_at timestamptz,
    -- Kept in step with document_shares by the projection (recounted, never incremented, so a
    -- replayed event cannot skew it).
    shared_with_count integer not null default 0,
    constraint documents_pkey primary key (id),
    constraint documents_state_check check (state in ('pending', 'active', 'trashed')),
    constraint documents_size_check check (size_bytes >= 0)
);

-- Listing a folder page is an index range scan in each sort order (scanned backwards for the
-- descending ones); `id` makes the cursor position unique.
create index documents_folder_created_idx on documents (owner_id, state, folder_key, created_at, id);
create index documents_folder_name_idx on documents (owner_id, state, folder_key, filename_key, id);
create index documents_folder_size_idx on documents (owner_id, state, folder_key, size_bytes, id);
-- Listing across all folders (no `folder_id`), and the trash.
create index documents_all_created_idx on documents (owner_id, state, created_at, id);
create index documents_all_name_idx on documents (owner_id, state, filename_key, id);
-- The sweeper's two queries touch only the few rows they are about.
create index documents_pending_deadline_idx on documents (upload_expires_at) where state = 'pending';
create index documents_trashed_at_idx on documents (trashed_at) where state = 'trashed';

-- Active shares. Permission checks and "shared with me" are joins on this table.
create table document_shares (
    share_id uuid not null,
    document_id uuid not null,
    owner_id uuid not null,
    recipient_id uuid not null,
    permission text not null,
    created_at timestamptz not null,
    constraint document_shares_pkey primary key (share_id),
    constraint document_shares_document_recipient_key unique (document_id, recipient_id),
    constraint document_shares_permission_check check (permission in ('view', 'download'))
);

create index document_shares_recipient_idx on document_shares (recipient_id, created_at, share_id);

-- Every live folder. A user's tree is small (bounded by the domain), read whole.
create table folders (
    id uuid not null,
    owner_id uuid not null,
    parent_id uuid,
    name text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    constraint folders_pkey primary key (id)
);

create index folders_owner_idx on folders (owner_id, parent_id);

-- What the quota streams say. A missing row or a NULL limit means the configured default.
create table quotas (
    user_id uuid not null,
    limit_bytes bigint,
    used_bytes bigint not null default 0,
    updated_at timestamptz not null,
    -- The quota stream's version last applied: usage is summed, so a redelivered event must be
    -- recognised and skipped.
    stream_version bigint not null,
    constraint quotas_pkey primary key (user_id)
);
