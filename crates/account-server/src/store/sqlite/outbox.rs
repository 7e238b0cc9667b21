//! The outbox: messages written in the same transaction as the change they tell of,
//! then delivered by a worker.

use rusqlite::{Connection, params};

use crate::store::decode::{self, OUTBOX_COLUMNS as COLUMNS};
use crate::store::{NewMessage, OutboxFilter, OutboxMessage, StoreResult};

pub(super) fn enqueue(conn: &Connection, m: &NewMessage<'_>, now: i64) -> StoreResult<i64> {
    conn.prepare_cached(
        "INSERT INTO outbox (user_id, channel, recipient, language, kind, subject, body, \
         next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        m.user_id,
        m.channel.as_str(),
        m.recipient,
        m.language,
        m.kind,
        m.subject,
        m.body,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn list(conn: &Connection, filter: &OutboxFilter) -> StoreResult<Vec<OutboxMessage>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM (SELECT * FROM outbox \
           WHERE (?1 IS NULL OR recipient = ?1) AND (?2 IS NULL OR status = ?2) \
             AND id > coalesce(?3, 0) ORDER BY id DESC LIMIT ?4) ORDER BY id"
    ))?;
    let rows = stmt.query_map(
        params![
            filter.recipient,
            filter.status,
            filter.after_id,
            filter.limit.unwrap_or(-1)
        ],
        |r| Ok(decode::message(r)),
    )?;
    rows.map(|r| r?).collect()
}

pub(super) fn claim_due(
    conn: &Connection,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<OutboxMessage>> {
    let mut stmt = conn.prepare_cached(&format!(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = ?2 \
         WHERE id IN (SELECT id FROM outbox WHERE status IN ('pending', 'sending') \
                      AND next_attempt_at <= ?1 ORDER BY id LIMIT ?3) \
         RETURNING {COLUMNS}"
    ))?;
    let rows = stmt.query_map(params![now, now + lease_ms, limit], |r| {
        Ok(decode::message(r))
    })?;
    let mut claimed: Vec<OutboxMessage> = rows.map(|r| r?).collect::<StoreResult<_>>()?;
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

pub(super) fn mark_sent(conn: &Connection, id: i64, attempts: i64, now: i64) -> StoreResult<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET status = 'sent', sent_at = ?3, last_error = NULL \
             WHERE id = ?1 AND status = 'sending' AND attempts = ?2",
        )?
        .execute(params![id, attempts, now])?;
    Ok(n == 1)
}

pub(super) fn mark_failed(
    conn: &Connection,
    id: i64,
    attempts: i64,
    error: &str,
    retry_at: Option<i64>,
) -> StoreResult<bool> {
    let n = match retry_at {
        Some(at) => conn
            .prepare_cached(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?3, last_error = ?4 \
                 WHERE id = ?1 AND status = 'sending' AND attempts = ?2",
            )?
            .execute(params![id, attempts, at, error])?,
        None => conn
            .prepare_cached(
                "UPDATE outbox SET status = 'failed', last_error = ?3 \
                 WHERE id = ?1 AND status = 'sending' AND attempts = ?2",
            )?
            .execute(params![id, attempts, error])?,
    };
    Ok(n == 1)
}
