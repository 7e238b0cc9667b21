//! Pending email/phone changes, the codes that confirm them, and the sends counted
//! for the caps.

use account_model::ChangeKind;

use super::Client;
use crate::store::decode::{self, PENDING_COLUMNS};
use crate::store::{NewPendingChange, PendingChange, StoreResult};

pub(super) async fn pending(c: &Client, user_id: i64) -> StoreResult<Vec<PendingChange>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {PENDING_COLUMNS} FROM verifications WHERE user_id = $1"
        ))
        .await?;
    c.query(&stmt, &[&user_id])
        .await?
        .iter()
        .map(decode::pending)
        .collect()
}

pub(super) async fn put(c: &Client, p: &NewPendingChange<'_>) -> StoreResult<()> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO verifications (user_id, purpose, target, code_hash, created_at, expires_at, last_sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $5) \
             ON CONFLICT (user_id, purpose) DO UPDATE SET target = excluded.target, \
             code_hash = excluded.code_hash, created_at = excluded.created_at, \
             expires_at = excluded.expires_at, last_sent_at = excluded.last_sent_at, failed_attempts = 0",
        )
        .await?;
    c.execute(
        &stmt,
        &[
            &p.user_id,
            &p.kind.as_str(),
            &p.target,
            &p.code_hash,
            &p.now,
            &p.expires_at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn add_failure(c: &Client, user_id: i64, kind: ChangeKind) -> StoreResult<i64> {
    let stmt = c
        .prepare_cached(
            "UPDATE verifications SET failed_attempts = failed_attempts + 1 \
             WHERE user_id = $1 AND purpose = $2 RETURNING failed_attempts",
        )
        .await?;
    Ok(c.query_one(&stmt, &[&user_id, &kind.as_str()])
        .await?
        .try_get(0)?)
}

pub(super) async fn delete(c: &Client, user_id: i64, kind: ChangeKind) -> StoreResult<bool> {
    let stmt = c
        .prepare_cached("DELETE FROM verifications WHERE user_id = $1 AND purpose = $2")
        .await?;
    Ok(c.execute(&stmt, &[&user_id, &kind.as_str()]).await? == 1)
}

pub(super) async fn record_send(
    c: &Client,
    user_id: i64,
    kind: ChangeKind,
    now: i64,
) -> StoreResult<()> {
    let stmt = c
        .prepare_cached("INSERT INTO code_sends (user_id, channel, sent_at) VALUES ($1, $2, $3)")
        .await?;
    c.execute(&stmt, &[&user_id, &kind.channel().as_str(), &now])
        .await?;
    Ok(())
}

pub(super) async fn sends_since(
    c: &Client,
    user_id: i64,
    kind: ChangeKind,
    since: i64,
) -> StoreResult<(i64, Option<i64>)> {
    let stmt = c
        .prepare_cached(
            "SELECT count(*), min(sent_at) FROM code_sends \
             WHERE user_id = $1 AND channel = $2 AND sent_at > $3",
        )
        .await?;
    let row = c
        .query_one(&stmt, &[&user_id, &kind.channel().as_str(), &since])
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}
