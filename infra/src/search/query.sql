-- The search query (infra/src/search/query.rs runs it; `{visible}` and `{rank}` are filled in
-- there, once). Parameters: $1 caller, $2 web-search text, $3 last word as a prefix (or null),
-- $4 folder, $5 topic, $6 from, $7 to, $8/$9 cursor (rank, document id), $10 ts_headline
-- options, $11 page size + 1, $12 own documents only, $13 text candidates, $14 filename
-- candidates, $15 breadth above which a term counts as broad, $16 characters searched for the
-- snippet's anchor, $17 snippet window in characters, $18 documents walked at most.
--
-- Why it is shaped like this (measurements in docs/benchmarks.md, "Search"):
-- * Every match costs a detoasted tsvector to rank, so only a bounded set of candidates is
--   ranked: the documents whose filename matches (they outrank text-only matches) and up to $13
--   text matches.
-- * How those text matches are found depends on how broad the query is, estimated from the
--   column's own statistics (the most common lexemes and their frequencies that ANALYZE keeps
--   for the planner): a GIN scan costs in proportion to all the matches of every term (a
--   3-letter prefix can match 90% of a vault), while walking the caller's documents newest
--   first and testing each costs in proportion to the candidates wanted divided by the share
--   that matches. So: narrow queries use the index; a broad prefix after a narrower word uses
--   the index for the word and tests the prefix; queries broad as a whole walk the documents.
-- * Snippets are cut from a window around the first match, not from the whole text.
with q as materialized (
    select x.*,
        numnode(x.e) = 0 as fallback,
        case when numnode(x.e) = 0 then x.s else x.e end as query,
        numnode(x.web) > 0 as has_web,
        -- The prefix's lexeme ('sai':* → sai), for the statistics below.
        substring(x.pre::text from '^''([^'']+)'':\*$') as stem
    from (
        select websearch_to_tsquery('english', $2) as web,
            coalesce(to_tsquery('english', $3 || ':*'), ''::tsquery) as pre,
            websearch_to_tsquery('english', $2)
                && coalesce(to_tsquery('english', $3 || ':*'), ''::tsquery) as e,
            websearch_to_tsquery('simple', $2)
                && coalesce(to_tsquery('simple', $3 || ':*'), ''::tsquery) as s,
            tsvector_to_array(to_tsvector('english', $2)) as words
    ) x
),
-- Share of the documents containing each common lexeme (null before the first ANALYZE).
common as materialized (
    select m.lexeme, m.share
    from pg_stats s,
        unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) as m(lexeme, share)
    where s.schemaname = current_schema() and s.tablename = 'search_documents'
        and s.attname = 'tsv' and m.lexeme is not null
),
shape as materialized (
    select q.*,
        -- An AND of words matches at most what its rarest word matches; a word that is not
        -- among the common lexemes is rare.
        coalesce((select min(coalesce((select c.share from common c where c.lexeme = w), 0))
                  from unnest(q.words) w), 1) as web_share,
        -- A prefix matches about the sum of its completions.
        case when q.stem is null then 1
             else (select coalesce(sum(c.share), 0) from common c
                   where starts_with(c.lexeme, q.stem)) end as prefix_share
    from q
),
plan as materialized (
    select s.*,
        not s.fallback and s.web_share * s.prefix_share > $15 as walk,
        not s.fallback and s.has_web and s.stem is not null and s.prefix_share > $15
            and s.web_share * s.prefix_share <= $15 as web_only
    from shape s
),
named as materialized (
    select coalesce(array_agg(t.topic_id), '{}') as ids from topics t, q
    where (t.owner_id = $1 or t.owner_id is null)
      and to_tsvector(case when q.fallback then 'simple'::regconfig else 'english' end,
                      coalesce(t.name, '')) @@ q.query
),
-- Broad as a whole: the caller's newest $18 documents, tested one by one. The statistics are
-- the whole table's: should the caller's own documents match less than they promise, the
-- index is asked after all (the narrow branch below), so the walk is bounded either way.
walked as materialized (
    select d.document_id, {rank} as rank
    from (select d.* from search_documents d
          where (select walk from plan) and d.owner_id = $1 and {visible}
          order by d.created_at desc
          limit $18) d, plan p, named
    where coalesce(d.tsv @@ p.query, false)
    limit $13
),
-- Each branch is gated by an uncorrelated subquery on `plan`: PostgreSQL evaluates such a
-- condition once, before the branch, and skips the branch's scan when it is false.
candidates as (
    -- Filename matches: always ranked.
    (select d.document_id, {rank} as rank from search_documents d, plan p, named
     where (select not fallback from plan) and d.owner_id = $1 and d.name_tsv @@ p.query
       and {visible}
     limit $14)
    union
    -- Narrow (or a walk that fell short): the index answers the whole query and topic names.
    (select d.document_id, {rank} as rank from search_documents d, plan p, named
     where (select not (fallback or web_only) from plan)
       and ((select not walk from plan) or (select count(*) from walked) < $13)
       and d.owner_id = $1
       and (d.tsv @@ p.query or d.topic_ids && named.ids) and {visible}
     limit $13)
    union
    -- A broad prefix after a narrower word: the index for the word, the prefix tested.
    (select d.document_id, {rank} as rank from search_documents d, plan p, named
     where (select web_only from plan) and d.owner_id = $1 and d.tsv @@ p.web
       and coalesce(d.tsv @@ p.query, false) and {visible}
     limit $13)
    union
    (select * from walked)
    union
    -- Topic names, for the strategies above that do not use them.
    (select d.document_id, {rank} as rank from search_documents d, plan p, named
     where (select walk or web_only from plan) and named.ids <> '{}' and d.owner_id = $1
       and d.topic_ids && named.ids and {visible}
     limit $13)
    union
    -- Stopwords only: filenames and topic names, matched without stemming.
    (select d.document_id, ts_rank(d.name_tsv, p.query)
         + case when d.topic_ids && named.ids then 0.5 else 0 end
     from search_documents d, plan p, named
     where (select fallback from plan) and d.owner_id = $1
       and (d.name_tsv @@ p.query or d.topic_ids && named.ids) and {visible}
     limit $13)
    union
    -- Shared with the caller.
    (select d.document_id, case when p.fallback then ts_rank(d.name_tsv, p.query) else
             ts_rank(d.tsv, p.query) end + case when d.topic_ids && named.ids then 0.5 else 0 end
     from search_shares sh join search_documents d on d.document_id = sh.document_id,
         plan p, named
     where not $12 and sh.recipient_id = $1 and d.owner_id <> $1
       and (d.topic_ids && named.ids
            or case when p.fallback then d.name_tsv @@ p.query else d.tsv @@ p.query end)
       and {visible}
     limit $13)
),
page as (
    select c.document_id, c.rank::real as rank,
        row_number() over (order by c.rank::real desc, c.document_id desc) as n
    from candidates c
    where $8::real is null or (c.rank::real, c.document_id) < ($8::real, $9::uuid)
    order by 2 desc, 1 desc
    limit $11
),
anchored as (
    select d.*, pg.rank, pg.n, p.query, p.fallback,
        coalesce(strpos(lower(left(d.body, $16)), (
            -- The first lexeme the query looks for (not an excluded one); a stem may end
            -- where its word does not ("compani"), so its last letter is left out.
            select case when length(l) > 4 then left(l, -1) else l end
            from (select replace(m[2], '''''', '''') as l
                  from regexp_matches(p.query::text, '(!?)''((?:[^'']|'''')*)''', 'g') m
                  where m[1] = '' limit 1) f)), 0) as pos
    from page pg join search_documents d on d.document_id = pg.document_id, plan p
)
select a.document_id, a.owner_id, a.filename, a.folder_id, a.created_at, a.topic_ids, a.rank,
    -- The row after the page only tells whether there is a next page: no snippet.
    case when a.n < $11 then ts_headline(
        case when a.fallback then 'simple'::regconfig else 'english' end,
        case when a.body is null then coalesce(a.filename, '')
             when a.pos <= $17 / 4 then left(a.body, $17)
             -- Starting mid-text: drop the word cut in half.
             else regexp_replace(substr(a.body, a.pos - $17 / 4, $17), '^\S*\s+', '') end,
        a.query, $10) end as snippet
from anchored a
order by a.rank desc, a.document_id desc
