-- The document-processing queue: one row per (document, run). Workers compete for rows with
-- FOR UPDATE SKIP LOCKED and then hold a lease (locked_until), so no document is processed by two
-- workers at once, and a crashed worker's job becomes claimable again when its lease runs out.
-- Rows are written by the processing reactor (DocumentUploaded, ReclassificationRequested) in the
-- same transaction as its checkpoint, so an enqueue is never lost or doubled.

create table processing_jobs (
    document_id uuid not null,
    -- The processing run (1 = the upload, then one per reclassification request).
    run integer not null,
    owner_id uuid not null,
    -- pending: waiting (or backing off until available_at); processing: leased to locked_by;
    -- done: the run's events are appended; failed: retries exhausted or a permanent failure.
    status text not null default 'pending',
    -- Claims so far, including the current one.
    attempts integer not null default 0,
    available_at timestamptz not null default now(),
    locked_by text,
    locked_until timestamptz,
    -- A stable error code (never document content) of the last failed attempt.
    last_error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint processing_jobs_pkey primary key (document_id, run),
    constraint processing_jobs_status_check
        check (status in ('pending', 'processing', 'done', 'failed')),
    constraint processing_jobs_run_positive check (run >= 1),
    constraint processing_jobs_lease_check
        check ((status = 'processing') = (locked_by is not null and locked_until is not null))
);

-- Claiming scans only open jobs, oldest first; finished jobs stay out of the index.
create index processing_jobs_claim_idx on processing_jobs (available_at)
    where status in ('pending', 'processing');

-- The processing reactor's memory of who owns each document (from DocumentUploadRequested), so
-- it can enqueue DocumentUploaded and reclassification jobs with their owner.
create table processing_owners (
    document_id uuid not null,
    owner_id uuid not null,
    constraint processing_owners_pkey primary key (document_id)
);
