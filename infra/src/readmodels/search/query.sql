-- The search query (infra/src/search/query.rs runs it after parse.sql, whose results are some
-- of its parameters; `{visible}`, `{rank}` and `{match}` are filled in there, once).
-- Parameters: $1 caller, $2 the tsquery run, $3 the tsquery the text's index is asked (the words
-- alone when the prefix is tested after; stopwords only: the filenames' index), $4 folder, $5
-- topic, $6 from, $7 to, $8/$9 cursor (rank, document id), $10 page size + 1, $11 own documents
-- only, $12 text candidates, $13 filename candidates, $14 how the text candidates are found
-- ('index', 'walk', 'whole' or 'word_then_prefix'), $15 snippet window in bytes, $16 documents
-- walked at most, $17 characters searched for the snippet's anchor, $18 stopwords only (the query
-- is in the `simple` configuration and matches filenames only), $19 the prefix is tested on the
-- rows of the words ($3 is not $2; for stopwords only, on the filenames' rows), $20 the snippet's
-- anchor, $21 the caller's topics the query names, $22 the anchor's lexeme in the text's weight
-- (null: look for the anchor in every text), $23 the tail is walked, $24/$25 the tail's cursor
-- (created at, document id).
--
-- Two statements in one: between the ranked markers, a page of the ranked candidates; between
-- the tail markers, a page of the matches after them (query.rs makes one of each).
--
-- Why it is shaped like this (measurements in docs/benchmarks.md, "Search"):
-- * Every match costs a tsvector read to rank, so only a bounded set of candidates is ranked: the
--   documents whose filename matches (they outrank text-only matches) and up to $12 text
--   matches.
-- * The text and filename indexes are split into tiers of growing size (migration
--   20261128200000): query.rs repeats each block between the tiers markers once per tier, the
--   tier marker inside naming the tier's buckets, the copies joined by `union all`. PostgreSQL
--   runs the arms of a `union all` in order and stops reading under a `limit`, so the tiers
--   after the one that completed the candidates are never scanned: a GIN scan costs in
--   proportion to the matches of every term in the tiers it reads (~0.4 µs each, a prefix
--   ~1 µs), so a broad word costs the postings of its first tier only.
-- * How the text matches are found depends on how broad the query is, which the caller
--   estimates from the column statistics it caches ($14). Testing documents one by one costs
--   ~3 µs each (their rows are inline, see migration 20261128140000). So: most queries use the
--   index ('index'); a prefix far broader than the words before it is tested on the rows the
--   index gives for the words ('word_then_prefix'); queries matching most documents walk the
--   caller's newest documents ('walk'); a caller with few documents among many callers' has
--   them all tested ('whole': the index would be read for everybody's matches). The parts
--   between the walk markers are only in the statement of the last two, and the arms between
--   the extra markers only in a statement for a query that names topics or a caller who has
--   documents shared with them (query.rs prepares the four statements): PostgreSQL prepares
--   every node of a statement at each execution, skipped or not, and a search's fixed cost was
--   most of a cheap search's.
-- * A query with more matches than candidates goes on with the rest of them, newest first
--   (the tail). Its statement recomputes the candidates to leave them out: a cursor cannot
--   carry them, and only pages past the ranked ones pay for it.
-- * Snippets are cut from a window around the first match; the caller marks the matches.
with
{walk}
-- The caller's newest $16 documents, tested one by one. 'walk' (queries matching most
-- documents) stops at $12 matches. 'whole' (a caller with few documents, in a table of many
-- callers' documents, where the index would be read for everybody's matches) tests all of them
-- and ranks every match. Read to its end (which a walk that fell short has done anyway), fewer
-- than $16 rows mean the caller's documents were all tested: the index branches are then
-- skipped (`done` below); otherwise they run as for 'index'. A match is a text or filename
-- match or a document in a topic the query names.
walk_rows as materialized (
    select d.document_id, d.row_id, t.hit, case when t.hit then {rank} end as rank
    from (select d.*, d.ctid as row_id from search_documents d
          where d.owner_id = $1 and {visible}
          order by d.created_at desc
          limit $16) d,
        -- Fenced (`offset 0`, see `anchored` below): else the test is run twice a row.
        lateral (select coalesce({match}, false) or d.topic_ids && $21 as hit offset 0) t
),
walked as materialized (
    select document_id, row_id, rank from walk_rows where $14 = 'walk' and hit limit $12
),
-- The caller's documents were all tested: by 'whole', or by a 'walk' that fell short.
done as materialized (
    select ($14 = 'whole' or ($14 = 'walk' and (select count(*) from walked) < $12))
        and (select count(*) from walk_rows) < $16 as all_tested
),
{/walk}
-- Each branch is gated by a condition on the parameters (or, in a walk, an uncorrelated
-- subquery): PostgreSQL evaluates it once, before the branch, and skips the branch's scan when
-- it is false.
candidates as (
    -- Filename matches: always ranked. A query of stopwords only matches filenames alone,
    -- without stemming (unless a walk through them found enough): as many as in any query,
    -- $13; ranking more of a stopword's many filename matches read twice the tiers for a
    -- sample no better. Stopwords only, by 'word_then_prefix': the
    -- words are asked of the index and the prefix tested on their rows, as for the text ("was
    -- the" gathered the postings of every filename word beginning with "the"). Other
    -- queries ask the index the whole query: the cost model prices the text's words, and a
    -- word common in filenames would have its rows tested here.
    (select * from (
        {tiers}
        select d.document_id, d.ctid as row_id, {rank} as rank from search_documents d
        where {tier} and d.owner_id = $1 and d.name_tsv @@ (case when $18 then $3 else $2 end)
          and (not ($18 and $19) or coalesce(d.name_tsv @@ $2, false)) and {visible}
        {/tiers}
     ) t
     {walk}
     where (not $18 or $14 <> 'walk' or (select count(*) from walked) < $12)
       and not (select all_tested from done)
     {/walk}
     limit $13)
    union
    -- The text's index: the whole query (also after a walk that fell short before it tested
    -- all the caller's documents); or, for a prefix broader than the words before it, the
    -- words, the prefix tested on their rows.
    (select * from (
        {tiers}
        select d.document_id, d.ctid as row_id, {rank} as rank from search_documents d
        where {tier} and d.owner_id = $1 and d.tsv @@ $3
          and (not $19 or coalesce(d.tsv @@ $2, false)) and {visible}
        {/tiers}
     ) t
     where not $18
     {walk}
       and ($14 <> 'walk' or (select count(*) from walked) < $12)
       and not (select all_tested from done)
     {/walk}
     limit $12)
    {walk}
    union
    (select * from walked)
    union
    (select document_id, row_id, rank from walk_rows where $14 = 'whole' and hit)
    {/walk}
    {extra}
    union
    -- Topic names (their own index, for every strategy).
    (select d.document_id, d.ctid as row_id, {rank} as rank from search_documents d
     where $21 <> '{}' {walk}and not (select all_tested from done){/walk}
       and d.owner_id = $1 and d.topic_ids && $21 and {visible}
     limit $12)
    union
    -- Shared with the caller.
    (select d.document_id, d.ctid as row_id, {rank} as rank
     from search_shares sh join search_documents d on d.document_id = sh.document_id
     where not $11 and sh.recipient_id = $1 and d.owner_id <> $1
       and (d.topic_ids && $21 or {match}) and {visible}
     limit $12)
    {/extra}
),
{ranked}
-- The ranked page, best first, after the cursor ($8, $9).
page as (
    select c.document_id, c.rank::real as rank,
        row_number() over (order by c.rank::real desc, c.document_id desc) as n, c.row_id
    from candidates c
    where $8::real is null or (c.rank::real, c.document_id) < ($8::real, $9::uuid)
    order by 2 desc, 1 desc
    limit $10
),
{/ranked}
{tail}
-- The tail (statement of its own; query.rs runs it once the ranked candidates are paged
-- through and were not all the matches): the query's other matches, newest first, after the
-- cursor ($24, $25: created at, document id), the candidates recomputed to leave them out.
-- $23: walked (a query matching many of the caller's documents finds a page of them among the
-- newest few); else, or when a walk of $16 documents found too few, all the matches are
-- collected through the indexes and sorted (a narrower query's matches are fewer).
tail_walk_rows as materialized (
    select d.document_id, d.row_id, d.created_at, t.hit
    from (select d.*, d.ctid as row_id from search_documents d
          where $23 and d.owner_id = $1 and {visible}
            and d.created_at <= coalesce($24::timestamptz, 'infinity')
            and ($24::timestamptz is null
                 or (d.created_at, d.document_id) < ($24::timestamptz, $25::uuid))
          order by d.created_at desc, d.document_id desc
          limit $16) d,
        -- `not in`: a hash of the candidates, built once (`not exists` here searched them
        -- row by row).
        lateral (select (coalesce({match}, false) or d.topic_ids && $21)
            and d.document_id not in (select c.document_id from candidates c)
            as hit offset 0) t
),
tail_walked as materialized (
    select document_id, row_id, created_at from tail_walk_rows where hit limit $10
),
-- The walk found the page, or tested all the caller's documents after the cursor: else the
-- indexes give the whole tail page (the walk's few matches among it).
tail_walk_done as materialized (
    select $23 and ((select count(*) from tail_walked) >= $10
                    or (select count(*) from tail_walk_rows) < $16) as done
),
tail as (
    (select * from tail_walked where (select done from tail_walk_done))
    union all
    (select m.document_id, m.row_id, m.created_at from (
        (select * from (
            {tiers}
            select d.document_id, d.ctid as row_id, d.created_at from search_documents d
            where {tier} and d.owner_id = $1 and d.tsv @@ $3
              and (not $19 or coalesce(d.tsv @@ $2, false)) and {visible}
            {/tiers}
         ) t where not $18)
        union
        (select * from (
            {tiers}
            select d.document_id, d.ctid as row_id, d.created_at from search_documents d
            where {tier} and d.owner_id = $1 and d.name_tsv @@ $3
              and (not $19 or coalesce(d.name_tsv @@ $2, false)) and {visible}
            {/tiers}
         ) t where $18)
        union
        (select d.document_id, d.ctid as row_id, d.created_at from search_documents d
         where $21 <> '{}' and d.owner_id = $1 and d.topic_ids && $21 and {visible})
     ) m
     where not (select done from tail_walk_done)
       and ($24::timestamptz is null
            or (m.created_at, m.document_id) < ($24::timestamptz, $25::uuid))
       and not exists (select from candidates c where c.document_id = m.document_id)
     order by m.created_at desc, m.document_id desc
     limit $10)
    {extra}
    union all
    (select d.document_id, d.ctid as row_id, d.created_at
     from search_shares sh join search_documents d on d.document_id = sh.document_id
     where not $11 and sh.recipient_id = $1 and d.owner_id <> $1
       and (d.topic_ids && $21 or {match}) and {visible}
       and ($24::timestamptz is null
            or (d.created_at, d.document_id) < ($24::timestamptz, $25::uuid))
       and d.document_id not in (select c.document_id from candidates c)
     order by d.created_at desc, d.document_id desc
     limit $10)
    {/extra}
),
page as (
    select t.document_id, null::real as rank,
        row_number() over (order by t.created_at desc, t.document_id desc) as n, t.row_id
    from tail t
    order by t.created_at desc, t.document_id desc
    limit $10
),
{/tail}
anchored as (
    select d.document_id, d.owner_id, d.filename, d.folder_id, d.created_at, d.topic_ids,
        d.body is null as textless, coalesce(pg.rank, ({rank})::real) as rank, pg.n, a.head, a.pos
    -- The row where the candidate was read (`row_id`): found by its address, not through
    -- the primary key's index again.
    from page pg join search_documents d
        on d.ctid = pg.row_id and d.document_id = pg.document_id,
        -- Each step below is fenced (`offset 0`): PostgreSQL pulls a simple subquery up into
        -- the query above, writing its expression in place of every use of its columns, and
        -- these steps use each other's several times: unfenced, every row copied its text ~20
        -- times and searched it for the anchor ~14 times.
        lateral (
            -- The first match written in lower case, capitalised or in capitals. Not lowering
            -- the text: that cost 3x more than searching it three times and was a fifth of a
            -- search's time (docs/benchmarks.md), mostly for the filename matches whose text
            -- does not have the word at all. The other two spellings are looked for only
            -- before the first match found so far: searched to the text's end, the capitals
            -- that are rarely there cost a byte-by-byte pass each. A match in other
            -- mixed case ("McDonald") is not found: the snippet is then the text's beginning.
            select h.head, coalesce(case when h.has then
                coalesce(nullif(position(textsend(upper($20)) in substring(h.head for greatest(
                    coalesce(w2.at + octet_length(upper($20)) - 2, octet_length(h.head)), 0))),
                    0), w2.at) end, 0) as pos
            from
                -- Where the anchor is looked for: the text's first $17 characters, as bytes.
                -- Cutting them walks the characters, so a text that cannot be longer (4 bytes
                -- a character at most) is taken whole; a long one is cut, which reads only its
                -- beginning from TOAST. Bytes, not text: a text position is counted in
                -- characters, which walks the text up to it (once for the position, again to
                -- cut the window), and that walking was ~4% of a search's CPU
                -- The window's ends may fall inside a character;
                -- query.rs drops the pieces. A text without the anchor's lexeme (`has`, $22; a
                -- filename match) is not searched at all, nor the row after the page.
                (select textsend(case when octet_length(d.body) > 4 * $17
                                      then left(d.body, $17) else d.body end) as head,
                     pg.n < $10 and ($22::tsquery is null or coalesce(d.tsv @@ $22, false))
                         as has
                 offset 0) h,
                lateral (select case when h.has then nullif(position(textsend($20) in h.head), 0)
                         end as at offset 0) w1,
                lateral (select case when h.has then
                    coalesce(nullif(position(textsend(initcap($20)) in substring(h.head for
                        greatest(coalesce(w1.at + octet_length(initcap($20)) - 2,
                                          octet_length(h.head)), 0))), 0), w1.at)
                    end as at offset 0) w2
            offset 0
        ) a
)
select a.document_id, a.owner_id, a.filename, a.folder_id, a.created_at, a.topic_ids, a.rank,
    -- The row after the page only tells whether there is a next page: no snippet.
    case when a.n < $10 then
        case when a.textless then textsend(coalesce(a.filename, ''))
             else substring(a.head from greatest(a.pos - $15 / 4, 1) for $15) end
    end as snippet,
    -- The window starts mid-text: its first word may be cut in half.
    not a.textless and a.pos > $15 / 4 as cut,
    -- A walk tested all the caller's documents: they are all ranked (query.rs: no tail, unless
    -- the shares' arm may have reached its limit).
    {walk}(select all_tested from done) or {/walk}false as all_tested
from anchored a
order by a.n
