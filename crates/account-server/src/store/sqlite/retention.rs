//! The retention job's deletes; see [`Retention`](crate::store::Retention).

use rusqlite::Connection;

use crate::store::{CODE_MESSAGE_KINDS, EXPIRED_CODE_BODY, Pruned, Retention, StoreResult};

pub(super) fn prune(conn: &Connection, rules: &Retention, now: i64) -> StoreResult<Pruned> {
    let run = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> StoreResult<u64> {
        Ok(conn.prepare_cached(sql)?.execute(p)? as u64)
    };
    let code_expired = now - rules.code_ttl_ms;
    let (email_code, phone_code) = (CODE_MESSAGE_KINDS[0], CODE_MESSAGE_KINDS[1]);
    Ok(Pruned {
        sessions: run(
            "DELETE FROM sessions WHERE revoked_at IS NOT NULL OR last_seen_at < ?1",
            &[&rules.session_idle_cutoff],
        )?,
        throttles: run(
            "DELETE FROM auth_throttle \
             WHERE (locked_until IS NULL OR locked_until <= ?1) AND updated_at < ?2",
            &[&now, &(now - rules.throttle_window_ms)],
        )?,
        code_sends: run(
            "DELETE FROM code_sends WHERE sent_at <= ?1",
            &[&(now - rules.code_send_window_ms)],
        )?,
        // A code that expired before it could be sent is not sent at all.
        code_bodies: run(
            "UPDATE outbox SET body = ?2, \
               status = CASE WHEN status IN ('pending', 'sending') THEN 'failed' ELSE status END, \
               last_error = CASE WHEN status IN ('pending', 'sending') \
                 THEN 'the code expired before it could be sent' ELSE last_error END \
             WHERE kind IN (?3, ?4) AND created_at <= ?1 AND body <> ?2",
            &[&code_expired, &EXPIRED_CODE_BODY, &email_code, &phone_code],
        )?,
        pending_changes: run("DELETE FROM verifications WHERE expires_at <= ?1", &[&now])?,
        events: run(
            "DELETE FROM events WHERE id <= (SELECT coalesce(max(id), 0) FROM events) - ?1",
            &[&rules.events_kept],
        )?,
        outbox: run(
            "DELETE FROM outbox WHERE status IN ('sent', 'failed') AND created_at < ?1",
            &[&(now - rules.outbox_kept_ms)],
        )?,
        idempotency_keys: run(
            "DELETE FROM idempotency_keys WHERE created_at < ?1",
            &[&(now - rules.idempotency_kept_ms)],
        )?,
    })
}
