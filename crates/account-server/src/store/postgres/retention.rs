//! The retention job's deletes; see [`Retention`](crate::store::Retention).

use tokio_postgres::types::ToSql;

use super::Client;
use crate::store::{CODE_MESSAGE_KINDS, EXPIRED_CODE_BODY, Pruned, Retention, StoreResult};

async fn run(c: &Client, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<u64> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.execute(&stmt, params).await?)
}

pub(super) async fn prune(c: &Client, rules: &Retention, now: i64) -> StoreResult<Pruned> {
    // The job gives way: rather than wait for a row a request holds (and risk a
    // deadlock with it, which PostgreSQL would settle by failing one of the two), it
    // fails fast and runs again at the next interval.
    c.batch_execute("SET LOCAL lock_timeout = '200ms'").await?;
    let kinds: Vec<&str> = CODE_MESSAGE_KINDS.to_vec();
    Ok(Pruned {
        sessions: run(
            c,
            "DELETE FROM sessions WHERE revoked_at IS NOT NULL OR last_seen_at < $1",
            &[&rules.session_idle_cutoff],
        )
        .await?,
        throttles: run(
            c,
            "DELETE FROM auth_throttle \
             WHERE (locked_until IS NULL OR locked_until <= $1) AND updated_at < $2",
            &[&now, &(now - rules.throttle_window_ms)],
        )
        .await?,
        code_sends: run(
            c,
            "DELETE FROM code_sends WHERE sent_at <= $1",
            &[&(now - rules.code_send_window_ms)],
        )
        .await?,
        // A code that expired before it could be sent is not sent at all.
        code_bodies: run(
            c,
            "UPDATE outbox SET body = $2, \
               status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END, \
               last_error = CASE WHEN status IN ('pending', 'sending') \
                 THEN 'the code expired before it could be sent' ELSE last_error END \
             WHERE kind = ANY($3) AND created_at <= $1 AND body <> $2",
            &[&(now - rules.code_ttl_ms), &EXPIRED_CODE_BODY, &kinds],
        )
        .await?,
        pending_changes: run(
            c,
            "DELETE FROM verifications WHERE expires_at <= $1",
            &[&now],
        )
        .await?,
        events: run(
            c,
            "DELETE FROM events WHERE id <= (SELECT coalesce(max(id), 0) FROM events) - $1",
            &[&rules.events_kept],
        )
        .await?,
        outbox: run(
            c,
            "DELETE FROM outbox WHERE status IN ('sent', 'failed') AND created_at < $1",
            &[&(now - rules.outbox_kept_ms)],
        )
        .await?,
        idempotency_keys: run(
            c,
            "DELETE FROM idempotency_keys WHERE created_at < $1",
            &[&(now - rules.idempotency_kept_ms)],
        )
        .await?,
    })
}
