//! Sessions: only a SHA-256 of each bearer token is stored.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: i64,
    pub device_name: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub fn insert(
    conn: &Connection,
    id: &str,
    user_id: i64,
    token_hash: &[u8],
    device_name: &str,
    now: i64,
) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO sessions (id, user_id, token_hash, device_name, created_at, last_seen_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![id, user_id, token_hash, device_name, now],
    )?;
    Ok(())
}

/// The live session with this token hash: not revoked, used since `idle_cutoff`.
pub fn live_by_token(
    conn: &Connection,
    token_hash: &[u8],
    idle_cutoff: i64,
) -> StoreResult<Option<SessionRecord>> {
    Ok(conn
        .query_row(
            "SELECT id, user_id, device_name, created_at, last_seen_at FROM sessions \
             WHERE token_hash = ?1 AND revoked_at IS NULL AND last_seen_at >= ?2",
            params![token_hash, idle_cutoff],
            |r| {
                Ok(SessionRecord {
                    id: r.get(0)?,
                    user_id: r.get(1)?,
                    device_name: r.get(2)?,
                    created_at: r.get(3)?,
                    last_seen_at: r.get(4)?,
                })
            },
        )
        .optional()?)
}

/// Records use, at most once a minute per session, to spare a write per request.
pub fn touch(conn: &Connection, id: &str, now: i64) -> StoreResult<()> {
    conn.execute(
        "UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1 AND last_seen_at < ?2 - 60000",
        params![id, now],
    )?;
    Ok(())
}

pub fn list_live(
    conn: &Connection,
    user_id: i64,
    idle_cutoff: i64,
) -> StoreResult<Vec<SessionRecord>> {
    let mut stmt = conn.prepare(
        "SELECT id, user_id, device_name, created_at, last_seen_at FROM sessions \
         WHERE user_id = ?1 AND revoked_at IS NULL AND last_seen_at >= ?2 \
         ORDER BY last_seen_at DESC, id",
    )?;
    let rows = stmt.query_map(params![user_id, idle_cutoff], |r| {
        Ok(SessionRecord {
            id: r.get(0)?,
            user_id: r.get(1)?,
            device_name: r.get(2)?,
            created_at: r.get(3)?,
            last_seen_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn announce_revoked(
    conn: &Connection,
    user_id: i64,
    session_id: &str,
    now: i64,
) -> StoreResult<()> {
    let organization_id: i64 = conn.query_row(
        "SELECT organization_id FROM users WHERE id = ?1",
        [user_id],
        |r| r.get(0),
    )?;
    super::events::insert(
        conn,
        &super::events::NewEvent {
            organization_id,
            user_id: Some(user_id),
            session_id: Some(session_id),
            event: &account_model::dto::StreamEvent::SessionRevoked,
        },
        now,
    )?;
    Ok(())
}

/// Revokes one of the user's sessions; false when the user has no such live session.
/// The session's live stream is told, and ends.
pub fn revoke(conn: &Connection, user_id: i64, id: &str, now: i64) -> StoreResult<bool> {
    let n = conn.execute(
        "UPDATE sessions SET revoked_at = ?3 WHERE user_id = ?1 AND id = ?2 AND revoked_at IS NULL",
        params![user_id, id, now],
    )?;
    if n == 1 {
        announce_revoked(conn, user_id, id, now)?;
    }
    Ok(n == 1)
}

/// Revokes every live session of the user except `keep`; returns how many.
pub fn revoke_others(conn: &Connection, user_id: i64, keep: &str, now: i64) -> StoreResult<u64> {
    let ids: Vec<String> = {
        let mut stmt = conn.prepare(
            "UPDATE sessions SET revoked_at = ?3 WHERE user_id = ?1 AND id <> ?2 AND revoked_at IS NULL \
             RETURNING id",
        )?;
        stmt.query_map(params![user_id, keep, now], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for id in &ids {
        announce_revoked(conn, user_id, id, now)?;
    }
    Ok(ids.len() as u64)
}

/// Whether the session is still usable (not revoked, not idle past `idle_cutoff`).
pub fn is_live(conn: &Connection, id: &str, idle_cutoff: i64) -> StoreResult<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sessions WHERE id = ?1 AND revoked_at IS NULL AND last_seen_at >= ?2",
            params![id, idle_cutoff],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
