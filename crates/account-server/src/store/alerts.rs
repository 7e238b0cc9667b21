//! Low-balance alert state per user: armed (may fire) or fired (waiting for recovery).

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreResult;

/// Whether the user's alert may fire; a user with no state is armed.
pub fn armed(conn: &Connection, user_id: i64) -> StoreResult<bool> {
    Ok(conn
        .query_row(
            "SELECT armed FROM low_balance_state WHERE user_id = ?1",
            [user_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(true))
}

pub fn set_armed(conn: &Connection, user_id: i64, armed: bool, now: i64) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO low_balance_state (user_id, armed, changed_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id) DO UPDATE SET armed = excluded.armed, changed_at = excluded.changed_at",
        params![user_id, armed, now],
    )?;
    Ok(())
}

/// Forgets the state (alert off or no permission): the next eligible crossing fires.
pub fn clear(conn: &Connection, user_id: i64) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM low_balance_state WHERE user_id = ?1",
        [user_id],
    )?;
    Ok(())
}
