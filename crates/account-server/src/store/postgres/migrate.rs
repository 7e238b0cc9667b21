//! Embedded migrations, applied in order and recorded in `schema_migrations`, under a
//! session advisory lock so instances starting together migrate once: the second
//! waits for the first, then finds nothing left to do. The address skeletons that SQL
//! cannot compute are filled in under the same lock, after the migrations.

use account_model::Email;
use deadpool_postgres::{Object, Pool};

use super::pool_error;
use crate::store::{StoreError, StoreResult};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_init.sql"),
    include_str!("../../../migrations/postgres/0002_email_skeleton.sql"),
];

pub(super) async fn run(pool: &Pool, lock: i64) -> StoreResult<usize> {
    let client = pool.get().await.map_err(pool_error)?;
    let outcome = apply(&client, lock).await;
    if outcome.is_err() {
        // The session may still hold the lock or a failed transaction: close it rather
        // than hand it back to the pool.
        drop(Object::take(client));
    }
    outcome
}

async fn apply(client: &Object, lock: i64) -> StoreResult<usize> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&lock])
        .await?;
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (\
               version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await?;
    let current: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    let known = MIGRATIONS.len() as i32;
    if current > known {
        return Err(StoreError::Migration(format!(
            "the database is at schema version {current}, newer than this build ({known}): \
             run a newer account-server"
        )));
    }
    let mut applied = 0;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i32 + 1;
        let script = format!(
            "BEGIN; {sql}\nINSERT INTO schema_migrations (version) VALUES ({version}); COMMIT;"
        );
        if let Err(e) = client.batch_execute(&script).await {
            return Err(StoreError::Migration(format!(
                "migration {version}: {}",
                crate::store::postgres_message(&e)
            )));
        }
        applied += 1;
    }
    fill_email_skeletons(client).await?;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&lock])
        .await?;
    Ok(applied)
}

/// Fills in `users.email_skeleton` where it is missing, or everywhere when
/// `email_skeleton_data` names other skeleton data than this build's (migration 0002,
/// and the store's module doc). Runs under the migration lock, so one instance does it.
async fn fill_email_skeletons(client: &Object) -> StoreResult<()> {
    let data = Email::skeleton_data();
    let stored: Option<String> = client
        .query_opt("SELECT version FROM email_skeleton_data", &[])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    let missing = client
        .query_opt(
            "SELECT 1 FROM users WHERE email_skeleton IS NULL LIMIT 1",
            &[],
        )
        .await?;
    if stored.as_deref() == Some(data.as_str()) && missing.is_none() {
        return Ok(());
    }
    // On failure the caller closes the connection, and the transaction with it.
    client.batch_execute("BEGIN").await?;
    if stored.as_deref() != Some(data.as_str()) {
        // All at once first, so that a recomputed skeleton never meets a stale one.
        client
            .batch_execute(
                "UPDATE users SET email_skeleton = NULL; DELETE FROM email_skeleton_data;",
            )
            .await?;
        client
            .execute(
                "INSERT INTO email_skeleton_data (version) VALUES ($1)",
                &[&data],
            )
            .await?;
    }
    let rows = client
        .query(
            "SELECT id, email FROM users WHERE email_skeleton IS NULL ORDER BY id FOR UPDATE",
            &[],
        )
        .await?;
    for row in rows {
        let (id, email): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        let skeleton = Email::from_stored(&email)
            .map_err(|e| StoreError::Corrupt(format!("users.email: {e}")))?
            .skeleton();
        let holder = client
            .query_opt(
                "SELECT id FROM users WHERE email_skeleton = $1",
                &[&skeleton],
            )
            .await?;
        if let Some(holder) = holder {
            return Err(crate::store::look_alike_accounts(holder.try_get(0)?, id));
        }
        client
            .execute(
                "UPDATE users SET email_skeleton = $2 WHERE id = $1",
                &[&id, &skeleton],
            )
            .await?;
    }
    client.batch_execute("COMMIT").await?;
    Ok(())
}
