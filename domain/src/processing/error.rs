//! Why a processing command is refused.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessingError {
    /// A worker reports on a run that is no longer the current one (a reclassification started).
    #[error("run {got} is not the current run {current}")]
    StaleRun { got: u32, current: u32 },
    /// Classification reported before the run's text extraction.
    #[error("no text has been extracted in this run")]
    NotExtracted,
}
