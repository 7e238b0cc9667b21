//! Embedded migrations, applied in order and recorded in `schema_migrations`, under a
//! session advisory lock so instances starting together migrate once: the second
//! waits for the first, then finds nothing left to do.

use deadpool_postgres::{Object, Pool};

use super::pool_error;
use crate::store::{StoreError, StoreResult};

const MIGRATIONS: &[&str] = &[include_str!("../../../migrations/postgres/0001_init.sql")];

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
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&lock])
        .await?;
    Ok(applied)
}
