//! Organizations.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

pub fn insert(
    conn: &Connection,
    name: &str,
    currency: &str,
    balance_minor: i64,
    now: i64,
) -> StoreResult<i64> {
    conn.execute(
        "INSERT INTO organizations (name, currency, balance_minor, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, currency, balance_minor, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn by_name(conn: &Connection, name: &str) -> StoreResult<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM organizations WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?)
}
