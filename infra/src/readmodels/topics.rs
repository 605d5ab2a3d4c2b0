//! The topics read model, read for the topic API.
