//! How a search finds its text candidates, chosen from the query's estimated breadth by a small
//! cost model whose constants were measured (docs/benchmarks.md, "Search").

use projections::search::Strategy;
use uuid::Uuid;

use super::english;
use super::stats::{prefix_share, share, Shares};

/// The tiers of the text and filename indexes, as ranges of `search_documents.bucket` (0–63,
/// from the document id's random last byte), smallest first: 1/64, 3/64, 12/64 and 48/64 of the
/// documents. Each has its partial indexes (migration 20261128200000, whose predicates must
/// match these; its comment places this list in query.rs, its home when it was written); a
/// search asks them in this order and stops once it has its candidates.
pub const TIERS: [(i16, i16); 4] = [(0, 0), (1, 3), (4, 15), (16, 63)];

/// Text matches ranked per query. Ranking reads a tsvector per match, so a query that matches
/// much of a large vault ranks only this many of its matches (besides every filename match);
/// rarer queries match fewer and are ranked completely.
pub(super) const TEXT_CANDIDATES: i64 = 100;
/// Filename matches ranked per query (they outrank text-only matches; a query of stopwords
/// only matches filenames alone).
pub(super) const NAME_CANDIDATES: i64 = 50;
/// A walk tests at most this many of the caller's newest documents before it asks the index.
pub(super) const WALK_LIMIT: i64 = 1_500;

/// Microseconds per posting a GIN bitmap scan collects for a word, and for a prefix (whose
/// completions' postings are gathered into a bitmap first), and per row read and tested.
const GIN_POSTING_US: f64 = 0.4;
const GIN_PREFIX_POSTING_US: f64 = 1.0;
const ROW_US: f64 = 4.0;
/// Microseconds per row of another caller's that an index scan fetches and rules out.
const OTHER_ROW_US: f64 = 1.0;

/// The name query.sql knows a strategy by.
pub(super) fn name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Index => "index",
        Strategy::Walk => "walk",
        Strategy::WordThenPrefix => "word_then_prefix",
        Strategy::Whole => "whole",
    }
}

/// The query's terms as shares of the documents containing them.
#[derive(Debug, PartialEq)]
struct Breadth {
    /// One per word of the web-search part that is not excluded.
    words: Vec<f32>,
    /// The words are alternatives (`or`), not all required.
    any: bool,
    /// The last word as a prefix, when it narrows the query.
    prefix: Option<f32>,
    /// The prefix's common completions: a GIN scan gathers the postings of several into a
    /// bitmap first, but reads a single one's as a word's.
    completions: usize,
    /// Stopwords only: filenames are searched (through their index, the whole query or the
    /// words with the prefix tested on their rows, or a walk).
    names: bool,
}

impl Breadth {
    /// The words' shares summed (the postings a GIN scan reads, per document of a tier).
    fn all_words(&self) -> f64 {
        self.words.iter().map(|&s| f64::from(s)).sum()
    }

    /// The share of the documents matching the words (`None`: no words), the prefix (`None`:
    /// no prefix that narrows), and the whole query (terms assumed independent).
    fn shares(&self) -> (Option<f64>, Option<f64>, f64) {
        let web = if self.words.is_empty() {
            None
        } else if self.any {
            Some(self.all_words().min(1.0))
        } else {
            self.words.iter().map(|&s| f64::from(s)).reduce(f64::min)
        };
        let prefix = self.prefix.map(f64::from);
        (web, prefix, web.unwrap_or(1.0) * prefix.unwrap_or(1.0))
    }

    /// Microseconds to ask the index tiers holding `read` of the `n` documents: the postings
    /// of that part, the caller's matching rows in it (`mine` of the documents are theirs; at
    /// most `rows` fetched), and the other callers' matching rows fetched and ruled out.
    fn index_us(&self, n: f64, mine: f64, read: f64, rows: f64) -> f64 {
        // A prefix with one common completion (a whole word as typed, the usual last word) is
        // read as that word is; several are gathered into a bitmap first (priced as several, a
        // two-word query whose prefix had one completion took 6.4 ms through the index, which
        // the model had priced above the 10–13 ms of testing the first word's rows).
        let prefix_posting_us = if self.completions > 1 {
            GIN_PREFIX_POSTING_US
        } else {
            GIN_POSTING_US
        };
        let (_, prefix, share) = self.shares();
        let scanned = n * read;
        scanned * self.all_words() * GIN_POSTING_US
            + scanned * prefix.unwrap_or(0.0) * prefix_posting_us
            + (mine * share).min(rows) * ROW_US
            + (n - mine) * read * share * OTHER_ROW_US
    }

    /// Microseconds for a walk through the caller's newest documents to find `rows` matches;
    /// infinite when it is not expected to find them among the documents it may test (it then
    /// falls back to the indexes as well).
    fn walk_us(&self, mine: f64, rows: f64) -> f64 {
        let (_, _, share) = self.shares();
        if share * (WALK_LIMIT as f64).min(mine) >= rows {
            rows / share * ROW_US
        } else {
            f64::INFINITY
        }
    }
}

/// Estimates `web` (web-search syntax) and `prefix` the way query.sql will run them: `english`
/// lexemes against the text's statistics, or, when only stopwords are left, the words as such
/// against the filenames' statistics.
fn breadth(shares: &Shares, web: &str, prefix: Option<&str>) -> Breadth {
    let mut words: Vec<String> = Vec::new();
    let mut any = false;
    for (at, word) in english::words(web) {
        let word = word.to_lowercase();
        let excluded = web[..at].ends_with('-')
            && web[..at - 1].chars().last().is_none_or(char::is_whitespace);
        if word == "or" {
            any = true;
        } else if !excluded {
            words.push(word);
        }
    }
    let lexemes: Vec<String> = words.iter().filter_map(|w| english::lexeme(w)).collect();
    let stem = prefix.and_then(english::lexeme);
    let names = lexemes.is_empty() && stem.is_none();
    let (of, words, prefix) = if names {
        (&shares.names, words, prefix.map(str::to_owned))
    } else {
        (&shares.text, lexemes, stem)
    };
    // A prefix that one of the words already begins with ("invoice inv") narrows nothing.
    let prefix = prefix.filter(|p| !words.iter().any(|w| w.starts_with(p.as_str())));
    let (prefix, completions) = match prefix.map(|p| prefix_share(of, &p)) {
        Some((share, completions)) => (Some(share), completions),
        None => (None, 0),
    };
    Breadth {
        words: words.iter().map(|w| share(of, w)).collect(),
        any,
        prefix,
        completions,
        names,
    }
}

/// The share of the documents whose index tiers a search reads to find `k` of `matches` spread
/// evenly over them: the tiers are read smallest first until they hold `k` (or all are read).
fn tiers_read(matches: f64, k: f64) -> f64 {
    let mut read = 0.0;
    for (lo, hi) in TIERS {
        read += f64::from(hi - lo + 1) / 64.0;
        if matches * read >= k {
            break;
        }
    }
    read
}

/// The cheapest way to the candidates of a query of this breadth (`TEXT_CANDIDATES`, or
/// `NAME_CANDIDATES` for stopwords only), for a caller with `mine` of the table's `documents`.
fn cheapest(b: &Breadth, documents: f64, mine: f64) -> Strategy {
    let n = documents.max(1.0);
    let mine = mine.clamp(0.0, n);
    let k = if b.names {
        NAME_CANDIDATES
    } else {
        TEXT_CANDIDATES
    } as f64;
    let (web, prefix, share) = b.shares();
    // The index tiers are read until they hold the caller's candidates.
    let read = tiers_read(mine * share, k);
    let index = b.index_us(n, mine, read, k);
    let word_then_prefix = match (web, prefix) {
        (Some(web), Some(prefix)) if prefix > 0.0 => {
            n * read * b.all_words() * GIN_POSTING_US
                + (mine * web).min(k / prefix) * ROW_US
                + (n - mine) * read * web * OTHER_ROW_US
        }
        _ => f64::INFINITY,
    };
    let walk = b.walk_us(mine, k);
    // Testing all of a caller's documents: only when they are surely fewer than a walk may
    // test (the estimate is the statistics' average for most callers), else the index
    // branches would run after it.
    let whole = if mine <= WALK_LIMIT as f64 / 2.0 {
        mine * ROW_US
    } else {
        f64::INFINITY
    };
    // The cheapest; on a tie the first listed.
    [
        (Strategy::Index, index),
        (Strategy::WordThenPrefix, word_then_prefix),
        (Strategy::Walk, walk),
        (Strategy::Whole, whole),
    ]
    .into_iter()
    .min_by(|a, b| a.1.total_cmp(&b.1))
    .map_or(Strategy::Index, |(strategy, _)| strategy)
}

/// Whether the tail of a query's matches (those after its ranked candidates, newest first;
/// query.sql) is walked: the caller's newest documents after the cursor tested one by one until
/// `rows` match, rather than all the query's matches collected through the indexes and sorted.
/// Only when a walk is expected to find them among the documents it may test (else it falls
/// back to the indexes after testing them) and to cost less than the indexes' matches.
pub(super) fn tail_walks(
    shares: &Shares,
    caller: Uuid,
    web: &str,
    prefix: Option<&str>,
    rows: i64,
) -> bool {
    if shares.documents <= 0.0 {
        return false;
    }
    let b = breadth(shares, web, prefix);
    let n = shares.documents.max(1.0);
    let mine = shares.documents_of(caller).clamp(0.0, n);
    // Through the indexes, every tier is read and every match fetched, to be sorted.
    b.walk_us(mine, rows as f64) < b.index_us(n, mine, 1.0, f64::INFINITY)
}

/// The strategy for `caller`'s query of `web` text and last-word `prefix` over `shares`' table.
pub(super) fn choose(shares: &Shares, caller: Uuid, web: &str, prefix: Option<&str>) -> Strategy {
    if shares.documents <= 0.0 {
        // No statistics yet (before the first ANALYZE): everything is rare.
        return Strategy::Index;
    }
    cheapest(
        &breadth(shares, web, prefix),
        shares.documents,
        shares.documents_of(caller),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: Uuid = Uuid::nil();

    fn shares() -> Shares {
        let text = [
            ("report", 0.22),
            ("invoic", 0.26),
            ("pay", 0.05),
            ("payment", 0.1),
            ("year", 0.9),
        ];
        let names = [("the", 0.15), ("to", 0.05)];
        Shares {
            text: text.iter().map(|(l, s)| (l.to_string(), *s)).collect(),
            names: names.iter().map(|(l, s)| (l.to_string(), *s)).collect(),
            documents: 100_000.0,
            // One caller owns them all.
            owners: [(ME, 1.0)].into(),
            other_owner: 0.0,
        }
    }

    #[test]
    fn estimates_lexemes_prefixes_exclusions_and_stopwords() {
        let s = shares();
        let b = breadth(&s, "invoices -report", Some("pay"));
        assert_eq!((&b.words[..], b.any), (&[0.26][..], false));
        assert!(
            (b.prefix.unwrap() - 0.15).abs() < 1e-6,
            "pay and payment: {b:?}"
        );
        assert_eq!(b.completions, 2);
        assert_eq!(breadth(&s, "invoices", Some("report")).completions, 1);
        let b = breadth(&s, "invoice or report", None);
        assert_eq!((b.words, b.any, b.prefix), (vec![0.26, 0.22], true, None));
        // Stopwords only: the filenames' words.
        let b = breadth(&s, "the", Some("to"));
        assert_eq!((b.words, b.prefix), (vec![0.15], Some(0.05)));
        // A prefix of a word already there adds nothing.
        assert_eq!(breadth(&s, "invoice", Some("invoic")).prefix, None);
    }

    #[test]
    fn the_index_unless_a_query_matches_most_documents() {
        let s = shares();
        assert_eq!(choose(&s, ME, "zanzibar", None), Strategy::Index);
        assert_eq!(choose(&s, ME, "", Some("zanz")), Strategy::Index);
        // Broad, but its first index tier holds its candidates.
        assert_eq!(choose(&s, ME, "", Some("report")), Strategy::Index);
        assert_eq!(choose(&s, ME, "the", None), Strategy::Index);
        assert_eq!(choose(&s, ME, "invoice", Some("pay")), Strategy::Index);
        // In most documents: testing the newest ones finds the candidates sooner.
        assert_eq!(choose(&s, ME, "year", None), Strategy::Walk);
        assert_eq!(choose(&s, ME, "", Some("ye")), Strategy::Walk);
        // A prefix far broader than the word before it: the word's rows, the prefix tested.
        assert_eq!(
            choose(&s, ME, "invoice", Some("ye")),
            Strategy::WordThenPrefix
        );
        // A rare word: its few rows are tested for the prefix.
        assert_eq!(
            choose(&s, ME, "zanzibar", Some("pay")),
            Strategy::WordThenPrefix
        );
        // Rare both: the index.
        assert_eq!(choose(&s, ME, "zanzibar", Some("quux")), Strategy::Index);
        // Stopwords only, in the filenames: a prefix of many completions after a rarer word.
        let names = [("the", 0.1), ("them", 0.03), ("then", 0.03), ("was", 0.02)];
        let s = Shares {
            names: names.iter().map(|(l, s)| (l.to_string(), *s)).collect(),
            ..shares()
        };
        assert_eq!(choose(&s, ME, "was", Some("the")), Strategy::WordThenPrefix);
        // No statistics yet (before the first ANALYZE): everything is rare.
        assert_eq!(
            choose(&Shares::default(), ME, "", Some("report")),
            Strategy::Index
        );
    }

    #[test]
    fn a_caller_with_few_documents_among_many_has_them_all_tested() {
        // 1,000 callers of 100 documents each: the index would be read for all their matches.
        let s = Shares {
            owners: Default::default(),
            other_owner: 0.001,
            ..shares()
        };
        let caller = Uuid::from_u128(7);
        assert_eq!(choose(&s, caller, "report", None), Strategy::Whole);
        assert_eq!(choose(&s, caller, "", Some("pay")), Strategy::Whole);
        // A word not among the common ones: its few postings cost less than the caller's rows.
        assert_eq!(choose(&s, caller, "zanzibar", None), Strategy::Index);
        // A caller with more than a walk may test: not all at once.
        let s = Shares {
            owners: [(caller, 0.05)].into(),
            ..s
        };
        assert_ne!(choose(&s, caller, "report", None), Strategy::Whole);
    }

    #[test]
    fn the_tail_is_walked_when_a_page_of_matches_is_among_the_newest_documents() {
        let s = shares();
        // In most documents, or a fifth: a page of 21 within the first hundred or so.
        assert!(tail_walks(&s, ME, "year", None, 21));
        assert!(tail_walks(&s, ME, "report", None, 21));
        // One in twenty: a page of 101 is not among the 1,500 a walk may test.
        assert!(tail_walks(&s, ME, "pay", None, 21));
        assert!(!tail_walks(&s, ME, "pay", None, 101));
        // A word and a prefix, 4% together.
        assert!(tail_walks(&s, ME, "invoice", Some("pay"), 21));
        // Rare: its few matches through the indexes.
        assert!(!tail_walks(&s, ME, "zanzibar", None, 21));
        assert!(!tail_walks(&s, ME, "zanzibar", Some("pay"), 21));
        // No statistics yet: the indexes.
        assert!(!tail_walks(&Shares::default(), ME, "year", None, 21));
    }

    #[test]
    fn tiers_are_read_until_they_hold_the_candidates() {
        // 1/64 of 6,400 matches is 100: the first tier.
        assert_eq!(tiers_read(6_400.0, 100.0), 1.0 / 64.0);
        // 4/64 of 2,000 is 125: the first two.
        assert_eq!(tiers_read(2_000.0, 100.0), 4.0 / 64.0);
        // Fewer matches than candidates: all of them.
        assert_eq!(tiers_read(99.0, 100.0), 1.0);
        assert_eq!(tiers_read(0.0, 100.0), 1.0);
    }
}
