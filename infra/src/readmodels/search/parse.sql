-- A search's first statement (infra/src/search/query.rs runs it, then query.sql with what it
-- returns as parameters): the query parsed, the caller's topics it names, and whether anything
-- is shared with the caller (query.rs then leaves out the arms that cannot match). The snippet's
-- anchor is taken in query.rs from the parsed query's text, as the snippet's marks are.
-- Parameters: $1 caller, $2 web-search text, $3 last word as a prefix (or null), $4 how the text
-- candidates are found (query.sql).
--
-- Parsed apart so that query.sql's many scans take the tsqueries as parameters (sent back in
-- PostgreSQL's binary form, exactly as parsed here) rather than each joining a one-row table of
-- them: PostgreSQL prepares every node of a statement at each execution, and those joins were
-- about a third of the nodes.
select tsquerysend(y.query) as query, y.query::text as query_text,
    tsquerysend(case when y.web_only then y.words else y.query end) as scan,
    y.fallback, y.web_only,
    -- The caller's topics (and the system's) whose names the query matches.
    (select coalesce(array_agg(t.topic_id), '{}') from topics t
     where (t.owner_id = $1 or t.owner_id is null)
       and to_tsvector(case when y.fallback then 'simple'::regconfig else 'english' end,
                       coalesce(t.name, '')) @@ y.query) as named,
    exists (select from search_shares sh where sh.recipient_id = $1) as shared
from (
    select z.*,
        case when z.fallback
             then z.words && coalesce(to_tsquery('simple', $3 || ':*'), ''::tsquery)
             else z.e end as query,
        -- The words alone are asked of the index, the prefix tested on their rows.
        $4 = 'word_then_prefix' and numnode(z.words) > 0 as web_only
    from (
        select x.e, numnode(x.e) = 0 as fallback,
            -- The words before the prefix; stopwords only: the words as such, in the `simple`
            -- configuration (parsed only then: each parse of the text costs).
            case when numnode(x.e) = 0 then websearch_to_tsquery('simple', $2) else x.web end
                as words
        from (
            select w.web, w.web && coalesce(to_tsquery('english', $3 || ':*'), ''::tsquery) as e
            -- `offset 0`: parse once; flattened, each use of a column parsed the text again.
            from (select websearch_to_tsquery('english', $2) as web offset 0) w
            offset 0
        ) x
        offset 0
    ) z
    offset 0
) y
