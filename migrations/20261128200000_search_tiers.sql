-- Search, fifth pass (docs/benchmarks.md, "Search", run 8): the text and filename indexes are
-- split into tiers of growing size, so that finding a query's first candidates costs in
-- proportion to the candidates wanted, not to all the documents the query matches.
--
-- A GIN scan cannot stop early: PostgreSQL builds the bitmap of every match of every term before
-- it returns a row, ~0.4 µs a match (~1 µs through a prefix). A word in 5% of 100,000 documents
-- cost ~2 ms even though a search ranks only 100 of its matches. Each document now falls into one
-- of 64 buckets by the random last byte of its id, and each index covers a tier of buckets:
-- 1/64 of the documents, then 3/64, 12/64 and 48/64. The search asks the tiers in that order
-- and stops as soon as it has its candidates (infra/src/search/query.rs, `TIERS`), so a broad
-- word is answered from the first tier's postings; a rare one still reads all four, which cost
-- as much as one index over everything. The candidates of a broad query are thereby a random
-- sample of its matches (before: the oldest ones the index returned first).
--
-- `TIERS` in infra/src/search/query.rs must list the same bucket ranges: a tier without its
-- index is still answered, by a sequential scan (tests/tests/it/search.rs checks they agree).
alter table search_documents
    add column bucket smallint generated always as (get_byte(uuid_send(document_id), 15) & 63) stored;

drop index search_documents_tsv_idx;
drop index search_documents_name_tsv_idx;

create index search_documents_tsv_t0_idx on search_documents using gin (tsv)
    where bucket between 0 and 0;
create index search_documents_tsv_t1_idx on search_documents using gin (tsv)
    where bucket between 1 and 3;
create index search_documents_tsv_t2_idx on search_documents using gin (tsv)
    where bucket between 4 and 15;
create index search_documents_tsv_t3_idx on search_documents using gin (tsv)
    where bucket between 16 and 63;

create index search_documents_name_tsv_t0_idx on search_documents using gin (name_tsv)
    where bucket between 0 and 0;
create index search_documents_name_tsv_t1_idx on search_documents using gin (name_tsv)
    where bucket between 1 and 3;
create index search_documents_name_tsv_t2_idx on search_documents using gin (name_tsv)
    where bucket between 4 and 15;
create index search_documents_name_tsv_t3_idx on search_documents using gin (name_tsv)
    where bucket between 16 and 63;
