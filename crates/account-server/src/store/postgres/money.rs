//! Organizations, balance adjustments, low-balance alert state and remembered
//! responses (idempotency keys).

use super::Client;
use crate::store::decode::{self, ADJUSTMENT_COLUMNS, ORGANIZATION_COLUMNS};
use crate::store::{Adjustment, Organization, StoreResult, StoredResponse};

pub(super) async fn insert_organization(
    c: &Client,
    name: &str,
    currency: &str,
    balance_minor: i64,
    now: i64,
) -> StoreResult<i64> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO organizations (name, currency, balance_minor, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .await?;
    Ok(
        c.query_one(&stmt, &[&name, &currency, &balance_minor, &now])
            .await?
            .try_get(0)?,
    )
}

/// The organization; with `lock`, its row stays locked until the transaction ends.
pub(super) async fn organization(
    c: &Client,
    id: i64,
    lock: bool,
) -> StoreResult<Option<Organization>> {
    let sql = format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let stmt = c.prepare_cached(&sql).await?;
    c.query_opt(&stmt, &[&id])
        .await?
        .map(|r| decode::organization(&r))
        .transpose()
}

pub(super) async fn organization_by_name(c: &Client, name: &str) -> StoreResult<Option<i64>> {
    let stmt = c
        .prepare_cached("SELECT id FROM organizations WHERE name = $1 ORDER BY id LIMIT 1")
        .await?;
    Ok(c.query_opt(&stmt, &[&name])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?)
}

pub(super) async fn adjustment_by_key(
    c: &Client,
    organization_id: i64,
    key: &str,
) -> StoreResult<Option<Adjustment>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {ADJUSTMENT_COLUMNS} FROM balance_adjustments \
             WHERE organization_id = $1 AND idempotency_key = $2"
        ))
        .await?;
    c.query_opt(&stmt, &[&organization_id, &key])
        .await?
        .map(|r| decode::adjustment(&r))
        .transpose()
}

pub(super) async fn apply_adjustment(
    c: &Client,
    organization_id: i64,
    key: &str,
    amount_minor: i64,
    description: &str,
    now: i64,
) -> StoreResult<Adjustment> {
    let stmt = c
        .prepare_cached(
            "WITH org AS (UPDATE organizations SET balance_minor = balance_minor + $2 \
                          WHERE id = $1 RETURNING balance_minor) \
             INSERT INTO balance_adjustments \
             (organization_id, idempotency_key, amount_minor, balance_after, description, created_at) \
             SELECT $1, $3, $2, balance_minor, $4, $5 FROM org \
             RETURNING id, balance_after",
        )
        .await?;
    let row = c
        .query_one(
            &stmt,
            &[&organization_id, &amount_minor, &key, &description, &now],
        )
        .await?;
    Ok(Adjustment {
        id: row.try_get(0)?,
        organization_id,
        amount_minor,
        balance_after: row.try_get(1)?,
        description: description.to_owned(),
        created_at: now,
    })
}

pub(super) async fn alert_armed(c: &Client, user_id: i64) -> StoreResult<bool> {
    let stmt = c
        .prepare_cached("SELECT armed FROM low_balance_state WHERE user_id = $1")
        .await?;
    Ok(match c.query_opt(&stmt, &[&user_id]).await? {
        Some(row) => row.try_get(0)?,
        None => true,
    })
}

pub(super) async fn set_alert_armed(
    c: &Client,
    user_id: i64,
    armed: bool,
    now: i64,
) -> StoreResult<()> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO low_balance_state (user_id, armed, changed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET armed = excluded.armed, changed_at = excluded.changed_at",
        )
        .await?;
    c.execute(&stmt, &[&user_id, &armed, &now]).await?;
    Ok(())
}

pub(super) async fn clear_alert(c: &Client, user_id: i64) -> StoreResult<()> {
    let stmt = c
        .prepare_cached("DELETE FROM low_balance_state WHERE user_id = $1")
        .await?;
    c.execute(&stmt, &[&user_id]).await?;
    Ok(())
}

pub(super) async fn stored_response(
    c: &Client,
    user_id: i64,
    key: &str,
) -> StoreResult<Option<StoredResponse>> {
    let stmt = c
        .prepare_cached(
            "SELECT request_hash, status, body FROM idempotency_keys \
             WHERE user_id = $1 AND key = $2",
        )
        .await?;
    match c.query_opt(&stmt, &[&user_id, &key]).await? {
        Some(row) => Ok(Some(StoredResponse {
            request_hash: row.try_get(0)?,
            status: u16::try_from(row.try_get::<_, i32>(1)?)
                .map_err(|e| decode::corrupt("idempotency_keys.status", e))?,
            body: row.try_get(2)?,
        })),
        None => Ok(None),
    }
}

pub(super) async fn store_response(
    c: &Client,
    user_id: i64,
    key: &str,
    response: &StoredResponse,
    now: i64,
) -> StoreResult<()> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, status, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await?;
    c.execute(
        &stmt,
        &[
            &user_id,
            &key,
            &response.request_hash,
            &i32::from(response.status),
            &response.body,
            &now,
        ],
    )
    .await?;
    Ok(())
}
