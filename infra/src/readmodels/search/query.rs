//! The search query: web-search syntax (`"phrases"`, `-exclusions`, `or`) plus prefix matching of
//! the last word, over filename, text and topic names; ranked, highlighted, cursor-paginated, and
//! limited to the caller's own documents and those shared with them.

use std::sync::LazyLock;

use base64::Engine;
use chrono::{DateTime, Utc};
use projections::search::{SearchHit, SearchPage, SearchQuery, Strategy};
use sqlx::PgPool;
use uuid::Uuid;

use super::snippet::{highlight, Terms};
use super::stats;
use super::strategy::{self, NAME_CANDIDATES, TEXT_CANDIDATES, TIERS, WALK_LIMIT};

/// How far into a text the snippet's anchor (the first match) is looked for: a text can be
/// millions of characters, stored out of line.
const SNIPPET_SCAN_CHARS: i32 = 100_000;
/// The snippet is cut from this many bytes around its anchor (about 120 words of English, 60
/// of Cyrillic; a snippet shows 40): a whole text can be hundreds of kilobytes.
const SNIPPET_WINDOW_BYTES: i32 = 720;

/// Who may see a document, and the caller's filters (`d` is `search_documents`).
const VISIBLE: &str = "d.uploaded and not d.trashed \
    and ($4::uuid is null or d.folder_id = $4) \
    and ($5::uuid is null or $5 = any(d.topic_ids)) \
    and ($6::timestamptz is null or d.created_at >= $6) \
    and ($7::timestamptz is null or d.created_at < $7)";
/// A candidate's rank: text relevance (filename words weigh most), plus a bonus when one of
/// its topics is named by the query. A query of stopwords only matches filenames (`name_tsv`).
const RANK: &str = "case when $18 then ts_rank(d.name_tsv, $2) else ts_rank(d.tsv, $2) end \
    + case when d.topic_ids && $21 then 0.5 else 0 end";
/// Whether a document matches, tested row by row (not through an index).
const MATCH: &str = "case when $18 then d.name_tsv @@ $2 else d.tsv @@ $2 end";

/// query.sql with its repeated fragments filled in, once per kind of search (`statement`):
/// with or without its walk blocks (`walk` and `whole` have them, `index` and
/// `word_then_prefix` not), with or without its extra arms (topics the query names, documents
/// shared with the caller), for the ranked candidates or for the tail after them.
static SQL: LazyLock<[String; 8]> = LazyLock::new(|| {
    let sql = expand_tiers(include_str!("query.sql"))
        .replace("{visible}", VISIBLE)
        .replace("{rank}", RANK)
        .replace("{match}", MATCH);
    std::array::from_fn(|i| {
        let (walk, extra, tail) = (i & 4 != 0, i & 2 != 0, i & 1 != 0);
        let sql = blocks(&blocks(&sql, "walk", walk), "extra", extra);
        blocks(&blocks(&sql, "ranked", !tail), "tail", tail)
    })
});

/// Which of `SQL` runs a search.
fn statement(walks: bool, extra: bool, tail: bool) -> &'static str {
    &SQL[usize::from(walks) * 4 + usize::from(extra) * 2 + usize::from(tail)]
}

/// parse.sql: the query parsed, the topics it names, whether anything is shared with the caller.
const PARSE: &str = include_str!("parse.sql");

/// `sql` with its `{name}` … `{/name}` blocks kept (their markers dropped) or left out.
fn blocks(sql: &str, name: &str, keep: bool) -> String {
    rewrite_blocks(sql, name, |body| {
        if keep {
            body.to_owned()
        } else {
            String::new()
        }
    })
}

/// Repeats each `{tiers}` … `{/tiers}` block of `sql` once per tier, its `{tier}` naming the
/// tier's buckets (as the partial indexes' predicates do), the copies joined by `union all`.
fn expand_tiers(sql: &str) -> String {
    rewrite_blocks(sql, "tiers", |body| {
        TIERS
            .iter()
            .map(|(lo, hi)| body.replace("{tier}", &format!("d.bucket between {lo} and {hi}")))
            .collect::<Vec<_>>()
            .join("union all")
    })
}

/// `sql` with each `{name}` … `{/name}` block replaced by what `rewrite` makes of its body.
fn rewrite_blocks(sql: &str, name: &str, rewrite: impl Fn(&str) -> String) -> String {
    let (open, close) = (format!("{{{name}}}"), format!("{{/{name}}}"));
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find(&open) {
        let body_at = start + open.len();
        let end = body_at + rest[body_at..].find(&close).expect("block closed");
        out.push_str(&rest[..start]);
        out.push_str(&rewrite(&rest[body_at..end]));
        rest = &rest[end + close.len()..];
    }
    out.push_str(rest);
    out
}

/// What parse.sql returns.
#[derive(sqlx::FromRow)]
struct Parsed {
    /// The tsquery run, and the one the text's index is asked, in PostgreSQL's binary form.
    query: Vec<u8>,
    scan: Vec<u8>,
    /// The tsquery run, as text (the snippet marks its lexemes).
    query_text: String,
    /// Stopwords only: the query is in the `simple` configuration and matches filenames only.
    fallback: bool,
    /// The prefix is tested on the rows the index gives for the words.
    web_only: bool,
    /// The topics (the caller's and the system's) the query names.
    named: Vec<Uuid>,
    /// Documents are shared with the caller.
    shared: bool,
}

/// The snippet's anchor for the query's first lexeme (not an excluded one): a stem may end where
/// its word does not ("compani" in "company"), so a longer one's last letter is left out.
fn anchor(lexeme: &str) -> &str {
    match lexeme
        .char_indices()
        .nth(4)
        .and(lexeme.char_indices().last())
    {
        Some((last, _)) => &lexeme[..last],
        None => lexeme,
    }
}

/// `'lexeme':C` (`:*C` for a prefix) in `tsquery`'s binary form (`tsqueryrecv`: one item, an
/// operand, its weights C, its prefix flag, the lexeme): whether a text has the anchor in the
/// text's own weight, not only in its filename's (A). A filename match's text mostly does not,
/// and looking for the anchor's spellings then read the whole text three times.
fn in_text_weight(lexeme: &str, prefix: bool) -> Vec<u8> {
    const OPERAND: u8 = 1;
    const WEIGHT_C: u8 = 1 << 1;
    let mut out = Vec::with_capacity(lexeme.len() + 8);
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(&[OPERAND, WEIGHT_C, u8::from(prefix)]);
    out.extend_from_slice(lexeme.as_bytes());
    out.push(0);
    out
}

/// A tsquery in PostgreSQL's binary form (from `tsquerysend`), bound as a `tsquery` parameter:
/// the very query parse.sql parsed, not parsed again.
struct TsQuery(Vec<u8>);

impl sqlx::Type<sqlx::Postgres> for TsQuery {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        // `tsquery`'s fixed OID (pg_type.dat).
        sqlx::postgres::PgTypeInfo::with_oid(sqlx::postgres::types::Oid(3615))
    }
}

impl sqlx::Encode<'_, sqlx::Postgres> for TsQuery {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        buf.extend_from_slice(&self.0);
        Ok(sqlx::encode::IsNull::No)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    document_id: Uuid,
    owner_id: Uuid,
    filename: Option<String>,
    folder_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    topic_ids: Vec<Uuid>,
    rank: f32,
    /// The text window around the first match, as bytes (none for the row after the page).
    snippet: Option<Vec<u8>>,
    /// The window starts mid-text.
    cut: bool,
    /// A walk tested all the caller's documents: they are all among the candidates.
    all_tested: bool,
}

/// Splits `q` into the part for `websearch_to_tsquery` and a last bare word to match as a prefix
/// ("inv" finds "invoice"). Quoted phrases and exclusions are left to web-search syntax.
fn split_prefix(q: &str) -> (String, Option<String>) {
    let trimmed = q.trim_end();
    if trimmed.ends_with('"') || trimmed.matches('"').count() % 2 == 1 {
        return (q.to_owned(), None);
    }
    let (rest, last) = match trimmed.rsplit_once(char::is_whitespace) {
        Some((rest, last)) => (rest.to_owned(), last),
        None => (String::new(), trimmed),
    };
    let word: String = last.to_lowercase();
    if word.is_empty() || word == "or" || !word.chars().all(char::is_alphanumeric) {
        return (q.to_owned(), None);
    }
    (rest, Some(word))
}

/// Where a page starts: after a ranked candidate (its rank and id, and how many were shown
/// before and with it: `None` in a cursor of an earlier version), or in the tail of the matches
/// after them (the created-at time and id of the last one shown).
#[derive(Debug, Clone, Copy, PartialEq)]
enum After {
    Ranked(f32, Uuid, Option<u32>),
    Tail(DateTime<Utc>, Uuid),
}

fn encode_cursor(after: After) -> String {
    let text = match after {
        After::Ranked(rank, id, Some(shown)) => format!("{rank:e}:{id}:{shown}"),
        After::Ranked(rank, id, None) => format!("{rank:e}:{id}"),
        After::Tail(at, id) => format!("t{}:{id}", at.timestamp_micros()),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(cursor: &str) -> Option<After> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.split(':');
    let (key, id, shown) = (parts.next()?, parts.next()?.parse().ok()?, parts.next());
    if parts.next().is_some() {
        return None;
    }
    Some(match (key.strip_prefix('t'), shown) {
        (Some(micros), None) => {
            After::Tail(DateTime::from_timestamp_micros(micros.parse().ok()?)?, id)
        }
        (Some(_), Some(_)) => return None,
        (None, shown) => After::Ranked(
            key.parse().ok()?,
            id,
            shown.map(str::parse).transpose().ok()?,
        ),
    })
}

/// A window of a text's bytes as text: cut from the middle of a text, it may begin or end
/// inside a character, whose pieces are dropped.
fn window_text(bytes: &[u8]) -> &str {
    let start = bytes
        .iter()
        .position(|b| b & 0xC0 != 0x80)
        .unwrap_or(bytes.len());
    let bytes = &bytes[start..];
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// The hit's snippet: the window without a word cut in half at its start, matches marked.
fn snippet(row: &Row, terms: &Terms) -> String {
    let window = window_text(row.snippet.as_deref().unwrap_or_default());
    let window = if row.cut {
        window
            .split_once(char::is_whitespace)
            .map_or("", |(_, rest)| rest)
    } else {
        window
    };
    highlight(window, terms)
}

/// Runs one search. An invalid cursor starts from the first page.
///
/// The ranked candidates come first, best first. A query matching more documents than it ranks
/// (query.sql: at most `NAME_CANDIDATES` filename and `TEXT_CANDIDATES` text matches, unless
/// all the caller's documents were tested) then goes on through its other matches, newest
/// first: the tail, found by a statement of its own that recomputes the candidates to leave
/// them out. A page may hold the last ranked candidates and the tail's first matches.
pub async fn search(pool: &PgPool, query: &SearchQuery) -> Result<SearchPage, sqlx::Error> {
    let Some(caller) = query.caller else {
        return Ok(SearchPage {
            items: vec![],
            next_cursor: None,
        });
    };
    let limit = query.limit.clamp(1, 100) as usize;
    let (web, prefix) = split_prefix(&query.q);
    let after = query.cursor.as_deref().and_then(decode_cursor);
    let shares = stats::shares(pool).await?;
    let strategy = match query.strategy {
        Some(forced) => forced,
        None => strategy::choose(&shares, caller.as_uuid(), &web, prefix.as_deref()),
    };
    // Both statements on one connection: the pool tests a connection each time it is returned.
    let mut conn = pool.acquire().await?;
    let parsed: Parsed = sqlx::query_as(PARSE)
        .bind(caller.as_uuid())
        .bind(&web)
        .bind(prefix.as_deref())
        .bind(strategy::name(strategy))
        .fetch_one(&mut *conn)
        .await?;
    let terms = Terms::parse(&parsed.query_text, !parsed.fallback);
    let search = Search {
        query,
        caller: caller.as_uuid(),
        strategy,
        web: &web,
        prefix: prefix.as_deref(),
        shares: &shares,
        parsed: &parsed,
        first: terms.first(),
    };
    // (row, from the tail)
    let mut rows: Vec<(Row, bool)> = Vec::new();
    // How many ranked candidates the pages before showed (`None`: not known).
    let mut shown = None;
    let tail_after = match after {
        Some(After::Tail(..)) => Some(after),
        _ => {
            shown = match after {
                Some(After::Ranked(_, _, shown)) => shown,
                _ => Some(0),
            };
            let ranked = search.rows(&mut conn, false, after, limit + 1).await?;
            // The candidates were all the matches: fewer than any arm ranks, or all the
            // caller's documents tested (and no shares' arm that may have reached its limit).
            let fewer =
                shown.is_some_and(|n| (n as usize + ranked.len()) < NAME_CANDIDATES as usize);
            let no_shares = query.only_owned || !parsed.shared;
            let tested = no_shares && ranked.first().is_some_and(|r| r.all_tested);
            rows.extend(ranked.into_iter().map(|r| (r, false)));
            // Else the tail from its start.
            (rows.len() <= limit && !fewer && !tested).then_some(None)
        }
    };
    if let Some(tail_after) = tail_after {
        let tail = search
            .rows(&mut conn, true, tail_after, limit + 1 - rows.len())
            .await?;
        rows.extend(tail.into_iter().map(|r| (r, true)));
    }
    drop(conn);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = rows.last().filter(|_| more).map(|(r, tail)| {
        encode_cursor(if *tail {
            After::Tail(r.created_at, r.document_id)
        } else {
            // A page of ranked candidates only.
            After::Ranked(r.rank, r.document_id, shown.map(|n| n + limit as u32))
        })
    });
    let items = rows
        .into_iter()
        .map(|(r, tail)| SearchHit {
            snippet: snippet(&r, &terms),
            ranked: !tail,
            shared: r.owner_id != caller.as_uuid(),
            document_id: r.document_id,
            owner_id: r.owner_id,
            filename: r.filename,
            folder_id: r.folder_id,
            created_at: r.created_at,
            topic_ids: r.topic_ids,
            rank: r.rank,
        })
        .collect();
    Ok(SearchPage { items, next_cursor })
}

/// What query.sql is run with for one search.
struct Search<'a> {
    query: &'a SearchQuery,
    caller: Uuid,
    strategy: Strategy,
    web: &'a str,
    prefix: Option<&'a str>,
    shares: &'a stats::Shares,
    parsed: &'a Parsed,
    /// The query's first lexeme (not an excluded one), and whether it is a prefix.
    first: Option<(&'a str, bool)>,
}

impl Search<'_> {
    /// A page of the ranked candidates (`tail`: of the tail) after `after`, and the row after it
    /// when there is one: `rows` at most.
    async fn rows(
        &self,
        conn: &mut sqlx::PgConnection,
        tail: bool,
        after: Option<After>,
        rows: usize,
    ) -> Result<Vec<Row>, sqlx::Error> {
        let (query, parsed) = (self.query, self.parsed);
        let walks = matches!(self.strategy, Strategy::Walk | Strategy::Whole);
        let extra = !parsed.named.is_empty() || (parsed.shared && !query.only_owned);
        let ranked = match after {
            Some(After::Ranked(rank, id, _)) => Some((rank, id)),
            _ => None,
        };
        let tail_after = match after {
            Some(After::Tail(at, id)) => Some((at, id)),
            _ => None,
        };
        // (Not estimated for the ranked statement, which does not read it.)
        let tail_walks = query.tail_walks.unwrap_or_else(|| {
            tail && strategy::tail_walks(
                self.shares,
                self.caller,
                self.web,
                self.prefix,
                rows as i64,
            )
        });
        sqlx::query_as(statement(walks, extra, tail))
            .bind(self.caller)
            .bind(TsQuery(parsed.query.clone()))
            .bind(TsQuery(parsed.scan.clone()))
            .bind(query.folder_id)
            .bind(query.topic)
            .bind(query.from)
            .bind(query.to)
            .bind(ranked.map(|(r, _)| r))
            .bind(ranked.map(|(_, id)| id))
            .bind(rows as i64)
            .bind(query.only_owned)
            .bind(TEXT_CANDIDATES)
            .bind(NAME_CANDIDATES)
            .bind(strategy::name(self.strategy))
            .bind(SNIPPET_WINDOW_BYTES)
            .bind(query.walk_limit.map_or(WALK_LIMIT, i64::from))
            .bind(SNIPPET_SCAN_CHARS)
            .bind(parsed.fallback)
            .bind(parsed.web_only)
            .bind(self.first.map(|(lexeme, _)| anchor(lexeme)))
            .bind(&parsed.named)
            // Not for stopwords only: the text's vector has none.
            .bind(
                self.first
                    .filter(|_| !parsed.fallback)
                    .map(|(lexeme, prefix)| TsQuery(in_text_weight(lexeme, prefix))),
            )
            .bind(tail_walks)
            .bind(tail_after.map(|(at, _)| at))
            .bind(tail_after.map(|(_, id)| id))
            .fetch_all(conn)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anchor_and_its_text_weight_query_are_the_first_lexeme() {
        let terms = Terms::parse("!'draft' & 'compani' & 'pay':*", true);
        let (lexeme, prefix) = terms.first().unwrap();
        assert_eq!((anchor(lexeme), prefix), ("compan", false));
        assert_eq!(anchor("invo"), "invo");
        assert_eq!(anchor("ärzte"), "ärzt");
        // As PostgreSQL 15 writes `tsquerysend('invoic':C)` and `tsquerysend('pay':*C)`.
        let hex = |b: Vec<u8>| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(
            hex(in_text_weight("invoic", false)),
            "00000001010200696e766f696300"
        );
        assert_eq!(hex(in_text_weight("pay", true)), "0000000101020170617900");
    }

    #[test]
    fn the_last_bare_word_becomes_a_prefix() {
        assert_eq!(split_prefix("tax inv"), ("tax".into(), Some("inv".into())));
        assert_eq!(split_prefix("Inv"), (String::new(), Some("inv".into())));
        assert_eq!(
            split_prefix("\"tax return\""),
            ("\"tax return\"".into(), None)
        );
        assert_eq!(split_prefix("tax -draft"), ("tax -draft".into(), None));
        assert_eq!(split_prefix("a or"), ("a or".into(), None));
    }

    #[test]
    fn a_window_cut_mid_text_loses_its_first_word() {
        let row = |window: &str, cut: bool| Row {
            document_id: Uuid::nil(),
            owner_id: Uuid::nil(),
            filename: None,
            folder_id: None,
            created_at: Utc::now(),
            topic_ids: vec![],
            rank: 0.0,
            snippet: Some(window.as_bytes().to_vec()),
            cut,
            all_tested: false,
        };
        let terms = Terms::parse("'tax'", true);
        assert_eq!(
            snippet(&row("ax return, tax", true), &terms),
            "return, <mark>tax</mark>"
        );
        assert_eq!(
            snippet(&row("Tax return", false), &terms),
            "<mark>Tax</mark> return"
        );
    }

    #[test]
    fn tier_blocks_repeat_once_per_tier() {
        let sql = expand_tiers("(select * from ({tiers} select 1 where {tier} {/tiers}) t) x");
        assert_eq!(
            sql,
            "(select * from ( select 1 where d.bucket between 0 and 0 union all \
             select 1 where d.bucket between 1 and 3 union all \
             select 1 where d.bucket between 4 and 15 union all \
             select 1 where d.bucket between 16 and 63 ) t) x"
        );
        // The tiers cover the 64 buckets once each, smallest first.
        let mut next = 0;
        for (lo, hi) in TIERS {
            assert_eq!(lo, next);
            next = hi + 1;
        }
        assert_eq!(next, 64);
        for sql in SQL.iter() {
            assert!(!sql.contains("{tier"), "every block expanded");
            assert!(
                !sql.contains("walk}")
                    && !sql.contains("extra}")
                    && !sql.contains("ranked}")
                    && !sql.contains("tail}"),
                "blocks kept or left out"
            );
        }
        // Only the walking statements have the walk's parts, only the extra ones the arms for
        // topics and shares.
        for (walks, extra, tail) in (0..8).map(|i| (i & 4 != 0, i & 2 != 0, i & 1 != 0)) {
            let sql = statement(walks, extra, tail);
            assert_eq!(sql.contains(" walk_rows"), walks);
            assert_eq!(sql.contains("search_shares"), extra);
            assert_eq!(sql.contains("not (select all_tested from done)"), walks);
            // The tail's statement pages by time, the ranked one by rank.
            assert_eq!(sql.contains("tail_walk_rows"), tail);
            assert_eq!(sql.contains("$8::real"), !tail);
        }
    }

    #[test]
    fn a_window_drops_the_pieces_of_characters_cut_at_its_ends() {
        let text = "žluťoučký kůň";
        let bytes = text.as_bytes();
        // "ž" and "ň" are two bytes each: cut through both.
        assert_eq!(window_text(&bytes[1..bytes.len() - 1]), "luťoučký ků");
        assert_eq!(window_text(bytes), text);
        assert_eq!(window_text(&bytes[1..2]), "");
        assert_eq!(window_text(b""), "");
    }

    #[test]
    fn cursors_round_trip() {
        let id = Uuid::now_v7();
        for shown in [None, Some(40)] {
            let ranked = After::Ranked(0.25, id, shown);
            assert_eq!(decode_cursor(&encode_cursor(ranked)), Some(ranked));
        }
        let at = DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap();
        let tail = After::Tail(at, id);
        assert_eq!(decode_cursor(&encode_cursor(tail)), Some(tail));
        assert_eq!(decode_cursor("garbage"), None);
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("tx:{id}"));
        assert_eq!(decode_cursor(&forged), None);
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("1e0:{id}:x"));
        assert_eq!(decode_cursor(&forged), None);
    }
}
