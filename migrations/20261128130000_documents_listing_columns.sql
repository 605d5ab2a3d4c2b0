-- A folder page reads one table: the documents projection now also keeps each document's topics
-- and its duplicate-of pointer on the row (it already had processing_status), so a page of 50 is
-- one index range scan instead of 50 × (two document_processing probes + one sha256 probe).
-- `documents` projection version 3 maintains them; the backfill below makes an upgraded database
-- right before that version's rebuild has finished.
alter table documents
    add column topic_ids uuid[] not null default '{}',
    -- The owner's earliest other non-pending document with the same bytes, if any.
    add column duplicate_of uuid;

update documents d set
    processing_status = case when p.status = 'pending' then 'processing' else p.status end,
    topic_ids = p.topic_ids
from document_processing p
where p.document_id = d.id;

update documents d set duplicate_of = (
    select o.id from documents o
    where o.owner_id = d.owner_id and o.sha256 = d.sha256 and o.state <> 'pending'
      and (o.created_at, o.id) < (d.created_at, d.id)
    order by o.created_at, o.id limit 1)
where d.sha256 is not null;
