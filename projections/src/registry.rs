//! Every projection DocuVault runs: what `docuvault serve`/`projector` lead, what
//! `docuvault rebuild NAME` looks up, and what the consistency waiter waits for.

use std::sync::Arc;

use crate::projection::Projection;
use crate::stream_stats::StreamStats;

/// All projections, in a stable order. Add new read models here.
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![Arc::new(StreamStats)]
}

/// The projection called `name`, if there is one.
pub fn by_name(name: &str) -> Option<Arc<dyn Projection>> {
    all().into_iter().find(|p| p.name() == name)
}

/// The names of all projections (e.g. for [`crate::ConsistencyWaiter::new`]).
pub fn names() -> Vec<String> {
    all().iter().map(|p| p.name().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projection::validate_name;

    #[test]
    fn names_are_valid_and_unique() {
        let names = names();
        for n in &names {
            validate_name(n).unwrap();
            assert!(by_name(n).is_some());
        }
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), names.len());
        assert!(by_name("no_such_projection").is_none());
    }
}
