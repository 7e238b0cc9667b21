//! The event history behind the live stream.
//!
//! On SQLite one process writes at a time and an id is taken inside the write lock
//! (`AUTOINCREMENT`, whose counter rolls back with the transaction), so ids commit in
//! order and without holes: the feed simply reads what comes after the last id it gave.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use crate::store::decode::{self, EVENT_COLUMNS as COLUMNS};
use crate::store::{EventFeed, EventScope, FeedBatch, NewEvent, StoreResult, StoredEvent};

pub(super) fn insert(conn: &Connection, e: &NewEvent<'_>, now: i64) -> StoreResult<i64> {
    let payload = decode::event_payload(e.event)?;
    conn.prepare_cached(
        "INSERT INTO events (organization_id, user_id, session_id, kind, payload, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        e.organization_id,
        e.user_id,
        e.session_id,
        e.event.name(),
        payload,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn bounds(conn: &Connection) -> StoreResult<(i64, Option<i64>)> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(id), 0), min(id) FROM events")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

pub(super) fn visible(
    conn: &Connection,
    scope: &EventScope,
    after: i64,
    upto: i64,
    limit: i64,
) -> StoreResult<Vec<StoredEvent>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM events \
         WHERE organization_id = ?1 AND id > ?4 AND id <= ?5 \
           AND (user_id IS NULL OR user_id = ?2) AND (session_id IS NULL OR session_id = ?3) \
         ORDER BY id LIMIT ?6"
    ))?;
    let rows = stmt.query_map(
        params![
            scope.organization_id,
            scope.user_id,
            scope.session_id,
            after,
            upto,
            limit
        ],
        |r| Ok(decode::event(r, 0)),
    )?;
    rows.map(|r| r?).collect()
}

/// Reads what was committed after the last event it handed out.
pub(super) struct Feed {
    conn: Connection,
    last: i64,
}

impl Feed {
    pub(super) fn start(conn: Connection) -> StoreResult<Self> {
        let (last, _) = bounds(&conn)?;
        Ok(Self { conn, last })
    }
}

#[async_trait]
impl EventFeed for Feed {
    fn position(&self) -> i64 {
        self.last
    }

    async fn next(&mut self, limit: i64) -> StoreResult<FeedBatch> {
        let events: Vec<StoredEvent> = {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![self.last, limit], |r| Ok(decode::event(r, 0)))?;
            rows.map(|r| r?).collect::<StoreResult<_>>()?
        };
        if let Some(last) = events.last() {
            self.last = last.id;
        }
        let more = events.len() as i64 == limit;
        Ok(FeedBatch { events, more })
    }
}
