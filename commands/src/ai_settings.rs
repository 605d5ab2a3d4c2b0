//! Classifier settings use cases: the admin's system default and a user's own override. The
//! caller has checked who may change which subject; the API key is encrypted with the subject's
//! data key (the system subject's for the default).

use domain::ai_settings::{decide, ClassifierSettings, SettingsCommand, SettingsError};
use domain::topic::SYSTEM_DATA_SUBJECT;
use uuid::Uuid;

use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::{execute, load, Executed};

/// The stream subject of the system default.
pub const SYSTEM: Uuid = SYSTEM_DATA_SUBJECT;

pub async fn handle(
    ctx: &CommandContext,
    subject: Uuid,
    command: SettingsCommand,
) -> Result<Executed<ClassifierSettings, ()>, CommandError<SettingsError>> {
    execute::<ClassifierSettings, (), SettingsError, _>(ctx, subject, Some(subject), |state| {
        Ok((decide(state, command.clone())?, ()))
    })
    .await
}

/// The settings of `subject` (decrypted).
pub async fn current(
    ctx: &CommandContext,
    subject: Uuid,
) -> Result<ClassifierSettings, CommandError<SettingsError>> {
    Ok(load::<ClassifierSettings>(ctx, subject).await?.state)
}
