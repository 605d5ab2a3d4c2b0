//! Full-text search on PostgreSQL: the implementation of the search query port
//! (`projections::search::SearchReader`, [`PgSearch`]) over the `search` projection's tables
//! (`search_documents`, `search_shares`; the projection itself is `projections::search`).
//!
//! # How a search runs
//!
//! A search is two statements on one connection:
//!
//! 1. `parse.sql` turns the web-search text (`"phrases"`, `-exclusions`, `or`, and the last bare
//!    word as a prefix) into a tsquery in the `english` configuration (stopwords only: in the
//!    `simple` one, matching filenames alone), and looks up the topics whose names it matches and
//!    whether anything is shared with the caller.
//! 2. `query.sql` finds, ranks and cuts the page, with the parsed query as its parameters.
//!
//! **Candidates, then ranking.** Ranking a document reads its tsvector, so a search ranks a
//! bounded set of candidates only: every filename match (up to 50; they outrank text matches)
//! and up to 100 text matches, plus documents in a topic the query names and documents shared
//! with the caller. A rare query has fewer matches than that and is ranked completely. The rank
//! is `ts_rank` (filename words weigh most), plus a bonus when a topic of the document is named.
//!
//! **Tiers.** The text and filename GIN indexes are partial indexes over four tiers of the
//! table (by a bucket 0–63 from the document id's random last byte: 1/64, 3/64, 12/64, 48/64 of
//! the documents; [`TIERS`], migration `20261128200000_search_tiers`). The statement asks the
//! tiers smallest first, joined by `union all` under a `limit`, and PostgreSQL stops reading once
//! it has the candidates: a GIN scan costs in proportion to the postings it reads, so a broad
//! word costs its first tier's postings only, not the whole table's.
//!
//! **Strategies.** How the text candidates are found depends on how broad the query is, which
//! `strategy.rs` estimates from the column statistics PostgreSQL keeps (`stats.rs`, cached for a
//! minute) with a small cost model: through the tiered indexes (most queries); the indexes for
//! the words with the prefix tested on their rows (a prefix much broader than the words); a walk
//! through the caller's newest documents, testing each (queries matching most documents, where a
//! hundred matches are among the first few hundred documents; index `(owner_id, created_at)`);
//! or all of the caller's documents tested (a caller with few documents among many callers',
//! where the index would be read for everybody's matches). Every strategy finds the same matches
//! when they are fewer than the candidates; they differ in cost only.
//!
//! **Statements.** `query.sql` is one text with marked blocks; `query.rs` fills in the tiers and
//! the repeated fragments once, and keeps or drops the walk blocks, the extra arms (topics,
//! shares) and the ranked or tail part, giving eight fixed statements. Fewer nodes per statement
//! matter because PostgreSQL prepares every node at each execution, even a skipped one; fixed
//! texts let the page-read pool (`crate::page_read_pool`) plan each once and reuse the plan.
//!
//! **The tail.** A query that matches more documents than it ranks goes on, after its ranked
//! candidates, with its other matches newest first: a statement of its own that recomputes the
//! candidates to leave them out (a cursor cannot carry them) and either walks the caller's
//! newest documents or collects the matches through the indexes and sorts them, whichever the
//! cost model expects to be cheaper. The cursor says which part a page ends in.
//!
//! **Snippets.** The statement returns, per hit, a window of bytes of the text around the first
//! match (looked for in the text's first 100,000 characters, in lower case, capitalised or in
//! capitals; the filename when there is no text), cut as bytes because counting characters walks
//! the text. `snippet.rs` then picks the words around the match and marks those the tsquery
//! matches, stemming them as PostgreSQL's `english` configuration does (`english.rs`), which
//! costs far less than `ts_headline` parsing each window again.
//!
//! # The indexes it relies on
//!
//! `search_documents`: the tiered GIN indexes on `tsv` and on `name_tsv`; `(owner_id,
//! created_at desc)` for walks; GIN on `topic_ids` for the named topics. `search_shares`:
//! `(recipient_id, document_id)`. Rows are kept inline up to a page (migration
//! `20261128140000_search_inline_rows`), so testing a document does not read TOAST.

mod english;
mod pg;
mod query;
mod snippet;
mod stats;
mod strategy;

pub use pg::PgSearch;
pub use query::search;
pub use strategy::TIERS;
