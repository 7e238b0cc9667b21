//! The outbox: messages written in the same transaction as the change they tell of,
//! then delivered by a worker. A message is never lost by a crash after its change
//! committed, and never sent for a change that rolled back.

use rusqlite::{Connection, params};

use super::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutChannel {
    Email,
    Sms,
}

impl OutChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub user_id: Option<i64>,
    pub channel: OutChannel,
    pub recipient: &'a str,
    pub language: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub user_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub language: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
}

pub fn enqueue(conn: &Connection, m: &NewMessage<'_>, now: i64) -> StoreResult<i64> {
    conn.execute(
        "INSERT INTO outbox (user_id, channel, recipient, language, kind, subject, body, next_attempt_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![m.user_id, m.channel.as_str(), m.recipient, m.language, m.kind, m.subject, m.body, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Which messages to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub recipient: Option<String>,
    pub status: Option<String>,
    pub after_id: Option<i64>,
    pub limit: Option<i64>,
}

/// Newest last.
pub fn list(conn: &Connection, filter: &Filter) -> StoreResult<Vec<OutboxMessage>> {
    let mut stmt = conn.prepare(
        "SELECT id, user_id, channel, recipient, language, kind, subject, body, status, attempts, created_at \
         FROM (SELECT * FROM outbox WHERE (?1 IS NULL OR recipient = ?1) AND (?2 IS NULL OR status = ?2) \
               AND id > coalesce(?3, 0) ORDER BY id DESC LIMIT ?4) ORDER BY id",
    )?;
    let rows = stmt.query_map(
        params![
            filter.recipient,
            filter.status,
            filter.after_id,
            filter.limit.unwrap_or(-1)
        ],
        |r| {
            Ok(OutboxMessage {
                id: r.get(0)?,
                user_id: r.get(1)?,
                channel: r.get(2)?,
                recipient: r.get(3)?,
                language: r.get(4)?,
                kind: r.get(5)?,
                subject: r.get(6)?,
                body: r.get(7)?,
                status: r.get(8)?,
                attempts: r.get(9)?,
                created_at: r.get(10)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Takes up to `limit` due messages for sending: pending ones whose time has come, and
/// ones whose previous sender's lease ran out (it crashed mid-send). Each is marked
/// `sending` with a new lease before it is returned, in the caller's transaction, so no
/// two workers take the same message.
pub fn claim_due(
    conn: &Connection,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<OutboxMessage>> {
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = ?2 WHERE id IN \
             (SELECT id FROM outbox WHERE status IN ('pending', 'sending') AND next_attempt_at <= ?1 \
              ORDER BY id LIMIT ?3) \
             RETURNING id",
        )?;
        stmt.query_map(params![now, now + lease_ms, limit], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let mut claimed = list(
        conn,
        &Filter {
            status: Some("sending".into()),
            ..Filter::default()
        },
    )?;
    claimed.retain(|m| ids.contains(&m.id));
    Ok(claimed)
}

/// Records a successful send, if this claim (`attempts`) still holds the message: a
/// sender whose lease ran out cannot overwrite what the next one recorded.
pub fn mark_sent(conn: &Connection, id: i64, attempts: i64, now: i64) -> StoreResult<bool> {
    let n = conn.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?3, last_error = NULL \
         WHERE id = ?1 AND status = 'sending' AND attempts = ?2",
        params![id, attempts, now],
    )?;
    Ok(n == 1)
}

/// A failed try (same claim rule as [`mark_sent`]): back to pending for another at
/// `retry_at`, or `failed` for good.
pub fn mark_failed(
    conn: &Connection,
    id: i64,
    attempts: i64,
    error: &str,
    retry_at: Option<i64>,
) -> StoreResult<bool> {
    let n = match retry_at {
        Some(at) => conn.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?3, last_error = ?4 \
             WHERE id = ?1 AND status = 'sending' AND attempts = ?2",
            params![id, attempts, at, error],
        )?,
        None => conn.execute(
            "UPDATE outbox SET status = 'failed', last_error = ?3 \
             WHERE id = ?1 AND status = 'sending' AND attempts = ?2",
            params![id, attempts, error],
        )?,
    };
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sender_whose_lease_ran_out_cannot_record_over_the_next_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = crate::store::Db::open(dir.path().join("a.db"))
            .await
            .expect("db");
        let outcome = db
            .write(|tx| {
                let message = NewMessage {
                    user_id: None,
                    channel: OutChannel::Email,
                    recipient: "a@example.com",
                    language: "en",
                    kind: "password_changed",
                    subject: "S",
                    body: "B",
                };
                enqueue(tx, &message, 0)?;
                let first = claim_due(tx, 0, 1_000, 1)?;
                let second = claim_due(tx, 2_000, 1_000, 1)?; // the first lease ran out
                let late = mark_sent(tx, first[0].id, first[0].attempts, 2_500)?;
                let current = mark_sent(tx, second[0].id, second[0].attempts, 2_600)?;
                Ok((first.len(), second[0].attempts, late, current))
            })
            .await
            .expect("claims");
        assert_eq!(outcome, (1, 2, false, true));
    }
}
