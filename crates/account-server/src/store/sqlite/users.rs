//! Users, their settings and the version each setting changed at.

use account_model::dto::StreamEvent;
use account_model::{Email, PhoneNumber, PrefChange, PrefField, Role};
use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, OptionalExtension, ToSql, params};

use crate::store::decode::{self, USER_COLUMNS as COLUMNS, USER_FROM as FROM, column};
use crate::store::{NewEvent, NewUser, StoreError, StoreResult, UserRecord};

fn one(conn: &Connection, sql: &str, param: &dyn ToSql) -> StoreResult<Option<UserRecord>> {
    conn.prepare_cached(sql)?
        .query_row([param], |r| Ok(decode::user(r, 0)))
        .optional()?
        .transpose()
}

pub(super) fn by_id(conn: &Connection, id: i64) -> StoreResult<Option<UserRecord>> {
    one(
        conn,
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE u.id = ?1"),
        &id,
    )
}

pub(super) fn by_email(conn: &Connection, email: &Email) -> StoreResult<Option<UserRecord>> {
    one(
        conn,
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE u.email = ?1"),
        &email.as_str(),
    )
}

pub(super) fn exists(conn: &Connection, id: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM users WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(super) fn email_taken(conn: &Connection, email: &Email, other_than: i64) -> StoreResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM users WHERE (email = ?1 OR email_skeleton = ?2) AND id <> ?3 LIMIT 1",
        )?
        .query_row(
            params![email.as_str(), email.skeleton(), other_than],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(super) fn members(conn: &Connection, organization_id: i64) -> StoreResult<Vec<UserRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE u.organization_id = ?1 ORDER BY u.name, u.id"
    ))?;
    let rows = stmt.query_map([organization_id], |r| Ok(decode::user(r, 0)))?;
    rows.map(|r| r?).collect()
}

pub(super) fn count_owners(conn: &Connection, organization_id: i64) -> StoreResult<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM users WHERE organization_id = ?1 AND role = 'owner'")?
        .query_row([organization_id], |r| r.get(0))?)
}

pub(super) fn insert(conn: &Connection, user: &NewUser<'_>, now: i64) -> StoreResult<i64> {
    let (enabled, threshold, channels) = user.low_balance_columns();
    conn.prepare_cached(
        "INSERT INTO users (organization_id, name, email, phone, role, password_hash, \
         low_balance_enabled, low_balance_threshold, low_balance_channels, created_at, updated_at, \
         email_skeleton) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)",
    )?
    .execute(params![
        user.organization_id,
        user.name.as_str(),
        user.email.as_str(),
        user.phone.map(|p| p.as_str()),
        user.role.as_str(),
        user.password_hash,
        enabled,
        threshold,
        channels,
        now,
        user.email.skeleton()
    ])
    .map_err(|e| unique(e, "users.email"))?;
    Ok(conn.last_insert_rowid())
}

/// A unique-constraint failure as [`StoreError::Duplicate`].
fn unique(e: rusqlite::Error, what: &'static str) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Duplicate(what),
        _ => e.into(),
    }
}

/// Fills in `users.email_skeleton` where it is missing, or everywhere when
/// `email_skeleton_data` names other skeleton data than this build's (see migration
/// 0003 and the store's module doc). Returns how many rows it filled.
pub(super) fn fill_email_skeletons(conn: &mut Connection) -> StoreResult<usize> {
    let data = Email::skeleton_data();
    let current = |conn: &Connection| -> StoreResult<bool> {
        let stored: Option<String> = conn
            .query_row("SELECT version FROM email_skeleton_data", [], |r| r.get(0))
            .optional()?;
        let missing = conn
            .query_row(
                "SELECT 1 FROM users WHERE email_skeleton IS NULL LIMIT 1",
                [],
                |_| Ok(()),
            )
            .optional()?;
        Ok(stored.as_deref() == Some(data.as_str()) && missing.is_none())
    };
    // Every opening asks; only one that has work takes the write lock.
    if current(conn)? {
        return Ok(0);
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored: Option<String> = tx
        .query_row("SELECT version FROM email_skeleton_data", [], |r| r.get(0))
        .optional()?;
    if stored.as_deref() != Some(data.as_str()) {
        // All at once first, so that a recomputed skeleton never meets a stale one.
        tx.execute("UPDATE users SET email_skeleton = NULL", [])?;
        tx.execute("DELETE FROM email_skeleton_data", [])?;
        tx.execute(
            "INSERT INTO email_skeleton_data (version) VALUES (?1)",
            [&data],
        )?;
    }
    let missing: Vec<(i64, String)> = tx
        .prepare("SELECT id, email FROM users WHERE email_skeleton IS NULL ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, email) in &missing {
        let skeleton = Email::from_stored(email)
            .map_err(|e| StoreError::Corrupt(format!("users.email: {e}")))?
            .skeleton();
        let holder: Option<i64> = tx
            .query_row(
                "SELECT id FROM users WHERE email_skeleton = ?1",
                [&skeleton],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = holder {
            return Err(crate::store::look_alike_accounts(other, *id));
        }
        tx.execute(
            "UPDATE users SET email_skeleton = ?2 WHERE id = ?1",
            params![id, skeleton],
        )?;
    }
    tx.commit()?;
    Ok(missing.len())
}

pub(super) fn bump_version(conn: &Connection, user_id: i64, now: i64) -> StoreResult<i64> {
    let (version, organization_id): (i64, i64) = conn
        .prepare_cached(
            "UPDATE users SET version = version + 1, updated_at = ?2 WHERE id = ?1 \
             RETURNING version, organization_id",
        )?
        .query_row(params![user_id, now], |r| Ok((r.get(0)?, r.get(1)?)))?;
    // Every version is announced on the live stream, in the same transaction.
    super::events::insert(
        conn,
        &NewEvent {
            organization_id,
            user_id: Some(user_id),
            session_id: None,
            event: &StreamEvent::AccountChanged { version },
        },
        now,
    )?;
    Ok(version)
}

pub(super) fn set_password_hash(
    conn: &Connection,
    user_id: i64,
    hash: &str,
    now: i64,
) -> StoreResult<()> {
    conn.prepare_cached("UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![user_id, hash, now])?;
    Ok(())
}

pub(super) fn set_email(
    conn: &Connection,
    user_id: i64,
    email: &Email,
    now: i64,
) -> StoreResult<i64> {
    conn.prepare_cached("UPDATE users SET email = ?2, email_skeleton = ?3 WHERE id = ?1")?
        .execute(params![user_id, email.as_str(), email.skeleton()])
        .map_err(|e| unique(e, "users.email"))?;
    bump_version(conn, user_id, now)
}

pub(super) fn set_phone(
    conn: &Connection,
    user_id: i64,
    phone: &PhoneNumber,
    now: i64,
) -> StoreResult<i64> {
    conn.prepare_cached("UPDATE users SET phone = ?2 WHERE id = ?1")?
        .execute(params![user_id, phone.as_str()])?;
    bump_version(conn, user_id, now)
}

pub(super) fn set_role(conn: &Connection, user_id: i64, role: Role, now: i64) -> StoreResult<i64> {
    conn.prepare_cached("UPDATE users SET role = ?2 WHERE id = ?1")?
        .execute(params![user_id, role.as_str()])?;
    bump_version(conn, user_id, now)
}

pub(super) fn changed_since(
    conn: &Connection,
    user_id: i64,
    base_version: i64,
    fields: &[PrefField],
) -> StoreResult<Vec<PrefField>> {
    let mut stmt =
        conn.prepare_cached("SELECT field, version FROM field_versions WHERE user_id = ?1")?;
    let rows = stmt.query_map([user_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut changed = Vec::new();
    for row in rows {
        let (name, version) = row?;
        let field = decode::field(&name)?;
        if version > base_version && fields.contains(&field) {
            changed.push(field);
        }
    }
    changed.sort();
    Ok(changed)
}

/// A change's value in its stored form.
struct Stored(decode::StoredValue);

impl ToSql for Stored {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match &self.0 {
            decode::StoredValue::Text(t) => ToSqlOutput::from(t.as_str()),
            decode::StoredValue::Int(i) => ToSqlOutput::from(*i),
            decode::StoredValue::Flag(b) => ToSqlOutput::from(*b),
        })
    }
}

pub(super) fn apply_preferences(
    conn: &Connection,
    user_id: i64,
    changes: &[PrefChange],
    now: i64,
) -> StoreResult<i64> {
    let version = bump_version(conn, user_id, now)?;
    for change in changes {
        let field = change.field();
        conn.prepare_cached(&format!(
            "UPDATE users SET {} = ?2 WHERE id = ?1",
            column(field)
        ))?
        .execute(params![user_id, Stored(decode::stored_value(change))])?;
        conn.prepare_cached(
            "INSERT INTO field_versions (user_id, field, version) VALUES (?1, ?2, ?3) \
             ON CONFLICT (user_id, field) DO UPDATE SET version = excluded.version",
        )?
        .execute(params![user_id, field.name(), version])?;
    }
    if changes.iter().any(|c| c.field().is_region()) {
        conn.prepare_cached("UPDATE users SET region_configured = 1 WHERE id = ?1")?
            .execute([user_id])?;
    }
    Ok(version)
}
