//! The built-in classifier learns and explains; the remote clients are contract-tested against
//! local servers that speak each API's documented format and record what they receive.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use domain::classifier::{Classifier, ClassifyError, ClassifyRequest, TopicCandidate};
use domain::ids::{DocumentId, TopicId, UserId};
use serde_json::{json, Value};

use super::*;

fn topic(name: &str, keywords: &[&str]) -> TopicCandidate {
    TopicCandidate {
        id: TopicId::new(),
        name: name.to_owned(),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
    }
}

fn request(
    owner: UserId,
    topics: &[TopicCandidate],
    filename: &str,
    text: &str,
) -> ClassifyRequest {
    ClassifyRequest {
        owner,
        document_id: DocumentId::new(),
        filename: filename.to_owned(),
        text: text.to_owned(),
        topics: topics.to_vec(),
    }
}

const HEALTH: &[&str] = &[
    "Blood test results from the clinic: cholesterol and glucose within range, doctor appointment",
    "Prescription from doctor for antibiotics, pharmacy receipt, patient record",
    "Dental clinic appointment reminder, patient check-up and x-ray of teeth",
    "Vaccination certificate from the clinic, doctor signature, patient name",
];
const FINANCE: &[&str] = &[
    "Bank statement for checking account, balance, transfers and interest",
    "Invoice for consulting services, amount due, payment to bank account, VAT",
    "Tax return summary, income, deductions, refund from the tax office",
    "Credit card statement, payment due, interest rate and balance transfer",
];
const TRAVEL: &[&str] = &[
    "Flight booking confirmation, boarding pass, departure gate and airline seat",
    "Hotel reservation for three nights, check-in, room and breakfast, travel itinerary",
    "Train tickets and travel itinerary, departure platform, seat reservation",
    "Car rental voucher at the airport, pick-up, return and insurance for the trip",
];

fn trained() -> (InMemoryModels, UserId, [TopicCandidate; 3]) {
    let models = InMemoryModels::default();
    let owner = UserId::new();
    let topics = [
        topic("Health", &[]),
        topic("Finance", &[]),
        topic("Travel", &[]),
    ];
    for (t, docs) in topics.iter().zip([HEALTH, FINANCE, TRAVEL]) {
        for d in docs {
            models.learn(owner, DocumentId::new(), d, &[t.id]);
        }
    }
    (models, owner, topics)
}

#[tokio::test]
async fn builtin_learns_assignments_and_predicts_them_back() {
    let (models, owner, topics) = trained();
    let builtin = BuiltinClassifier::new(Arc::new(models));
    let cases = [
        (
            "Your doctor appointment at the clinic: bring the patient card",
            0,
        ),
        (
            "Monthly bank statement: interest credited to your account balance",
            1,
        ),
        (
            "Boarding pass: departure from gate B12, seat 14C, airline lounge",
            2,
        ),
    ];
    for (text, expected) in cases {
        let answer = builtin
            .classify(&request(owner, &topics, "scan.pdf", text))
            .await
            .unwrap();
        let best = &answer.scores[0];
        assert_eq!(best.topic_id, topics[expected].id, "{text}: {answer:?}");
        assert!(best.confidence >= 0.5, "{text}: {answer:?}");
        assert!(!best.terms.is_empty(), "explains itself");
        for other in &answer.scores[1..] {
            assert!(other.confidence < 0.5, "{text}: {answer:?}");
        }
    }
    let answer = builtin
        .classify(&request(
            owner,
            &topics,
            "x",
            "Boarding pass and departure gate",
        ))
        .await
        .unwrap();
    assert!(
        answer.scores[0].terms.contains(&"boarding".to_string()),
        "{answer:?}"
    );
}

#[tokio::test]
async fn builtin_model_updates_incrementally_and_is_per_user() {
    let (models, owner, topics) = trained();
    let doc = DocumentId::new();
    let hobby = topic("Gardening", &[]);
    let mut all = topics.to_vec();
    all.push(hobby.clone());
    models.learn(
        owner,
        doc,
        "tomato seedlings compost raised bed",
        &[hobby.id],
    );
    let builtin = BuiltinClassifier::new(Arc::new(models.clone()));
    let text = "Compost for the raised bed and tomato seedlings";
    let answer = builtin
        .classify(&request(owner, &all, "", text))
        .await
        .unwrap();
    assert_eq!(answer.scores[0].topic_id, hobby.id);

    models.forget(owner, doc);
    let answer = builtin
        .classify(&request(owner, &all, "", text))
        .await
        .unwrap();
    assert!(
        answer.scores.iter().all(|s| s.topic_id != hobby.id),
        "forgotten"
    );

    // Another user's model knows nothing of the first user's assignments.
    let stranger = builtin
        .classify(&request(UserId::new(), &all, "", HEALTH[0]))
        .await
        .unwrap();
    assert!(stranger.scores.is_empty(), "{stranger:?}");
}

#[test]
fn relabelling_moves_a_document_between_topics() {
    let (a, b) = (TopicId::new(), TopicId::new());
    let mut m = NaiveBayes::default();
    let doc = DocumentId::new();
    m.learn(doc, "quarterly rent payment landlord", &[a]);
    m.learn(DocumentId::new(), "holiday photos beach", &[b]);
    assert!(m.relabel(doc, &[b]));
    let scores = m.predict("rent for the landlord", &[a, b]);
    assert_eq!(scores.len(), 1, "topic a has no examples left: {scores:?}");
    assert_eq!(scores[0].topic_id, b);
    assert!(!m.relabel(DocumentId::new(), &[a]));
    let json = serde_json::to_string(&m).unwrap();
    assert_eq!(serde_json::from_str::<NaiveBayes>(&json).unwrap(), m);
}

#[tokio::test]
async fn keyword_rules_assign_their_topic_and_explain() {
    let builtin = BuiltinClassifier::new(Arc::new(InMemoryModels::default()));
    let topics = [
        topic("Taxes", &["tax return", "finanzamt"]),
        topic("Car", &["vehicle"]),
    ];
    let answer = builtin
        .classify(&request(
            UserId::new(),
            &topics,
            "letter.pdf",
            "Your Tax-Return for 2025 was received by the Finanzamt.",
        ))
        .await
        .unwrap();
    assert_eq!(answer.scores.len(), 1, "{answer:?}");
    assert_eq!(answer.scores[0].topic_id, topics[0].id);
    assert_eq!(answer.scores[0].confidence, 1.0);
    assert_eq!(answer.scores[0].terms, ["tax return", "finanzamt"]);
    // "returns" is not the keyword's word "return": whole words only.
    let none = builtin
        .classify(&request(
            UserId::new(),
            &topics,
            "",
            "tax returns of the vehicles",
        ))
        .await
        .unwrap();
    assert!(none.scores.is_empty(), "{none:?}");
}

/// What a fake provider received, and what it answers.
#[derive(Clone, Default)]
struct Recorder {
    bodies: Arc<Mutex<Vec<Value>>>,
    auth: Arc<Mutex<Vec<Option<String>>>>,
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// An OpenAI-style `/v1/chat/completions` endpoint answering `content`.
async fn openai_server(rec: Recorder, content: String, status: StatusCode) -> String {
    let handler =
        move |State(rec): State<Recorder>, headers: HeaderMap, Json(body): Json<Value>| {
            let content = content.clone();
            async move {
                rec.bodies.lock().unwrap().push(body);
                rec.auth.lock().unwrap().push(
                    headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_owned()),
                );
                let reply = json!({
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 1_700_000_000,
                    "model": "test-model-2025",
                    "choices": [{
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop"
                    }],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
                });
                (status, Json(reply))
            }
        };
    serve(
        Router::new()
            .route("/v1/chat/completions", post(handler))
            .with_state(rec),
    )
    .await
}

fn openai(base: &str, key: Option<&str>, timeout: Duration) -> OpenAiClassifier {
    OpenAiClassifier::new(OpenAiConfig {
        base_url: format!("{base}/v1"),
        model: "test-model".into(),
        api_key: key.map(|k| k.to_string().into()),
        timeout,
        max_chars: 100,
    })
    .unwrap()
}

#[tokio::test]
async fn openai_compatible_contract() {
    let rec = Recorder::default();
    let reply = "```json\n{\"topics\": [{\"name\": \"finance\", \"confidence\": 0.92}, \
                 {\"name\": \"Unknown topic\", \"confidence\": 0.99}], \"terms\": [\"invoice\"]}\n```";
    let base = openai_server(rec.clone(), reply.into(), StatusCode::OK).await;
    let topics = [topic("Health", &[]), topic("Finance", &[])];
    let owner = UserId::new();
    let text = format!("Invoice 4711. {}", "x".repeat(500));
    let answer = openai(&base, Some("sk-test"), Duration::from_secs(5))
        .classify(&request(owner, &topics, "bill.pdf", &text))
        .await
        .unwrap();
    assert_eq!(answer.provider, "openai");
    assert_eq!(answer.model.as_deref(), Some("test-model-2025"));
    assert_eq!(
        answer.scores.len(),
        1,
        "unknown topics are dropped: {answer:?}"
    );
    assert_eq!(answer.scores[0].topic_id, topics[1].id);
    assert!((answer.scores[0].confidence - 0.92).abs() < 1e-6);
    assert_eq!(answer.scores[0].terms, ["invoice"]);

    let body = rec.bodies.lock().unwrap()[0].clone();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], false);
    assert_eq!(body["temperature"], 0.0);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(messages[1]["role"], "user");
    let user = messages[1]["content"].as_str().unwrap();
    assert!(user.contains("- Health\n- Finance\n"), "{user}");
    assert!(user.contains("Filename: bill.pdf"), "{user}");
    assert!(user.contains("Invoice 4711."), "{user}");
    assert!(
        !user.contains(&"x".repeat(100)),
        "the text is cut at max_chars"
    );
    assert_eq!(
        rec.auth.lock().unwrap()[0].as_deref(),
        Some("Bearer sk-test")
    );
}

#[tokio::test]
async fn ollama_native_contract() {
    let rec = Recorder::default();
    let handler = |State(rec): State<Recorder>, Json(body): Json<Value>| async move {
        rec.bodies.lock().unwrap().push(body);
        Json(json!({
            "model": "llama3.2",
            "created_at": "2026-11-28T05:00:00Z",
            "message": {"role": "assistant", "content": "{\"topics\": [\"Travel\"], \"terms\": [\"flight\"]}"},
            "done": true,
            "done_reason": "stop",
            "total_duration": 1000
        }))
    };
    let base = serve(
        Router::new()
            .route("/api/chat", post(handler))
            .with_state(rec.clone()),
    )
    .await;
    let topics = [topic("Travel", &[]), topic("Health", &[])];
    let client = OllamaClassifier::new(OllamaConfig {
        base_url: base,
        model: "llama3.2".into(),
        timeout: Duration::from_secs(5),
        max_chars: 1000,
    })
    .unwrap();
    let answer = client
        .classify(&request(
            UserId::new(),
            &topics,
            "trip.eml",
            "Your flight to Lisbon",
        ))
        .await
        .unwrap();
    assert_eq!(answer.provider, "ollama");
    assert_eq!(answer.scores.len(), 1);
    assert_eq!(answer.scores[0].topic_id, topics[0].id);

    let body = rec.bodies.lock().unwrap()[0].clone();
    assert_eq!(body["model"], "llama3.2");
    assert_eq!(body["stream"], false);
    assert_eq!(body["format"], "json");
    assert_eq!(body["options"]["temperature"], 0.0);
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("Your flight to Lisbon"));
}

#[tokio::test]
async fn provider_errors_are_reported_not_swallowed() {
    let topics = [topic("Travel", &[])];
    let req = request(UserId::new(), &topics, "", "text");

    let base = openai_server(
        Recorder::default(),
        "{}".into(),
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .await;
    let err = openai(&base, None, Duration::from_secs(5))
        .classify(&req)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClassifyError::Unavailable(ref m) if m.contains("500")),
        "{err:?}"
    );

    let base = openai_server(
        Recorder::default(),
        "I think it is travel.".into(),
        StatusCode::OK,
    )
    .await;
    let err = openai(&base, None, Duration::from_secs(5))
        .classify(&req)
        .await
        .unwrap_err();
    assert!(matches!(err, ClassifyError::BadResponse(_)), "{err:?}");

    // Nothing listens on a port we just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = openai(
        &format!("http://127.0.0.1:{port}"),
        None,
        Duration::from_secs(5),
    )
    .classify(&req)
    .await
    .unwrap_err();
    assert!(matches!(err, ClassifyError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn failures_and_timeouts_fall_back_to_the_builtin_classifier() {
    let (models, owner, topics) = trained();
    let builtin: Arc<dyn Classifier> = Arc::new(BuiltinClassifier::new(Arc::new(models)));
    let req = request(
        owner,
        &topics,
        "",
        "Boarding pass, departure gate, airline seat",
    );

    let base = openai_server(
        Recorder::default(),
        "{}".into(),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    let failing = WithFallback::new(
        Arc::new(openai(&base, None, Duration::from_secs(5))),
        builtin.clone(),
        Duration::from_secs(10),
    );
    let answer = failing.classify(&req).await.unwrap();
    assert!(answer.fell_back);
    assert_eq!(answer.provider, "builtin");
    assert_eq!(answer.scores[0].topic_id, topics[2].id);

    // A provider that never answers in time.
    let slow = |Json(_): Json<Value>| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Json(json!({}))
    };
    let base = serve(Router::new().route("/v1/chat/completions", post(slow))).await;
    let started = std::time::Instant::now();
    let answer = WithFallback::new(
        Arc::new(openai(&base, None, Duration::from_millis(300))),
        builtin.clone(),
        Duration::from_secs(10),
    )
    .classify(&req)
    .await
    .unwrap();
    assert!(answer.fell_back);
    assert!(started.elapsed() < Duration::from_secs(5));

    // The settings-driven factory wires the same fallback.
    let settings: ProviderSettings = serde_json::from_value(json!({
        "provider": "ollama", "base_url": base, "model": "m", "timeout": 1
    }))
    .unwrap();
    let answer = build(&settings, builtin)
        .unwrap()
        .classify(&req)
        .await
        .unwrap();
    assert!(answer.fell_back);
}
