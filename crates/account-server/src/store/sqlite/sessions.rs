//! Sessions (only a SHA-256 of each bearer token is stored) and wrong-password counters.

use account_model::dto::StreamEvent;
use rusqlite::{Connection, OptionalExtension, params};

use crate::store::decode::{self, SESSION_COLUMNS, USER_COLUMNS};
use crate::store::{
    NewEvent, NewSession, PendingChanges, SessionRecord, StoreResult, Throttle, UserRecord,
};

pub(super) fn insert(conn: &Connection, s: &NewSession<'_>, now: i64) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (id, user_id, token_hash, device_name, created_at, last_seen_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![s.id, s.user_id, s.token_hash, s.device_name, now])?;
    Ok(())
}

pub(super) fn by_token(
    conn: &Connection,
    token_hash: &[u8],
    idle_cutoff: i64,
) -> StoreResult<Option<(SessionRecord, UserRecord)>> {
    let sql = format!(
        "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN organizations o ON o.id = u.organization_id \
         WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.last_seen_at >= ?2"
    );
    conn.prepare_cached(&sql)?
        .query_row(params![token_hash, idle_cutoff], |r| {
            Ok(decode::session(r).and_then(|s| Ok((s, decode::user(r, 5)?))))
        })
        .optional()?
        .transpose()
}

/// Built once: the hottest statement there is.
static ACCOUNT_BY_TOKEN: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| decode::account_by_token_sql("?1", "?2"));

pub(super) fn account_by_token(
    conn: &Connection,
    token_hash: &[u8],
    idle_cutoff: i64,
) -> StoreResult<Option<(SessionRecord, UserRecord, PendingChanges)>> {
    let mut stmt = conn.prepare_cached(&ACCOUNT_BY_TOKEN)?;
    let mut rows = stmt.query(params![token_hash, idle_cutoff])?;
    let mut account = decode::AccountRows::default();
    while let Some(row) = rows.next()? {
        account.add(row)?;
    }
    Ok(account.finish())
}

/// Records use; the caller skips it when the session was used in the last minute.
pub(super) fn touch(conn: &Connection, id: &str, now: i64) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2",
    )?
    .execute(params![id, now])?;
    Ok(())
}

pub(super) fn live(
    conn: &Connection,
    user_id: i64,
    idle_cutoff: i64,
) -> StoreResult<Vec<SessionRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions s \
         WHERE s.user_id = ?1 AND s.revoked_at IS NULL AND s.last_seen_at >= ?2 \
         ORDER BY s.last_seen_at DESC, s.id"
    ))?;
    let rows = stmt.query_map(params![user_id, idle_cutoff], |r| Ok(decode::session(r)))?;
    rows.map(|r| r?).collect()
}

pub(super) fn is_live(conn: &Connection, id: &str, idle_cutoff: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM sessions WHERE id = ?1 AND revoked_at IS NULL AND last_seen_at >= ?2",
        )?
        .query_row(params![id, idle_cutoff], |_| Ok(()))
        .optional()?
        .is_some())
}

fn announce_revoked(
    conn: &Connection,
    user_id: i64,
    session_id: &str,
    now: i64,
) -> StoreResult<()> {
    let organization_id: i64 = conn
        .prepare_cached("SELECT organization_id FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get(0))?;
    super::events::insert(
        conn,
        &NewEvent {
            organization_id,
            user_id: Some(user_id),
            session_id: Some(session_id),
            event: &StreamEvent::SessionRevoked,
        },
        now,
    )?;
    Ok(())
}

pub(super) fn revoke(conn: &Connection, user_id: i64, id: &str, now: i64) -> StoreResult<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE sessions SET revoked_at = ?3 \
             WHERE user_id = ?1 AND id = ?2 AND revoked_at IS NULL",
        )?
        .execute(params![user_id, id, now])?;
    if n == 1 {
        announce_revoked(conn, user_id, id, now)?;
    }
    Ok(n == 1)
}

pub(super) fn revoke_others(
    conn: &Connection,
    user_id: i64,
    keep: &str,
    now: i64,
) -> StoreResult<u64> {
    let ids: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "UPDATE sessions SET revoked_at = ?3 \
             WHERE user_id = ?1 AND id <> ?2 AND revoked_at IS NULL RETURNING id",
        )?;
        stmt.query_map(params![user_id, keep, now], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for id in &ids {
        announce_revoked(conn, user_id, id, now)?;
    }
    Ok(ids.len() as u64)
}

pub(super) fn throttle(conn: &Connection, key: &str) -> StoreResult<Throttle> {
    Ok(conn
        .prepare_cached(
            "SELECT failures, locked_until, updated_at FROM auth_throttle WHERE key = ?1",
        )?
        .query_row([key], |r| {
            Ok(Throttle {
                failures: r.get(0)?,
                locked_until: r.get(1)?,
                updated_at: r.get(2)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

pub(super) fn put_throttle(
    conn: &Connection,
    key: &str,
    state: Throttle,
    now: i64,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO auth_throttle (key, failures, locked_until, updated_at) \
         VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
         locked_until = excluded.locked_until, updated_at = excluded.updated_at",
    )?
    .execute(params![key, state.failures, state.locked_until, now])?;
    Ok(())
}

pub(super) fn clear_throttle(conn: &Connection, key: &str) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM auth_throttle WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}
