//! `docuvault-bench search`: 100,000 documents with generated prose through the real event store,
//! the search projection's rebuild rate, then search latency (p50/p99) at 1 and 32 clients.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use async_trait::async_trait;
use chrono::Utc;
use domain::event::{EventMetadata, ExpectedVersion, NewEvent, StreamId};
use domain::ids::{DocumentId, UserId};
use domain::ports::EventStore;
use infra::eventstore::{MasterKey, PgDataKeys, PgEventStore};
use infra::pgcluster::PgCluster;
use infra::readmodels::search::search;
use projections::search::{SearchProjection, SearchQuery, TextLoadError, TextLoader};
use projections::Projection;
use sqlx::postgres::PgPoolOptions;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 100_000)]
    documents: usize,
    /// Words of prose per document.
    #[arg(long, default_value_t = 300)]
    words: usize,
    /// Documents are spread over this many owners; queries run as the first (who owns
    /// documents / owners of them).
    #[arg(long, default_value_t = 1)]
    owners: usize,
    /// Concurrent clients of each query run, e.g. `1,32`: one client measures the service time
    /// of a query, more measure it with queueing.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 32])]
    clients: Vec<usize>,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Generated words added after the common-English head of the vocabulary (real prose has a
    /// long tail of rare words); 0 gives the first measurement's 230-word corpus.
    #[arg(long, default_value_t = 20_000)]
    tail_words: usize,
    /// Connections of the query pool; default as `docuvault` sizes its page-read pool.
    #[arg(long)]
    connections: Option<u32>,
    /// Keep the seeded cluster running after the run (its URL is printed) until Ctrl-C, for
    /// `--database` runs and `EXPLAIN` by hand.
    #[arg(long)]
    keep: bool,
    /// Only run the queries, against a database seeded by a `--keep` run (the same
    /// `--tail-words`): no seeding, no rebuild.
    #[arg(long)]
    database: Option<String>,
    /// Also print the slowest queries of each run and each query shape's share of its time.
    #[arg(long, default_value_t = 0)]
    slowest: usize,
    /// Instead of the query runs: these queries (comma-separated), each by every strategy and
    /// by the one the cost model picks, the median of 15 runs.
    #[arg(long, value_delimiter = ',')]
    probe: Vec<String>,
    /// With `--probe`: instead of the first page, a page of 20 in the tail of each query's
    /// matches (after its ranked candidates), walked and through the indexes.
    #[arg(long)]
    tail: bool,
}

/// A pronounceable made-up word per index (deterministic), for the vocabulary's long tail.
fn tail_word(i: usize) -> String {
    const ONSETS: [&str; 16] = [
        "b", "br", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "st", "t", "v",
    ];
    const VOWELS: [&str; 8] = ["a", "e", "i", "o", "u", "ai", "ea", "ou"];
    let mut n = i + 1;
    let mut w = String::new();
    while n > 0 {
        w.push_str(ONSETS[n % 16]);
        n /= 16;
        w.push_str(VOWELS[n % 8]);
        n /= 8;
    }
    w.push('x'); // never collides with an English head word
    w
}

/// Common English words, Zipf-sampled, so that term frequencies look like real prose.
const VOCAB: &str =
    "the of and to in is you that it he was for on are as with his they at be this \
have from or one had by word but not what all were we when your can said there use an each which \
she do how their if will up other about out many then them these so some her would make like him \
into time has look two more write go see number no way could people my than first water been call \
who oil its now find long down day did get come made may part invoice payment contract insurance \
doctor appointment flight hotel statement balance tenant landlord deposit warranty receipt tax \
refund policy claim salary pension school certificate meeting project report quarterly summary \
vehicle registration electricity internet subscription renewal notice account transfer delivery \
order customer service agreement signature annual monthly due amount total reference address phone \
garden kitchen holiday budget loan mortgage bank credit card travel passport visa ticket museum \
concert library course exam grade teacher student library prescription pharmacy clinic hospital \
dentist therapy vaccination allergy insurance premium deductible lawyer court notary inheritance";

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Zipf-like: index k with probability ∝ 1/(k+1).
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() as f64 + 1.0) / (1u64 << 31) as f64;
        (((n as f64 + 1.0).powf(u) - 1.0) as usize).min(n - 1)
    }
}

#[derive(Default)]
struct Texts(Mutex<HashMap<String, String>>);

#[async_trait]
impl TextLoader for Texts {
    async fn load(&self, key: &str) -> Result<Option<String>, TextLoadError> {
        Ok(self.0.lock().expect("texts").get(key).cloned())
    }
}

fn event(owner: UserId, event_type: &str, data: serde_json::Value) -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        event_type: event_type.into(),
        schema_version: 1,
        data,
        metadata: EventMetadata::default(),
        data_key: Some(owner.as_uuid()),
        recorded_at: Utc::now(),
    }
}

pub async fn run(args: Args) -> Result<()> {
    if let Some(url) = &args.database {
        let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
        // The owner the seeding gave the most documents: the first.
        let (caller,): (uuid::Uuid,) = sqlx::query_as(
            "select owner_id from search_documents group by owner_id \
             order by count(*) desc limit 1",
        )
        .fetch_one(&pool)
        .await?;
        return queries(&args, url, &vocabulary(&args), UserId(caller)).await;
    }
    let dir = std::env::temp_dir().join(format!("docuvault-bench-search-{}", std::process::id()));
    let cluster = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || PgCluster::start(&dir)).await??
    };
    let result = bench(&args, &cluster).await;
    if args.keep && result.is_ok() {
        println!("kept running: {} (Ctrl-C stops it)", cluster.url("bench"));
        tokio::signal::ctrl_c().await?;
    }
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn bench(args: &Args, cluster: &PgCluster) -> Result<()> {
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&cluster.url("postgres"))
        .await?;
    sqlx::query("create database bench").execute(&admin).await?;
    admin.close().await;
    let pool = PgPoolOptions::new()
        .max_connections(40)
        .connect(&cluster.url("bench"))
        .await?;
    infra::migrate(&pool).await?;
    let keys = Arc::new(PgDataKeys::new(pool.clone(), MasterKey::generate()));
    let store = Arc::new(PgEventStore::new(pool.clone(), keys));
    let vocab = vocabulary(args);
    let owners: Vec<UserId> = (0..args.owners.max(1)).map(|_| UserId::new()).collect();
    let texts = Arc::new(Texts::default());

    // Seed through the store: the document's upload, then its extracted text.
    let started = Instant::now();
    let per_writer = args.documents.div_ceil(32);
    let mut writers = Vec::new();
    for w in 0..32 {
        let (store, vocab, owners, texts) =
            (store.clone(), vocab.clone(), owners.clone(), texts.clone());
        let words = args.words;
        let n = per_writer.min(args.documents.saturating_sub(w * per_writer));
        writers.push(tokio::spawn(async move {
            let mut rng = Lcg(w as u64 + 1);
            for i in 0..n {
                let owner = owners[(w * per_writer + i) % owners.len()];
                let doc = DocumentId::new();
                let text: Vec<&str> = (0..words)
                    .map(|_| vocab[rng.zipf(vocab.len())].as_str())
                    .collect();
                let title = format!(
                    "{}-{}-{}.pdf",
                    vocab[rng.zipf(vocab.len())],
                    vocab[rng.zipf(vocab.len())],
                    i
                );
                store
                    .append(
                        &StreamId::new("document", doc),
                        ExpectedVersion::NoStream,
                        vec![
                            event(owner, "DocumentUploadRequested", serde_json::json!({
                                "document_id": doc, "owner_id": owner,
                                "filename": {"$pii": title}, "declared_content_type": "application/pdf",
                                "size_bytes": 1000, "expires_at": "2030-01-01T00:00:00Z"
                            })),
                            event(owner, "DocumentUploaded", serde_json::json!({
                                "content_type": "application/pdf", "size_bytes": 1000
                            })),
                        ],
                    )
                    .await?;
                let key = format!("derived/{owner}/{doc}/text.txt");
                texts.0.lock().expect("texts").insert(key.clone(), text.join(" "));
                store
                    .append(
                        &StreamId::new("processing", doc),
                        ExpectedVersion::NoStream,
                        vec![event(owner, "TextExtracted", serde_json::json!({
                            "run": 1, "kind": "native", "text_object": key,
                            "chars": 2000, "truncated": false
                        }))],
                    )
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for w in writers {
        w.await??;
    }
    println!(
        "seeded {} documents ({} events) in {:.1} s",
        args.documents,
        args.documents * 3,
        started.elapsed().as_secs_f64()
    );

    // Rebuild: the runtime's blue/green rebuild (`docuvault rebuild search`): shadow tables
    // loaded first and indexed after, then swapped in.
    let projection: Arc<dyn Projection> = Arc::new(SearchProjection::new(texts.clone()));
    let started = Instant::now();
    let done = projections::rebuild(
        &pool,
        store.clone(),
        projection,
        projections::RuntimeOptions::default(),
        Arc::new(|_| {}),
    )
    .await?;
    let rebuild = started.elapsed();
    sqlx::query("analyze search_documents")
        .execute(&pool)
        .await?;
    println!(
        "search rebuild: {} documents ({} events) in {:.1} s = {:.0} documents/s",
        args.documents,
        done.events_done,
        rebuild.as_secs_f64(),
        args.documents as f64 / rebuild.as_secs_f64()
    );

    queries(args, &cluster.url("bench"), &vocab, owners[0]).await
}

/// The common-English head and the generated tail.
fn vocabulary(args: &Args) -> Arc<Vec<String>> {
    let mut words: Vec<String> = VOCAB.split_whitespace().map(str::to_owned).collect();
    words.extend((0..args.tail_words).map(tail_word));
    Arc::new(words)
}

/// The query runs, as `caller`, on a pool configured as `docuvault` configures the one its
/// searches use.
async fn queries(args: &Args, url: &str, vocab: &Arc<Vec<String>>, caller: UserId) -> Result<()> {
    let reads = infra::page_read_pool(
        url.parse()?,
        args.connections
            .unwrap_or_else(infra::default_page_connections),
    );
    if !args.probe.is_empty() {
        // `sample:N`: the first N queries a query run's first client asks.
        let queries = match args.probe[0].strip_prefix("sample:") {
            Some(n) => {
                let mut rng = Lcg(1000);
                (0..n.parse::<usize>()?)
                    .map(|_| next_query(&mut rng, vocab).1)
                    .collect()
            }
            None => args.probe.clone(),
        };
        if args.tail {
            return probe_tail(&reads, caller, &queries).await;
        }
        return probe(&reads, caller, &queries).await;
    }
    for &clients in &args.clients {
        query_run(&reads, vocab, caller, clients, args.seconds, args.slowest).await?;
    }
    plan_report(&reads).await?;
    Ok(())
}

/// A query as typed: one or two Zipf-sampled words, the second maybe cut to 3 letters; and
/// which of these three shapes it has.
fn next_query(rng: &mut Lcg, vocab: &[String]) -> (u64, String) {
    let a = vocab[rng.zipf(vocab.len())].as_str();
    let b = vocab[rng.zipf(vocab.len())].as_str();
    let shape = rng.next() % 3;
    let q = match shape {
        0 => a.to_owned(),
        1 => format!("{a} {b}"),
        _ => format!("{a} {}", &b[..b.len().min(3)]),
    };
    (shape, q)
}

/// Each query of `probe` by each strategy: median milliseconds of 15 runs.
async fn probe(pool: &sqlx::PgPool, caller: UserId, probe: &[String]) -> Result<()> {
    use projections::search::Strategy;
    let (mut chosen, mut best) = (0.0, 0.0);
    for q in probe {
        let mut medians = Vec::new();
        let mut line = format!("{q:>24}:");
        for (name, strategy) in [
            ("chosen", None),
            ("index", Some(Strategy::Index)),
            ("walk", Some(Strategy::Walk)),
            ("word_then_prefix", Some(Strategy::WordThenPrefix)),
            ("whole", Some(Strategy::Whole)),
        ] {
            let mut times = Vec::new();
            for _ in 0..15 {
                let t = Instant::now();
                search(
                    pool,
                    &SearchQuery {
                        caller: Some(caller),
                        q: q.clone(),
                        limit: 20,
                        strategy,
                        ..SearchQuery::default()
                    },
                )
                .await?;
                times.push(t.elapsed());
            }
            times.sort();
            let ms = times[7].as_secs_f64() * 1000.0;
            medians.push(ms);
            line += &format!(" {name} {ms:.2}");
        }
        chosen += medians[0];
        best += medians[1..].iter().copied().fold(f64::INFINITY, f64::min);
        println!("{line}");
    }
    println!(
        "{} queries: chosen {chosen:.1} ms, best strategy each {best:.1} ms",
        probe.len()
    );
    Ok(())
}

/// For each query of `probe` with more matches than it ranks: its second page of 20 in the tail
/// (a cursor of the tail's own), the tail walked, through the indexes, and as estimated: median
/// milliseconds of 15 runs.
async fn probe_tail(pool: &sqlx::PgPool, caller: UserId, probe: &[String]) -> Result<()> {
    let query = |q: &str, cursor: Option<String>, tail_walks: Option<bool>| SearchQuery {
        caller: Some(caller),
        q: q.to_owned(),
        limit: 20,
        cursor,
        tail_walks,
        ..SearchQuery::default()
    };
    let mut sums = [0.0; 3];
    let mut measured = 0;
    for q in probe {
        // Paged to the tail's first page, then one further.
        let mut cursor = None;
        let mut in_tail = 0;
        while in_tail < 2 {
            let page = search(pool, &query(q, cursor.clone(), None)).await?;
            if page.items.iter().any(|h| !h.ranked) {
                in_tail += 1;
            }
            match page.next_cursor {
                Some(next) if in_tail < 2 => cursor = Some(next),
                _ => break,
            }
        }
        if in_tail < 2 {
            println!("{q:>24}: no second tail page");
            continue;
        }
        let mut line = format!("{q:>24}:");
        for (i, (name, tail_walks)) in [
            ("chosen", None),
            ("walked", Some(true)),
            ("indexes", Some(false)),
        ]
        .into_iter()
        .enumerate()
        {
            let mut times = Vec::new();
            for _ in 0..15 {
                let t = Instant::now();
                search(pool, &query(q, cursor.clone(), tail_walks)).await?;
                times.push(t.elapsed());
            }
            times.sort();
            let ms = times[7].as_secs_f64() * 1000.0;
            sums[i] += ms;
            line += &format!(" {name} {ms:.2}");
        }
        measured += 1;
        println!("{line}");
    }
    println!(
        "{measured} queries with a tail: chosen {:.1} ms, walked {:.1} ms, indexes {:.1} ms",
        sums[0], sums[1], sums[2]
    );
    Ok(())
}

/// How PostgreSQL planned the search statements (parse.sql and query.sql's) on the query pool's
/// connections: re-planned at every execution shows as custom plans.
async fn plan_report(pool: &sqlx::PgPool) -> Result<()> {
    let mut held = Vec::new();
    let (mut generic, mut custom) = (0i64, 0i64);
    for _ in 0..pool.size() {
        let mut conn = pool.acquire().await?;
        let (g, c): (Option<i64>, Option<i64>) = sqlx::query_as(
            "select sum(generic_plans)::int8, sum(custom_plans)::int8 \
             from pg_prepared_statements \
             where statement like '%websearch_to_tsquery%' or statement like '%candidates%'",
        )
        .fetch_one(&mut *conn)
        .await?;
        generic += g.unwrap_or(0);
        custom += c.unwrap_or(0);
        held.push(conn);
    }
    println!(
        "search statements on {} connections: {generic} generic, {custom} custom plans",
        held.len()
    );
    Ok(())
}

/// Queries: one or two Zipf-sampled words, the last as typed so far (prefix), as one owner, by
/// `clients` concurrent clients for `seconds`.
async fn query_run(
    pool: &sqlx::PgPool,
    vocab: &Arc<Vec<String>>,
    caller: UserId,
    clients: usize,
    seconds: u64,
    slowest: usize,
) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (pool, vocab) = (pool.clone(), vocab.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Lcg(1000 + c as u64);
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let (shape, q) = next_query(&mut rng, &vocab);
                let t = Instant::now();
                search(
                    &pool,
                    &SearchQuery {
                        caller: Some(caller),
                        q: q.clone(),
                        limit: 20,
                        ..SearchQuery::default()
                    },
                )
                .await?;
                latencies.push((t.elapsed(), shape, q));
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    all.sort();
    let pct = |p: f64| {
        all[((all.len() as f64 * p) as usize).min(all.len() - 1)]
            .0
            .as_secs_f64()
            * 1000.0
    };
    println!(
        "search: {} queries by {} clients in {} s: {:.0} queries/s, p50 {:.1} ms, p99 {:.1} ms",
        all.len(),
        clients,
        seconds,
        all.len() as f64 / seconds as f64,
        pct(0.50),
        pct(0.99)
    );
    if slowest > 0 {
        let total: f64 = all.iter().map(|(t, _, _)| t.as_secs_f64()).sum();
        for (shape, name) in ["one word", "two words", "word and prefix"]
            .iter()
            .enumerate()
        {
            let of: Vec<f64> = all
                .iter()
                .filter(|(_, s, _)| *s == shape as u64)
                .map(|(t, _, _)| t.as_secs_f64())
                .collect();
            println!(
                "  {name}: {} queries, {:.0}% of the time, mean {:.2} ms",
                of.len(),
                100.0 * of.iter().sum::<f64>() / total,
                1000.0 * of.iter().sum::<f64>() / of.len().max(1) as f64
            );
        }
        for (t, _, q) in all.iter().rev().take(slowest) {
            println!("  {:.1} ms {q:?}", t.as_secs_f64() * 1000.0);
        }
    }
    Ok(())
}
