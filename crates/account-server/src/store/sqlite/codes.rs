//! Pending email/phone changes, the codes that confirm them, and the sends counted
//! for the caps.

use account_model::ChangeKind;
use rusqlite::{Connection, params};

use crate::store::decode::{self, PENDING_COLUMNS};
use crate::store::{NewPendingChange, PendingChange, StoreResult};

/// The user's pending changes (at most one per kind).
pub(super) fn pending(conn: &Connection, user_id: i64) -> StoreResult<Vec<PendingChange>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PENDING_COLUMNS} FROM verifications WHERE user_id = ?1"
    ))?;
    let rows = stmt.query_map([user_id], |r| Ok(decode::pending(r)))?;
    rows.map(|r| r?).collect()
}

pub(super) fn put(conn: &Connection, c: &NewPendingChange<'_>) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO verifications (user_id, purpose, target, code_hash, created_at, expires_at, last_sent_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5) \
         ON CONFLICT (user_id, purpose) DO UPDATE SET target = excluded.target, \
         code_hash = excluded.code_hash, created_at = excluded.created_at, \
         expires_at = excluded.expires_at, last_sent_at = excluded.last_sent_at, failed_attempts = 0",
    )?
    .execute(params![
        c.user_id,
        c.kind.as_str(),
        c.target,
        c.code_hash,
        c.now,
        c.expires_at
    ])?;
    Ok(())
}

pub(super) fn add_failure(conn: &Connection, user_id: i64, kind: ChangeKind) -> StoreResult<i64> {
    Ok(conn
        .prepare_cached(
            "UPDATE verifications SET failed_attempts = failed_attempts + 1 \
             WHERE user_id = ?1 AND purpose = ?2 RETURNING failed_attempts",
        )?
        .query_row(params![user_id, kind.as_str()], |r| r.get(0))?)
}

pub(super) fn delete(conn: &Connection, user_id: i64, kind: ChangeKind) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM verifications WHERE user_id = ?1 AND purpose = ?2")?
        .execute(params![user_id, kind.as_str()])?
        == 1)
}

pub(super) fn record_send(
    conn: &Connection,
    user_id: i64,
    kind: ChangeKind,
    now: i64,
) -> StoreResult<()> {
    conn.prepare_cached("INSERT INTO code_sends (user_id, channel, sent_at) VALUES (?1, ?2, ?3)")?
        .execute(params![user_id, kind.channel().as_str(), now])?;
    Ok(())
}

pub(super) fn sends_since(
    conn: &Connection,
    user_id: i64,
    kind: ChangeKind,
    since: i64,
) -> StoreResult<(i64, Option<i64>)> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*), min(sent_at) FROM code_sends \
             WHERE user_id = ?1 AND channel = ?2 AND sent_at > ?3",
        )?
        .query_row(params![user_id, kind.channel().as_str(), since], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?)
}
