//! Responses remembered by idempotency key, so a replayed request applies once.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

#[derive(Debug, Clone)]
pub struct Stored {
    pub request_hash: Vec<u8>,
    pub status: u16,
    pub body: String,
}

pub fn get(conn: &Connection, user_id: i64, key: &str) -> StoreResult<Option<Stored>> {
    Ok(conn
        .query_row(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE user_id = ?1 AND key = ?2",
            params![user_id, key],
            |r| {
                Ok(Stored {
                    request_hash: r.get(0)?,
                    status: r.get(1)?,
                    body: r.get(2)?,
                })
            },
        )
        .optional()?)
}

pub fn put(
    conn: &Connection,
    user_id: i64,
    key: &str,
    stored: &Stored,
    now: i64,
) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            user_id,
            key,
            stored.request_hash,
            stored.status,
            stored.body,
            now
        ],
    )?;
    // Keys are kept a week: far longer than any offline queue waits to replay.
    conn.execute(
        "DELETE FROM idempotency_keys WHERE user_id = ?1 AND created_at < ?2",
        params![user_id, now - 7 * 24 * 3600 * 1000],
    )?;
    Ok(())
}
