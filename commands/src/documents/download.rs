//! Downloads: authorised against the document's own stream (so a revoked share or a trashed
//! document is refused at once), audited with `DocumentDownloaded` on the document's reads
//! stream, served by a short-lived URL.

use domain::blob::{DownloadSpec, ObjectKey, PresignedRequest, Validity};
use domain::document::{decide, Document, READS_CATEGORY};
use domain::event::{ExpectedVersion, NewEvent, StreamId};
use domain::ids::{DocumentId, UserId};

use super::error::{infra, DocResult};
use super::{DocumentServices, Done};
use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::load;

/// A presigned download and the filename it is served under.
pub async fn download(
    ctx: &CommandContext,
    svc: &DocumentServices,
    caller: UserId,
    id: DocumentId,
) -> DocResult<Done<(PresignedRequest, String)>> {
    let doc = load::<Document>(ctx, id.as_uuid()).await?.state;
    let event = decide::download(&doc, caller).map_err(|e| CommandError::Domain(e.into()))?;
    let d = doc.data().expect("downloadable documents exist");
    // Appended whatever else happens on the document: reads never conflict with changes. The
    // metadata (address, user agent) is the downloader's, so it is under the downloader's key.
    let outcome = ctx
        .store
        .append(
            &StreamId::new(READS_CATEGORY, id),
            ExpectedVersion::Any,
            vec![NewEvent::from_domain(
                &event,
                ctx.metadata(true),
                Some(caller.as_uuid()),
                ctx.clock.now(),
            )],
        )
        .await?;
    let filename = d
        .filename
        .value()
        .cloned()
        .unwrap_or_else(|| "document".into());
    let url = svc
        .blobs
        .presign_get(
            &ObjectKey::document(d.owner, d.id),
            &DownloadSpec {
                filename: filename.clone(),
                content_type: d.content_type.clone(),
            },
            Validity::new(ctx.clock.now(), svc.settings.download_url_lifetime),
        )
        .await
        .map_err(infra)?;
    Ok(Done::new((url, filename), Some(outcome.last_position)))
}
