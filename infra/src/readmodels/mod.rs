//! PostgreSQL implementations of the read models' query ports. Each subject's port (the trait and
//! the rows it answers) lives beside the projection that writes its tables, in
//! `projections::<subject>::query`; its SQL lives here, one file per subject.

pub mod audit;
pub mod documents;
pub mod identity;
pub mod topics;
