//! Organizations, balance adjustments, low-balance alert state and remembered
//! responses (idempotency keys).

use rusqlite::{Connection, OptionalExtension, params};

use crate::store::decode::{self, ADJUSTMENT_COLUMNS, ORGANIZATION_COLUMNS};
use crate::store::{Adjustment, Organization, StoreResult, StoredResponse};

pub(super) fn insert_organization(
    conn: &Connection,
    name: &str,
    currency: &str,
    balance_minor: i64,
    now: i64,
) -> StoreResult<i64> {
    conn.prepare_cached(
        "INSERT INTO organizations (name, currency, balance_minor, created_at) \
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![name, currency, balance_minor, now])?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn organization(conn: &Connection, id: i64) -> StoreResult<Option<Organization>> {
    conn.prepare_cached(&format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE id = ?1"
    ))?
    .query_row([id], |r| Ok(decode::organization(r)))
    .optional()?
    .transpose()
}

pub(super) fn organization_by_name(conn: &Connection, name: &str) -> StoreResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM organizations WHERE name = ?1 ORDER BY id LIMIT 1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

pub(super) fn adjustment_by_key(
    conn: &Connection,
    organization_id: i64,
    key: &str,
) -> StoreResult<Option<Adjustment>> {
    conn.prepare_cached(&format!(
        "SELECT {ADJUSTMENT_COLUMNS} FROM balance_adjustments \
         WHERE organization_id = ?1 AND idempotency_key = ?2"
    ))?
    .query_row(params![organization_id, key], |r| Ok(decode::adjustment(r)))
    .optional()?
    .transpose()
}

pub(super) fn apply_adjustment(
    conn: &Connection,
    organization_id: i64,
    key: &str,
    amount_minor: i64,
    description: &str,
    now: i64,
) -> StoreResult<Adjustment> {
    let balance_after: i64 = conn
        .prepare_cached(
            "UPDATE organizations SET balance_minor = balance_minor + ?2 WHERE id = ?1 \
             RETURNING balance_minor",
        )?
        .query_row(params![organization_id, amount_minor], |r| r.get(0))?;
    conn.prepare_cached(
        "INSERT INTO balance_adjustments \
         (organization_id, idempotency_key, amount_minor, balance_after, description, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        organization_id,
        key,
        amount_minor,
        balance_after,
        description,
        now
    ])?;
    Ok(Adjustment {
        id: conn.last_insert_rowid(),
        organization_id,
        amount_minor,
        balance_after,
        description: description.to_owned(),
        created_at: now,
    })
}

pub(super) fn alert_armed(conn: &Connection, user_id: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT armed FROM low_balance_state WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?
        .unwrap_or(true))
}

pub(super) fn set_alert_armed(
    conn: &Connection,
    user_id: i64,
    armed: bool,
    now: i64,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO low_balance_state (user_id, armed, changed_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id) DO UPDATE SET armed = excluded.armed, changed_at = excluded.changed_at",
    )?
    .execute(params![user_id, armed, now])?;
    Ok(())
}

pub(super) fn clear_alert(conn: &Connection, user_id: i64) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM low_balance_state WHERE user_id = ?1")?
        .execute([user_id])?;
    Ok(())
}

pub(super) fn stored_response(
    conn: &Connection,
    user_id: i64,
    key: &str,
) -> StoreResult<Option<StoredResponse>> {
    Ok(conn
        .prepare_cached(
            "SELECT request_hash, status, body FROM idempotency_keys \
             WHERE user_id = ?1 AND key = ?2",
        )?
        .query_row(params![user_id, key], |r| {
            Ok(StoredResponse {
                request_hash: r.get(0)?,
                status: r.get(1)?,
                body: r.get(2)?,
            })
        })
        .optional()?)
}

pub(super) fn store_response(
    conn: &Connection,
    user_id: i64,
    key: &str,
    response: &StoredResponse,
    now: i64,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        user_id,
        key,
        response.request_hash,
        response.status,
        response.body,
        now
    ])?;
    Ok(())
}
