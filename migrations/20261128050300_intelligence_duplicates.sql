-- Duplicate detection: a document whose owner already stored the same bytes (same SHA-256) is
-- flagged with the earlier document's id on every read. This partial index makes that lookup one
-- index probe per row; pending uploads have no verified checksum and stay out of it.
create index documents_owner_sha256_idx on documents (owner_id, sha256, created_at, id)
    where sha256 is not null and state <> 'pending';
