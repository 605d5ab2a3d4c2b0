-- Search, third pass (docs/benchmarks.md, "Search"): the text is indexed with the `english`
-- configuration, so the commonest words (the, of, and, …) are stopwords that no longer match
-- most of the vault, and "invoices" finds "invoice". A query made only of stopwords ("the", "to
-- be") has no english lexeme left; it is answered from the filenames through `name_tsv`.
--
-- Dropping and re-adding the generated column rewrites the table once (the migration is the
-- re-index: no projection rebuild is needed, the stored columns did not change).

alter table search_documents drop column tsv;

-- What ranking and matching use: filename words (english, weight A) and the text (english,
-- weight C). Filename separators become spaces, as before.
alter table search_documents add column tsv tsvector generated always as (
    setweight(to_tsvector('english', translate(coalesce(filename, ''), '._-/', '    ')), 'A')
    || setweight(to_tsvector('english', coalesce(body, '')), 'C')
) stored;

-- The filename alone, in both configurations: `simple` keeps the stopwords (the fallback for
-- stopword-only queries), `english` gives the stems (filename matches are always ranked, see
-- infra/src/search/query.sql). Filenames are short: this index costs little to build.
alter table search_documents add column name_tsv tsvector generated always as (
    to_tsvector('simple', translate(coalesce(filename, ''), '._-/', '    '))
    || to_tsvector('english', translate(coalesce(filename, ''), '._-/', '    '))
) stored;

create index search_documents_tsv_idx on search_documents using gin (tsv);
create index search_documents_name_tsv_idx on search_documents using gin (name_tsv);
