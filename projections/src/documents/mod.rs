//! The documents subject's read side: documents, their shares, folders and quotas.
//!
//! - [`apply`]: the projection that writes the read tables (`DocumentsProjection`).
//! - [`query`]: the query port the API reads them through ([`DocumentReads`]) and the rows it
//!   answers; its PostgreSQL implementation is `infra::readmodels::documents`.

pub mod apply;
pub mod query;

pub use apply::{apply, ApplyError, DocumentsProjection, ERASED_NAME, NAME, TABLES, VERSION};
pub use query::{
    Cursor, CursorKey, DocRow, DocumentReads, FolderRow, Listing, ShareRow, Sort, SortKey,
    Visibility,
};
