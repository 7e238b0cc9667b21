//! Wrong-password counters with exponential lockout.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

#[derive(Debug, Clone, Copy, Default)]
pub struct Throttle {
    pub failures: i64,
    pub locked_until: Option<i64>,
}

pub fn get(conn: &Connection, key: &str) -> StoreResult<Throttle> {
    Ok(conn
        .query_row(
            "SELECT failures, locked_until FROM auth_throttle WHERE key = ?1",
            [key],
            |r| {
                Ok(Throttle {
                    failures: r.get(0)?,
                    locked_until: r.get(1)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

pub fn put(conn: &Connection, key: &str, state: Throttle, now: i64) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO auth_throttle (key, failures, locked_until, updated_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
         locked_until = excluded.locked_until, updated_at = excluded.updated_at",
        params![key, state.failures, state.locked_until, now],
    )?;
    Ok(())
}

pub fn clear(conn: &Connection, key: &str) -> StoreResult<()> {
    conn.execute("DELETE FROM auth_throttle WHERE key = ?1", [key])?;
    Ok(())
}
