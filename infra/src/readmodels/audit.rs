//! The audit read model and the event log, read for the audit explorer, export and replay.
