//! The event history behind the live stream (`GET /v1/events`).
//!
//! Events are rows written in the same transaction as the change they announce, so a
//! stream never tells of a change that rolled back and never misses one that committed.
//! Each event is for a whole organization (balance), one user (account changes, alerts)
//! or one session (revocation). The history is bounded: the newest [`KEEP`] events stay;
//! a client resuming from an older id is told to resync.

use account_model::dto::StreamEvent;
use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, StoreResult};

/// How many events the history keeps.
pub const KEEP: i64 = 10_000;

#[derive(Debug)]
pub struct NewEvent<'a> {
    pub organization_id: i64,
    pub user_id: Option<i64>,
    pub session_id: Option<&'a str>,
    pub event: &'a StreamEvent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub session_id: Option<String>,
    pub event: StreamEvent,
}

pub fn insert(conn: &Connection, e: &NewEvent<'_>, now: i64) -> StoreResult<i64> {
    let payload =
        serde_json::to_string(e.event).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    conn.execute(
        "INSERT INTO events (organization_id, user_id, session_id, kind, payload, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            e.organization_id,
            e.user_id,
            e.session_id,
            e.event.name(),
            payload,
            now
        ],
    )?;
    let id = conn.last_insert_rowid();
    if id % 100 == 0 {
        conn.execute("DELETE FROM events WHERE id <= ?1", [id - KEEP])?;
    }
    Ok(id)
}

/// The newest event id (0 when there is none).
pub fn latest_id(conn: &Connection) -> StoreResult<i64> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?)
}

/// The oldest id still kept, if any.
pub fn oldest_id(conn: &Connection) -> StoreResult<Option<i64>> {
    Ok(conn
        .query_row("SELECT min(id) FROM events", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()?
        .flatten())
}

/// Events after `after` that `session_id` of `user_id` in `organization_id` may see.
pub fn visible_after(
    conn: &Connection,
    organization_id: i64,
    user_id: i64,
    session_id: &str,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, session_id, payload FROM events \
         WHERE organization_id = ?1 AND id > ?4 \
           AND (user_id IS NULL OR user_id = ?2) AND (session_id IS NULL OR session_id = ?3) \
         ORDER BY id LIMIT ?5",
    )?;
    let rows = stmt.query_map(
        params![organization_id, user_id, session_id, after, limit],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    )?;
    rows.map(|row| {
        let (id, session_id, payload) = row?;
        let event = serde_json::from_str(&payload)
            .map_err(|e| StoreError::Corrupt(format!("events.payload {id}: {e}")))?;
        Ok(StoredEvent {
            id,
            session_id,
            event,
        })
    })
    .collect()
}
