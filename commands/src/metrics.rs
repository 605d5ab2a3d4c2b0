//! Prometheus metrics of command execution (names are part of the operator contract).

use std::time::Duration;

use crate::error::CommandError;

/// Counter: commands executed, labelled `aggregate` and `outcome` (`ok`, `rejected`,
/// `conflict`, `not_found`, `forbidden`, `error`).
pub const COMMANDS: &str = "docuvault_commands_total";
/// Histogram: seconds per command (load, decide, append, retries), labelled `aggregate`.
pub const COMMAND_SECONDS: &str = "docuvault_command_duration_seconds";

/// Records one executed command.
pub(crate) fn command_executed<E>(
    aggregate: &str,
    error: Option<&CommandError<E>>,
    took: Duration,
) {
    let outcome = match error {
        None => "ok",
        Some(CommandError::Domain(_)) => "rejected",
        Some(CommandError::Conflict) => "conflict",
        Some(CommandError::NotFound) => "not_found",
        Some(CommandError::Forbidden) => "forbidden",
        Some(CommandError::Infra(_)) => "error",
    };
    let aggregate = aggregate.to_owned();
    metrics::counter!(COMMANDS, "aggregate" => aggregate.clone(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!(COMMAND_SECONDS, "aggregate" => aggregate).record(took.as_secs_f64());
}
