//! The projector runtime and the read-model projections.
pub mod documents;
