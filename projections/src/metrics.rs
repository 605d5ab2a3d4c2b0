//! Prometheus metrics of the projectors (names are part of the operator contract).

use std::time::Duration;

/// Counter: events applied, labelled `projection`.
pub const EVENTS_APPLIED: &str = "docuvault_projection_events_applied_total";
/// Gauge: events in the log after the projection's checkpoint (approximate: head position minus
/// checkpoint position), labelled `projection`.
pub const LAG_EVENTS: &str = "docuvault_projection_lag_events";
/// Gauge: age in seconds of the oldest event not yet applied (0 when caught up).
pub const LAG_SECONDS: &str = "docuvault_projection_lag_seconds";
/// Histogram: seconds per applied batch (apply + checkpoint + commit).
pub const BATCH_SECONDS: &str = "docuvault_projection_batch_duration_seconds";
/// Gauge: 1 while this process leads the projection, else 0.
pub const LEADER: &str = "docuvault_projection_leader";
/// Gauge: 1 while the projection is halted by a failing handler.
pub const HALTED: &str = "docuvault_projection_halted";
/// Counter: rebuilds finished, labelled `projection` and `outcome` (`done` / `failed`).
pub const REBUILDS: &str = "docuvault_projection_rebuilds_total";

/// Records one committed batch.
pub(crate) fn batch_applied(projection: &str, events: usize, took: Duration) {
    let label = projection.to_owned();
    metrics::counter!(EVENTS_APPLIED, "projection" => label.clone()).increment(events as u64);
    metrics::histogram!(BATCH_SECONDS, "projection" => label).record(took.as_secs_f64());
}

/// Records the lag after a batch or an idle check.
pub(crate) fn lag(projection: &str, events: u64, seconds: f64) {
    let label = projection.to_owned();
    metrics::gauge!(LAG_EVENTS, "projection" => label.clone()).set(events as f64);
    metrics::gauge!(LAG_SECONDS, "projection" => label).set(seconds.max(0.0));
}

pub(crate) fn leading(projection: &str, yes: bool) {
    metrics::gauge!(LEADER, "projection" => projection.to_owned()).set(f64::from(u8::from(yes)));
}

pub(crate) fn halted(projection: &str, yes: bool) {
    metrics::gauge!(HALTED, "projection" => projection.to_owned()).set(f64::from(u8::from(yes)));
}

pub(crate) fn rebuild_finished(projection: &str, ok: bool) {
    metrics::counter!(
        REBUILDS,
        "projection" => projection.to_owned(),
        "outcome" => if ok { "done" } else { "failed" }
    )
    .increment(1);
}
