//! Topic use cases: create, rename, change keywords, delete (users their own, admins the system's).

use domain::ids::TopicId;
use domain::topic::{decide, Topic, TopicCommand, TopicEditor, TopicError, SYSTEM_DATA_SUBJECT};

use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::{execute, load, Executed};

/// Runs one topic command. Names and keywords are encrypted with the owner's data key (the
/// system subject's for system topics), so the key is chosen from the topic's current owner.
#[tracing::instrument(skip_all, fields(topic_id = %id))]
pub async fn handle(
    ctx: &CommandContext,
    id: TopicId,
    editor: TopicEditor,
    command: TopicCommand,
) -> Result<Executed<Topic, ()>, CommandError<TopicError>> {
    let owner = match &command {
        TopicCommand::Create { .. } => match editor {
            TopicEditor::User(u) => Some(u),
            TopicEditor::Admin(_) => None,
        },
        _ => load::<Topic>(ctx, id.as_uuid()).await?.state.owner,
    };
    let data_key = owner.map(|o| o.as_uuid()).unwrap_or(SYSTEM_DATA_SUBJECT);
    execute::<Topic, (), TopicError, _>(ctx, id.as_uuid(), Some(data_key), |state| {
        Ok((decide(state, editor, command.clone())?, ()))
    })
    .await
    .map_err(|e| match e {
        CommandError::Domain(TopicError::NotFound) => CommandError::NotFound,
        other => other,
    })
}
