//! Sessions (only a SHA-256 of each bearer token is stored) and wrong-password counters.

use account_model::dto::StreamEvent;

use super::Client;
use crate::store::decode::{self, SESSION_COLUMNS, USER_COLUMNS};
use crate::store::{
    NewEvent, NewSession, PendingChanges, SessionRecord, StoreResult, Throttle, UserRecord,
};

pub(super) async fn insert(c: &Client, s: &NewSession<'_>, now: i64) -> StoreResult<()> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO sessions (id, user_id, token_hash, device_name, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .await?;
    c.execute(
        &stmt,
        &[&s.id, &s.user_id, &s.token_hash, &s.device_name, &now],
    )
    .await?;
    Ok(())
}

pub(super) async fn by_token(
    c: &Client,
    token_hash: &[u8],
    idle_cutoff: i64,
) -> StoreResult<Option<(SessionRecord, UserRecord)>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN organizations o ON o.id = u.organization_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.last_seen_at >= $2"
        ))
        .await?;
    match c.query_opt(&stmt, &[&token_hash, &idle_cutoff]).await? {
        Some(row) => Ok(Some((decode::session(&row)?, decode::user(&row, 5)?))),
        None => Ok(None),
    }
}

/// Built once: the hottest statement there is.
static ACCOUNT_BY_TOKEN: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| decode::account_by_token_sql("$1", "$2"));

pub(super) async fn account_by_token(
    c: &Client,
    token_hash: &[u8],
    idle_cutoff: i64,
) -> StoreResult<Option<(SessionRecord, UserRecord, PendingChanges)>> {
    let stmt = c.prepare_cached(&ACCOUNT_BY_TOKEN).await?;
    let mut account = decode::AccountRows::default();
    for row in c.query(&stmt, &[&token_hash, &idle_cutoff]).await? {
        account.add(&row)?;
    }
    Ok(account.finish())
}

pub(super) async fn touch(c: &Client, id: &str, now: i64) -> StoreResult<()> {
    let stmt = c
        .prepare_cached("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2")
        .await?;
    c.execute(&stmt, &[&id, &now]).await?;
    Ok(())
}

pub(super) async fn live(
    c: &Client,
    user_id: i64,
    idle_cutoff: i64,
) -> StoreResult<Vec<SessionRecord>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s \
             WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.last_seen_at >= $2 \
             ORDER BY s.last_seen_at DESC, s.id"
        ))
        .await?;
    c.query(&stmt, &[&user_id, &idle_cutoff])
        .await?
        .iter()
        .map(decode::session)
        .collect()
}

pub(super) async fn is_live(c: &Client, id: &str, idle_cutoff: i64) -> StoreResult<bool> {
    let stmt = c
        .prepare_cached(
            "SELECT 1 FROM sessions WHERE id = $1 AND revoked_at IS NULL AND last_seen_at >= $2",
        )
        .await?;
    Ok(c.query_opt(&stmt, &[&id, &idle_cutoff]).await?.is_some())
}

async fn announce_revoked(c: &Client, user_id: i64, session_id: &str, now: i64) -> StoreResult<()> {
    let stmt = c
        .prepare_cached("SELECT organization_id FROM users WHERE id = $1")
        .await?;
    let organization_id: i64 = c.query_one(&stmt, &[&user_id]).await?.try_get(0)?;
    super::feed::insert(
        c,
        &NewEvent {
            organization_id,
            user_id: Some(user_id),
            session_id: Some(session_id),
            event: &StreamEvent::SessionRevoked,
        },
        now,
    )
    .await?;
    Ok(())
}

pub(super) async fn revoke(c: &Client, user_id: i64, id: &str, now: i64) -> StoreResult<bool> {
    let stmt = c
        .prepare_cached(
            "UPDATE sessions SET revoked_at = $3 \
             WHERE user_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .await?;
    let revoked = c.execute(&stmt, &[&user_id, &id, &now]).await? == 1;
    if revoked {
        announce_revoked(c, user_id, id, now).await?;
    }
    Ok(revoked)
}

pub(super) async fn revoke_others(
    c: &Client,
    user_id: i64,
    keep: &str,
    now: i64,
) -> StoreResult<u64> {
    let stmt = c
        .prepare_cached(
            "UPDATE sessions SET revoked_at = $3 \
             WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id",
        )
        .await?;
    let rows = c.query(&stmt, &[&user_id, &keep, &now]).await?;
    for row in &rows {
        let id: &str = row.try_get(0)?;
        announce_revoked(c, user_id, id, now).await?;
    }
    Ok(rows.len() as u64)
}

/// Creates the counter's row when missing and locks it: two instances checking the
/// same email queue here, so no more guesses are checked than the limit allows.
pub(super) async fn lock_throttle(c: &Client, key: &str) -> StoreResult<Throttle> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO auth_throttle (key, failures, locked_until, updated_at) \
             VALUES ($1, 0, NULL, 0) \
             ON CONFLICT (key) DO UPDATE SET key = excluded.key \
             RETURNING failures, locked_until, updated_at",
        )
        .await?;
    let row = c.query_one(&stmt, &[&key]).await?;
    Ok(Throttle {
        failures: row.try_get(0)?,
        locked_until: row.try_get(1)?,
        updated_at: row.try_get(2)?,
    })
}

pub(super) async fn put_throttle(
    c: &Client,
    key: &str,
    state: Throttle,
    now: i64,
) -> StoreResult<()> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO auth_throttle (key, failures, locked_until, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
             locked_until = excluded.locked_until, updated_at = excluded.updated_at",
        )
        .await?;
    c.execute(&stmt, &[&key, &state.failures, &state.locked_until, &now])
        .await?;
    Ok(())
}

pub(super) async fn clear_throttle(c: &Client, key: &str) -> StoreResult<()> {
    let stmt = c
        .prepare_cached("DELETE FROM auth_throttle WHERE key = $1")
        .await?;
    c.execute(&stmt, &[&key]).await?;
    Ok(())
}
