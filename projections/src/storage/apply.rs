//! The `storage` projection: each user's connected storage backends, with their (decrypted)
//! display names and hosts and which one is the default.

use async_trait::async_trait;
use domain::user::{User, UserEvent};
use domain::{Aggregate, RecordedEvent};
use sqlx::PgConnection;

use crate::projection::{Projection, ProjectionError};

pub struct StorageProjection;

#[async_trait]
impl Projection for StorageProjection {
    fn name(&self) -> &str {
        "storage"
    }

    fn version(&self) -> u32 {
        1
    }

    fn tables(&self) -> &[&str] {
        &["storage_backends"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError> {
        for e in events {
            if e.stream_id.category() != User::CATEGORY {
                continue;
            }
            let owner = e
                .stream_id
                .id()
                .ok_or_else(|| ProjectionError::handler(e, "user stream id is not a uuid"))?;
            let event: UserEvent = e.decode().map_err(|err| ProjectionError::decode(e, err))?;
            let position = e.global_position as i64;
            match event {
                UserEvent::StorageBackendConnected {
                    backend_id,
                    kind,
                    display_name,
                    endpoint_host,
                } => {
                    sqlx::query!(
                        "insert into storage_backends (id, owner_id, kind, display_name, \
                             endpoint_host, created_at, last_position) \
                         values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do nothing",
                        backend_id.as_uuid(),
                        owner,
                        kind.as_str(),
                        display_name.into_value(),
                        endpoint_host.into_value(),
                        e.recorded_at,
                        position
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                UserEvent::StorageBackendRenamed {
                    backend_id,
                    display_name,
                } => {
                    sqlx::query!(
                        "update storage_backends set display_name = $2, last_position = $3 \
                         where id = $1 and last_position < $3",
                        backend_id.as_uuid(),
                        display_name.into_value(),
                        position
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                UserEvent::DefaultStorageBackendChanged { backend_id } => {
                    sqlx::query!(
                        "update storage_backends set is_default = (id is not distinct from $2), \
                             last_position = $3 \
                         where owner_id = $1 and last_position < $3",
                        owner,
                        backend_id.map(|b| b.as_uuid()),
                        position
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                UserEvent::StorageBackendDisconnected { backend_id, .. } => {
                    sqlx::query!(
                        "delete from storage_backends where id = $1",
                        backend_id.as_uuid()
                    )
                    .execute(&mut *conn)
                    .await?;
                }
                UserEvent::UserErased { .. } => {
                    sqlx::query!("delete from storage_backends where owner_id = $1", owner)
                        .execute(&mut *conn)
                        .await?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}
