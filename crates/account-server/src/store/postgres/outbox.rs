//! The outbox on PostgreSQL: a message is claimed by exactly one worker of any
//! instance (`FOR UPDATE SKIP LOCKED`: a worker passes over rows another is claiming
//! instead of waiting for them).

use super::Client;
use crate::store::decode::{self, OUTBOX_COLUMNS};
use crate::store::{NewMessage, OutboxFilter, OutboxMessage, StoreResult};

pub(super) async fn enqueue(c: &Client, m: &NewMessage<'_>, now: i64) -> StoreResult<i64> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO outbox (user_id, channel, recipient, language, kind, subject, body, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .await?;
    Ok(c.query_one(
        &stmt,
        &[
            &m.user_id,
            &m.channel.as_str(),
            &m.recipient,
            &m.language,
            &m.kind,
            &m.subject,
            &m.body,
            &now,
        ],
    )
    .await?
    .try_get(0)?)
}

pub(super) async fn list(c: &Client, filter: &OutboxFilter) -> StoreResult<Vec<OutboxMessage>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM (SELECT * FROM outbox \
               WHERE ($1::text IS NULL OR recipient = $1) AND ($2::text IS NULL OR status = $2) \
                 AND id > coalesce($3::int8, 0) ORDER BY id DESC LIMIT $4) recent ORDER BY id"
        ))
        .await?;
    c.query(
        &stmt,
        &[
            &filter.recipient,
            &filter.status,
            &filter.after_id,
            &filter.limit,
        ],
    )
    .await?
    .iter()
    .map(decode::message)
    .collect()
}

pub(super) async fn claim_due(
    c: &Client,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<OutboxMessage>> {
    let stmt = c
        .prepare_cached(&format!(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = $2 \
             WHERE id IN (SELECT id FROM outbox WHERE status IN ('pending', 'sending') \
                          AND next_attempt_at <= $1 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING {OUTBOX_COLUMNS}"
        ))
        .await?;
    let mut claimed = c
        .query(&stmt, &[&now, &(now + lease_ms), &limit])
        .await?
        .iter()
        .map(decode::message)
        .collect::<StoreResult<Vec<_>>>()?;
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

pub(super) async fn mark_sent(c: &Client, id: i64, attempts: i64, now: i64) -> StoreResult<bool> {
    let stmt = c
        .prepare_cached(
            "UPDATE outbox SET status = 'sent', sent_at = $3, last_error = NULL \
             WHERE id = $1 AND status = 'sending' AND attempts = $2",
        )
        .await?;
    Ok(c.execute(&stmt, &[&id, &attempts, &now]).await? == 1)
}

pub(super) async fn mark_failed(
    c: &Client,
    id: i64,
    attempts: i64,
    error: &str,
    retry_at: Option<i64>,
) -> StoreResult<bool> {
    let n = match retry_at {
        Some(at) => {
            let stmt = c
                .prepare_cached(
                    "UPDATE outbox SET status = 'pending', next_attempt_at = $3, last_error = $4 \
                     WHERE id = $1 AND status = 'sending' AND attempts = $2",
                )
                .await?;
            c.execute(&stmt, &[&id, &attempts, &at, &error]).await?
        }
        None => {
            let stmt = c
                .prepare_cached(
                    "UPDATE outbox SET status = 'failed', last_error = $3 \
                     WHERE id = $1 AND status = 'sending' AND attempts = $2",
                )
                .await?;
            c.execute(&stmt, &[&id, &attempts, &error]).await?
        }
    };
    Ok(n == 1)
}
