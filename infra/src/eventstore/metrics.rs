//! Prometheus metrics of the PostgreSQL event store (names are part of the operator contract).

use std::time::Duration;

/// Counter: events appended, labelled `category` (the stream category: `user`, `document`, …).
pub const EVENTS_APPENDED: &str = "docuvault_events_appended_total";
/// Histogram: seconds per successful append (encryption, statement, commit), labelled
/// `category`.
pub const APPEND_SECONDS: &str = "docuvault_event_append_duration_seconds";

/// Records one successful append of `events` events.
pub(super) fn appended(category: &str, events: usize, took: Duration) {
    let category = category.to_owned();
    metrics::counter!(EVENTS_APPENDED, "category" => category.clone()).increment(events as u64);
    metrics::histogram!(APPEND_SECONDS, "category" => category).record(took.as_secs_f64());
}
