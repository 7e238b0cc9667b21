//! Users, their settings and the version each setting changed at.

use account_model::dto::StreamEvent;
use account_model::{Email, PhoneNumber, PrefChange, PrefField, Role};
use tokio_postgres::types::ToSql;

use super::Client;
use crate::store::decode::{self, USER_COLUMNS as COLUMNS, USER_FROM as FROM, column};
use crate::store::{NewEvent, NewUser, StoreError, StoreResult, UserRecord};

async fn one(c: &Client, sql: &str, param: &(dyn ToSql + Sync)) -> StoreResult<Option<UserRecord>> {
    let stmt = c.prepare_cached(sql).await?;
    c.query_opt(&stmt, &[param])
        .await?
        .map(|r| decode::user(&r, 0))
        .transpose()
}

pub(super) async fn by_id(c: &Client, id: i64) -> StoreResult<Option<UserRecord>> {
    one(
        c,
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE u.id = $1"),
        &id,
    )
    .await
}

pub(super) async fn by_email(c: &Client, email: &Email) -> StoreResult<Option<UserRecord>> {
    one(
        c,
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE u.email = $1"),
        &email.as_str(),
    )
    .await
}

pub(super) async fn lock(c: &Client, id: i64) -> StoreResult<bool> {
    let stmt = c
        .prepare_cached("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .await?;
    Ok(c.query_opt(&stmt, &[&id]).await?.is_some())
}

pub(super) async fn email_taken(c: &Client, email: &Email, other_than: i64) -> StoreResult<bool> {
    let stmt = c
        .prepare_cached(
            "SELECT 1 FROM users WHERE (email = $1 OR email_skeleton = $2) AND id <> $3 LIMIT 1",
        )
        .await?;
    Ok(
        c.query_opt(&stmt, &[&email.as_str(), &email.skeleton(), &other_than])
            .await?
            .is_some(),
    )
}

pub(super) async fn members(c: &Client, organization_id: i64) -> StoreResult<Vec<UserRecord>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE u.organization_id = $1 ORDER BY u.name, u.id"
        ))
        .await?;
    c.query(&stmt, &[&organization_id])
        .await?
        .iter()
        .map(|r| decode::user(r, 0))
        .collect()
}

pub(super) async fn count_owners(c: &Client, organization_id: i64) -> StoreResult<i64> {
    let stmt = c
        .prepare_cached("SELECT count(*) FROM users WHERE organization_id = $1 AND role = 'owner'")
        .await?;
    Ok(c.query_one(&stmt, &[&organization_id]).await?.try_get(0)?)
}

/// A unique-constraint failure as [`StoreError::Duplicate`].
pub(super) fn unique(e: tokio_postgres::Error, what: &'static str) -> StoreError {
    if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) {
        StoreError::Duplicate(what)
    } else {
        e.into()
    }
}

pub(super) async fn insert(c: &Client, user: &NewUser<'_>, now: i64) -> StoreResult<i64> {
    let (enabled, threshold, channels) = user.low_balance_columns();
    let stmt = c
        .prepare_cached(
            "INSERT INTO users (organization_id, name, email, phone, role, password_hash, \
             low_balance_enabled, low_balance_threshold, low_balance_channels, created_at, updated_at, \
             email_skeleton) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
        )
        .await?;
    let row = c
        .query_one(
            &stmt,
            &[
                &user.organization_id,
                &user.name.as_str(),
                &user.email.as_str(),
                &user.phone.map(|p| p.as_str()),
                &user.role.as_str(),
                &user.password_hash,
                &enabled,
                &threshold,
                &channels,
                &now,
                &user.email.skeleton(),
            ],
        )
        .await
        .map_err(|e| unique(e, "users.email"))?;
    Ok(row.try_get(0)?)
}

pub(super) async fn bump_version(c: &Client, user_id: i64, now: i64) -> StoreResult<i64> {
    let stmt = c
        .prepare_cached(
            "UPDATE users SET version = version + 1, updated_at = $2 WHERE id = $1 \
             RETURNING version, organization_id",
        )
        .await?;
    let row = c.query_one(&stmt, &[&user_id, &now]).await?;
    let (version, organization_id): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    super::feed::insert(
        c,
        &NewEvent {
            organization_id,
            user_id: Some(user_id),
            session_id: None,
            event: &StreamEvent::AccountChanged { version },
        },
        now,
    )
    .await?;
    Ok(version)
}

pub(super) async fn set_password_hash(
    c: &Client,
    user_id: i64,
    hash: &str,
    now: i64,
) -> StoreResult<()> {
    let stmt = c
        .prepare_cached("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .await?;
    c.execute(&stmt, &[&user_id, &hash, &now]).await?;
    Ok(())
}

pub(super) async fn set_email(
    c: &Client,
    user_id: i64,
    email: &Email,
    now: i64,
) -> StoreResult<i64> {
    let stmt = c
        .prepare_cached("UPDATE users SET email = $2, email_skeleton = $3 WHERE id = $1")
        .await?;
    c.execute(&stmt, &[&user_id, &email.as_str(), &email.skeleton()])
        .await
        .map_err(|e| unique(e, "users.email"))?;
    bump_version(c, user_id, now).await
}

pub(super) async fn set_phone(
    c: &Client,
    user_id: i64,
    phone: &PhoneNumber,
    now: i64,
) -> StoreResult<i64> {
    let stmt = c
        .prepare_cached("UPDATE users SET phone = $2 WHERE id = $1")
        .await?;
    c.execute(&stmt, &[&user_id, &phone.as_str()]).await?;
    bump_version(c, user_id, now).await
}

pub(super) async fn set_role(c: &Client, user_id: i64, role: Role, now: i64) -> StoreResult<i64> {
    let stmt = c
        .prepare_cached("UPDATE users SET role = $2 WHERE id = $1")
        .await?;
    c.execute(&stmt, &[&user_id, &role.as_str()]).await?;
    bump_version(c, user_id, now).await
}

pub(super) async fn changed_since(
    c: &Client,
    user_id: i64,
    base_version: i64,
    fields: &[PrefField],
) -> StoreResult<Vec<PrefField>> {
    let stmt = c
        .prepare_cached("SELECT field, version FROM field_versions WHERE user_id = $1")
        .await?;
    let mut changed = Vec::new();
    for row in c.query(&stmt, &[&user_id]).await? {
        let name: &str = row.try_get(0)?;
        let version: i64 = row.try_get(1)?;
        let field = decode::field(name)?;
        if version > base_version && fields.contains(&field) {
            changed.push(field);
        }
    }
    changed.sort();
    Ok(changed)
}

/// A change's value in its stored form.
fn value(change: &PrefChange) -> Box<dyn ToSql + Sync + Send> {
    match decode::stored_value(change) {
        decode::StoredValue::Text(t) => Box::new(t),
        decode::StoredValue::Int(i) => Box::new(i),
        decode::StoredValue::Flag(b) => Box::new(b),
    }
}

/// One UPDATE for every changed column and one upsert for every field's version: two
/// round trips however many fields change.
pub(super) async fn apply_preferences(
    c: &Client,
    user_id: i64,
    changes: &[PrefChange],
    now: i64,
) -> StoreResult<i64> {
    let version = bump_version(c, user_id, now).await?;
    let values: Vec<_> = changes.iter().map(value).collect();
    let mut sets: Vec<String> = changes
        .iter()
        .enumerate()
        .map(|(i, change)| format!("{} = ${}", column(change.field()), i + 2))
        .collect();
    if changes.iter().any(|c| c.field().is_region()) {
        sets.push("region_configured = true".to_owned());
    }
    let update = format!("UPDATE users SET {} WHERE id = $1", sets.join(", "));
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&user_id];
    params.extend(values.iter().map(|v| v.as_ref() as &(dyn ToSql + Sync)));
    let stmt = c.prepare_cached(&update).await?;
    c.execute(&stmt, &params).await?;
    let names: Vec<&str> = changes.iter().map(|c| c.field().name()).collect();
    let stmt = c
        .prepare_cached(
            "INSERT INTO field_versions (user_id, field, version) \
             SELECT $1, unnest($2::text[]), $3 \
             ON CONFLICT (user_id, field) DO UPDATE SET version = excluded.version",
        )
        .await?;
    c.execute(&stmt, &[&user_id, &names, &version]).await?;
    Ok(version)
}
