//! Pending email/phone changes and the codes that confirm them.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Email,
    Phone,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }

    /// The channel its codes travel by (for the send caps).
    pub fn channel(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "sms",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Pending {
    pub target: String,
    pub code_hash: Vec<u8>,
    pub expires_at: i64,
    pub last_sent_at: i64,
    pub failed_attempts: i64,
}

pub fn get(conn: &Connection, user_id: i64, purpose: Purpose) -> StoreResult<Option<Pending>> {
    Ok(conn
        .query_row(
            "SELECT target, code_hash, expires_at, last_sent_at, failed_attempts \
             FROM verifications WHERE user_id = ?1 AND purpose = ?2",
            params![user_id, purpose.as_str()],
            |r| {
                Ok(Pending {
                    target: r.get(0)?,
                    code_hash: r.get(1)?,
                    expires_at: r.get(2)?,
                    last_sent_at: r.get(3)?,
                    failed_attempts: r.get(4)?,
                })
            },
        )
        .optional()?)
}

/// Starts (or restarts, replacing the old code) a pending change.
pub fn put(
    conn: &Connection,
    user_id: i64,
    purpose: Purpose,
    target: &str,
    code_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO verifications (user_id, purpose, target, code_hash, created_at, expires_at, last_sent_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5) \
         ON CONFLICT (user_id, purpose) DO UPDATE SET target = excluded.target, \
         code_hash = excluded.code_hash, created_at = excluded.created_at, \
         expires_at = excluded.expires_at, last_sent_at = excluded.last_sent_at, failed_attempts = 0",
        params![user_id, purpose.as_str(), target, code_hash, now, expires_at],
    )?;
    Ok(())
}

pub fn add_failure(conn: &Connection, user_id: i64, purpose: Purpose) -> StoreResult<i64> {
    Ok(conn.query_row(
        "UPDATE verifications SET failed_attempts = failed_attempts + 1 \
         WHERE user_id = ?1 AND purpose = ?2 RETURNING failed_attempts",
        params![user_id, purpose.as_str()],
        |r| r.get(0),
    )?)
}

pub fn delete(conn: &Connection, user_id: i64, purpose: Purpose) -> StoreResult<bool> {
    Ok(conn.execute(
        "DELETE FROM verifications WHERE user_id = ?1 AND purpose = ?2",
        params![user_id, purpose.as_str()],
    )? == 1)
}

pub fn record_send(conn: &Connection, user_id: i64, purpose: Purpose, now: i64) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO code_sends (user_id, channel, sent_at) VALUES (?1, ?2, ?3)",
        params![user_id, purpose.channel(), now],
    )?;
    Ok(())
}

/// Sends on the purpose's channel since `since`, and the oldest of them (for Retry-After).
pub fn sends_since(
    conn: &Connection,
    user_id: i64,
    purpose: Purpose,
    since: i64,
) -> StoreResult<(i64, Option<i64>)> {
    Ok(conn.query_row(
        "SELECT count(*), min(sent_at) FROM code_sends WHERE user_id = ?1 AND channel = ?2 AND sent_at > ?3",
        params![user_id, purpose.channel(), since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}
