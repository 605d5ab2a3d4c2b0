-- The search query (infra/src/search/query.rs runs it; `{visible}`, `{rank}` and `{match}` are
-- filled in there, once). Parameters: $1 caller, $2 web-search text, $3 last word as a prefix
-- (or null), $4 folder, $5 topic, $6 from, $7 to, $8/$9 cursor (rank, document id), $10 page
-- size + 1, $11 own documents only, $12 text candidates, $13 filename candidates, $14 how the
-- text candidates are found ('index', 'walk', 'whole' or 'word_then_prefix'), $15 snippet
-- window in bytes, $16 documents walked at most, $17 characters searched for the snippet's
-- anchor.
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
--   them all tested ('whole': the index would be read for everybody's matches).
-- * Snippets are cut from a window around the first match; the caller marks the matches.
with plan as materialized (
    select y.*,
        -- What the text's index is asked: the words alone when the prefix is tested after.
        case when y.web_only then y.web else y.query end as scan,
        -- The snippet's anchor: the first lexeme the query looks for (not an excluded one); a
        -- stem may end where its word does not ("compani"), so its last letter is left out.
        (select case when length(l) > 4 then left(l, -1) else l end
         from (select replace(m[2], '''''', '''') as l
               from regexp_matches(y.query::text, '(!?)''((?:[^'']|'''')*)''', 'g') m
               where m[1] = '' limit 1) f) as anchor
    from (
        select x.*,
            numnode(x.e) = 0 as fallback,
            -- Stopwords only: the words as such, in the `simple` configuration (parsed only
            -- then: each parse of the text costs).
            case when numnode(x.e) = 0
                 then websearch_to_tsquery('simple', $2)
                      && coalesce(to_tsquery('simple', $3 || ':*'), ''::tsquery)
                 else x.e end as query,
            $14 = 'walk' as walk,
            $14 = 'whole' as whole,
            $14 = 'word_then_prefix' and numnode(x.e) > 0 and numnode(x.web) > 0 as web_only
        from (
            select w.web, w.web && coalesce(to_tsquery('english', $3 || ':*'), ''::tsquery) as e
            -- `offset 0`: parse once; flattened, each use of a column parsed the text again.
            from (select websearch_to_tsquery('english', $2) as web offset 0) w
            offset 0
        ) x
        offset 0
    ) y
),
named as materialized (
    select coalesce(array_agg(t.topic_id), '{}') as ids from topics t, plan p
    where (t.owner_id = $1 or t.owner_id is null)
      and to_tsvector(case when p.fallback then 'simple'::regconfig else 'english' end,
                      coalesce(t.name, '')) @@ p.query
),
-- The caller's newest $16 documents, tested one by one, for two strategies. 'walk' (queries
-- matching most documents) stops at $12 matches. 'whole' (a caller with few documents, in a
-- table of many callers' documents, where the index would be read for everybody's matches)
-- tests all of them and ranks every match. Read to its end (which a walk that fell short has
-- done anyway), fewer than $16 rows mean the caller's documents were all tested: the index
-- branches are then skipped (`done` below); otherwise they run as for 'index'. A match is a
-- text or filename match or a document in a topic the query names.
walk_rows as materialized (
    select d.document_id, t.hit, case when t.hit then {rank} end as rank
    from (select d.* from search_documents d
          where (select walk or whole from plan) and d.owner_id = $1 and {visible}
          order by d.created_at desc
          limit $16) d, plan p, named,
        lateral (select coalesce({match}, false) or d.topic_ids && named.ids as hit) t
),
walked as materialized (
    select document_id, rank from walk_rows where (select walk from plan) and hit limit $12
),
-- The caller's documents were all tested: by 'whole', or by a 'walk' that fell short.
done as materialized (
    select ((select whole from plan)
            or ((select walk from plan) and (select count(*) from walked) < $12))
        and (select count(*) from walk_rows) < $16 as all_tested
),
-- Each branch is gated by an uncorrelated subquery on `plan`: PostgreSQL evaluates such a
-- condition once, before the branch, and skips the branch's scan when it is false.
candidates as (
    -- Filename matches: always ranked. A query of stopwords only matches filenames alone,
    -- without stemming: then as many as text matches, unless a walk through them found enough.
    (select * from (
        {tiers}
        select d.document_id, {rank} as rank from search_documents d, plan p, named
        where {tier} and d.owner_id = $1 and d.name_tsv @@ p.query and {visible}
        {/tiers}
     ) t
     where ((select not fallback from plan) or (select not walk from plan)
            or (select count(*) from walked) < $12)
       and not (select all_tested from done)
     limit (select case when fallback then $12 else $13 end from plan))
    union
    -- The text's index: the whole query (also after a walk that fell short before it tested
    -- all the caller's documents); or, for a prefix broader than the words before it, the
    -- words, the prefix tested on their rows.
    (select * from (
        {tiers}
        select d.document_id, {rank} as rank from search_documents d, plan p, named
        where {tier} and d.owner_id = $1 and d.tsv @@ p.scan
          and (not p.web_only or coalesce(d.tsv @@ p.query, false)) and {visible}
        {/tiers}
     ) t
     where (select not fallback from plan)
       and ((select not walk from plan) or (select count(*) from walked) < $12)
       and not (select all_tested from done)
     limit $12)
    union
    (select * from walked)
    union
    (select document_id, rank from walk_rows where (select whole from plan) and hit)
    union
    -- Topic names (their own index, for every strategy).
    (select d.document_id, {rank} as rank from search_documents d, plan p, named
     where named.ids <> '{}' and not (select all_tested from done) and d.owner_id = $1
       and d.topic_ids && named.ids and {visible}
     limit $12)
    union
    -- Shared with the caller.
    (select d.document_id, {rank} as rank
     from search_shares sh join search_documents d on d.document_id = sh.document_id,
         plan p, named
     where not $11 and sh.recipient_id = $1 and d.owner_id <> $1
       and (d.topic_ids && named.ids or {match}) and {visible}
     limit $12)
),
page as (
    select c.document_id, c.rank::real as rank,
        row_number() over (order by c.rank::real desc, c.document_id desc) as n
    from candidates c
    where $8::real is null or (c.rank::real, c.document_id) < ($8::real, $9::uuid)
    order by 2 desc, 1 desc
    limit $10
),
anchored as (
    select d.document_id, d.owner_id, d.filename, d.folder_id, d.created_at, d.topic_ids,
        d.body is null as textless, pg.rank, pg.n, p.query, p.fallback, h.head, w.pos
    from page pg join search_documents d on d.document_id = pg.document_id, plan p,
        -- Where the anchor is looked for: the text's first $17 characters, as bytes. Cutting
        -- them walks the characters, so a text that cannot be longer (4 bytes a character at
        -- most) is taken whole; a long one is cut, which reads only its beginning from TOAST.
        -- Bytes, not text: a text position is counted in characters, which walks the text up
        -- to it (once for the position, again to cut the window), and that walking was ~4% of
        -- a search's CPU (docs/benchmarks.md, run 8). The window's ends may fall inside a
        -- character; query.rs drops the pieces.
        lateral (select textsend(case when octet_length(d.body) > 4 * $17
                                      then left(d.body, $17) else d.body end) as head) h,
        -- The first match written in lower case, capitalised or in capitals. Not lowering
        -- the text: that cost 3x more than searching it three times and was a fifth of a
        -- search's time (docs/benchmarks.md), mostly for the filename matches whose text
        -- does not have the word at all. A match in other mixed case ("McDonald") is not
        -- found: the snippet is then the text's beginning.
        lateral (select coalesce(least(
            nullif(position(textsend(p.anchor) in h.head), 0),
            nullif(position(textsend(initcap(p.anchor)) in h.head), 0),
            nullif(position(textsend(upper(p.anchor)) in h.head), 0)), 0) as pos) w
)
select a.document_id, a.owner_id, a.filename, a.folder_id, a.created_at, a.topic_ids, a.rank,
    a.query::text as query, a.fallback,
    -- The row after the page only tells whether there is a next page: no snippet.
    case when a.n < $10 then
        case when a.textless then textsend(coalesce(a.filename, ''))
             else substring(a.head from greatest(a.pos - $15 / 4, 1) for $15) end
    end as snippet,
    -- The window starts mid-text: its first word may be cut in half.
    not a.textless and a.pos > $15 / 4 as cut
from anchored a
order by a.rank desc, a.document_id desc
