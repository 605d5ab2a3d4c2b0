//! Document-processing use cases: the worker's reports and the owner's topic decisions. The
//! caller has checked that the actor owns the document (and may see every topic it sets).

use domain::ids::{DocumentId, UserId};
use domain::processing::{decide, DocumentProcessing, ProcessingCommand, ProcessingError};

use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::{execute, Executed};

/// Runs one processing command on a document of `owner` (whose key encrypts the explaining terms).
#[tracing::instrument(skip_all, fields(document_id = %document))]
pub async fn handle(
    ctx: &CommandContext,
    document: DocumentId,
    owner: UserId,
    command: ProcessingCommand,
) -> Result<Executed<DocumentProcessing, ()>, CommandError<ProcessingError>> {
    execute::<DocumentProcessing, (), ProcessingError, _>(
        ctx,
        document.as_uuid(),
        Some(owner.as_uuid()),
        |state| Ok((decide(state, command.clone())?, ())),
    )
    .await
}
