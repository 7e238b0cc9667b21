//! Organization balances and their adjustments.
//!
//! An adjustment and the balance it produces are written in one `BEGIN IMMEDIATE`
//! transaction, so concurrent adjustments queue on SQLite's write lock and none is lost;
//! `(organization_id, idempotency_key)` is unique, so a repeated key applies once.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub id: i64,
    pub organization_id: i64,
    pub amount_minor: i64,
    pub balance_after: i64,
    pub description: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub currency: String,
    pub balance_minor: i64,
}

pub fn organization(conn: &Connection, id: i64) -> StoreResult<Option<Organization>> {
    Ok(conn
        .query_row(
            "SELECT id, name, currency, balance_minor FROM organizations WHERE id = ?1",
            [id],
            |r| {
                Ok(Organization {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    currency: r.get(2)?,
                    balance_minor: r.get(3)?,
                })
            },
        )
        .optional()?)
}

pub fn by_key(
    conn: &Connection,
    organization_id: i64,
    key: &str,
) -> StoreResult<Option<Adjustment>> {
    Ok(conn
        .query_row(
            "SELECT id, organization_id, amount_minor, balance_after, description, created_at FROM balance_adjustments \
             WHERE organization_id = ?1 AND idempotency_key = ?2",
            params![organization_id, key],
            |r| {
                Ok(Adjustment {
                    id: r.get(0)?,
                    organization_id: r.get(1)?,
                    amount_minor: r.get(2)?,
                    balance_after: r.get(3)?,
                    description: r.get(4)?,
                    created_at: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Applies `amount_minor` and records it under `key`; returns the new balance.
pub fn apply(
    conn: &Connection,
    organization_id: i64,
    key: &str,
    amount_minor: i64,
    description: &str,
    now: i64,
) -> StoreResult<Adjustment> {
    let balance_after: i64 = conn.query_row(
        "UPDATE organizations SET balance_minor = balance_minor + ?2 WHERE id = ?1 RETURNING balance_minor",
        params![organization_id, amount_minor],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO balance_adjustments (organization_id, idempotency_key, amount_minor, balance_after, description, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![organization_id, key, amount_minor, balance_after, description, now],
    )?;
    Ok(Adjustment {
        id: conn.last_insert_rowid(),
        organization_id,
        amount_minor,
        balance_after,
        description: description.to_owned(),
        created_at: now,
    })
}
