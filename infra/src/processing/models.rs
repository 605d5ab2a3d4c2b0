//! The built-in classifier's models in production: each user's naive Bayes model trained on the
//! documents whose topics they set by hand (`TopicsAccepted`/`TopicsOverridden`, as projected into
//! `document_processing`), with the text from the search read model. A model is rebuilt only when
//! the user's assignments changed since it was cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::classifier::ClassifyError;
use domain::ids::{DocumentId, TopicId, UserId};
use sqlx::PgPool;

use crate::classify::{ModelStore, NaiveBayes};

/// The newest assignments a model is trained on (older ones add little and cost time).
const MAX_EXAMPLES: i64 = 2_000;

/// What a cached model was built from: the number of hand-set documents and the newest change.
type Fingerprint = (i64, Option<DateTime<Utc>>);

#[derive(Clone)]
pub struct PgModelStore {
    pool: PgPool,
    cache: Arc<Mutex<HashMap<UserId, (Fingerprint, NaiveBayes)>>>,
}

impl PgModelStore {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            cache: Arc::default(),
        }
    }
}

fn unavailable(e: sqlx::Error) -> ClassifyError {
    ClassifyError::Unavailable(format!("model store: {e}"))
}

/// `sqlx::query!` on `$select`, the hand-set documents of one owner ($1), and `$tail`: one
/// literal, so it is compile-checked. Both tables are keyed by document; the owner filter is on
/// the search read model, which carries it.
macro_rules! hand_set {
    ($select:literal, $tail:literal $(, $arg:expr)*) => {
        sqlx::query!(
            $select
                + " from document_processing p \
                   join search_documents d on d.document_id = p.document_id \
                   where d.owner_id = $1 and p.topics_source in ('accepted', 'overridden')"
                + $tail
            $(, $arg)*
        )
    };
}

#[async_trait]
impl ModelStore for PgModelStore {
    async fn model(&self, owner: UserId) -> Result<NaiveBayes, ClassifyError> {
        let fingerprint: Fingerprint = hand_set!(
            "select count(*) as \"documents!\", max(p.updated_at) as newest",
            "",
            owner.as_uuid()
        )
        .fetch_one(&self.pool)
        .await
        .map(|r| (r.documents, r.newest))
        .map_err(unavailable)?;
        if let Some((fp, model)) = self.cache.lock().expect("model cache").get(&owner) {
            if *fp == fingerprint {
                return Ok(model.clone());
            }
        }
        let rows = hand_set!(
            "select p.document_id, d.filename, d.body, p.topic_ids",
            " order by p.updated_at desc limit $2",
            owner.as_uuid(),
            MAX_EXAMPLES
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let mut model = NaiveBayes::default();
        for row in rows {
            // The same text the classifier sees at prediction time: filename, then body.
            let text = format!(
                "{}\n{}",
                row.filename.unwrap_or_default(),
                row.body.unwrap_or_default()
            );
            let topics: Vec<TopicId> = row.topic_ids.into_iter().map(TopicId::from).collect();
            model.learn(DocumentId::from(row.document_id), &text, &topics);
        }
        self.cache
            .lock()
            .expect("model cache")
            .insert(owner, (fingerprint, model.clone()));
        Ok(model)
    }
}
