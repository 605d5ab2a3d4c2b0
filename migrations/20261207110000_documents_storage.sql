-- Where each document's bytes are: null for DocuVault's own store ("local"), else the owner's
-- storage backend (`DocumentUploadRequested.storage`). Every document before this column was
-- local, so no backfill is needed.
alter table documents add column storage_backend_id uuid;
create index documents_storage_backend on documents (storage_backend_id)
    where storage_backend_id is not null;
