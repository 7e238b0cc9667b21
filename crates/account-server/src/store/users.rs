//! Users and their settings.

use account_model::{
    Channels, Country, Email, Language, NoticeKind, PhoneNumber, Role, Threshold, TimeZone,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{StoreError, StoreResult};

/// A user as stored, every column already parsed into its domain type.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub currency: account_model::Currency,
    pub name: String,
    pub email: Email,
    pub phone: Option<PhoneNumber>,
    pub role: Role,
    pub password_hash: String,
    pub language: Language,
    pub country: Option<Country>,
    pub time_zone: TimeZone,
    pub region_configured: bool,
    pub contact_imports: Channels,
    pub billing: Channels,
    pub low_balance_enabled: bool,
    pub low_balance_threshold: Threshold,
    pub low_balance_channels: Channels,
    pub version: i64,
    pub balance_minor: i64,
}

const SELECT: &str = "SELECT u.id, u.organization_id, o.name, o.currency, u.name, u.email, u.phone, \
     u.role, u.password_hash, u.language, u.country, u.time_zone, u.region_configured, \
     u.notify_contact_imports, u.notify_billing, u.low_balance_enabled, u.low_balance_threshold, \
     u.low_balance_channels, u.version, o.balance_minor \
     FROM users u JOIN organizations o ON o.id = u.organization_id";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Result<UserRecord, StoreError>> {
    let email: String = row.get(5)?;
    let phone: Option<String> = row.get(6)?;
    let role: String = row.get(7)?;
    let language: String = row.get(9)?;
    let country: Option<String> = row.get(10)?;
    let time_zone: String = row.get(11)?;
    let contacts: String = row.get(13)?;
    let billing: String = row.get(14)?;
    let threshold: i64 = row.get(16)?;
    let low_channels: String = row.get(17)?;
    let parsed = (|| -> Result<UserRecord, StoreError> {
        Ok(UserRecord {
            id: row.get(0)?,
            organization_id: row.get(1)?,
            organization_name: row.get(2)?,
            currency: account_model::Currency::parse(&row.get::<_, String>(3)?)
                .map_err(|e| corrupt("organizations.currency", e))?,
            name: row.get(4)?,
            email: Email::parse(&email).map_err(|e| corrupt("users.email", e))?,
            phone: phone
                .map(|p| PhoneNumber::parse(&p))
                .transpose()
                .map_err(|e| corrupt("users.phone", e))?,
            role: Role::parse(&role).map_err(|e| corrupt("users.role", e))?,
            password_hash: row.get(8)?,
            language: Language::parse(&language).map_err(|e| corrupt("users.language", e))?,
            country: country
                .map(|c| Country::parse(&c))
                .transpose()
                .map_err(|e| corrupt("users.country", e))?,
            time_zone: TimeZone::parse(&time_zone).map_err(|e| corrupt("users.time_zone", e))?,
            region_configured: row.get(12)?,
            contact_imports: Channels::from_csv(NoticeKind::ContactImports, &contacts)
                .map_err(|e| corrupt("users.notify_contact_imports", e))?,
            billing: Channels::from_csv(NoticeKind::Billing, &billing)
                .map_err(|e| corrupt("users.notify_billing", e))?,
            low_balance_enabled: row.get(15)?,
            low_balance_threshold: Threshold::parse(threshold)
                .map_err(|e| corrupt("users.low_balance_threshold", e))?,
            low_balance_channels: Channels::from_csv(NoticeKind::LowBalance, &low_channels)
                .map_err(|e| corrupt("users.low_balance_channels", e))?,
            version: row.get(18)?,
            balance_minor: row.get(19)?,
        })
    })();
    Ok(parsed)
}

fn one(
    conn: &Connection,
    filter: &str,
    param: &dyn rusqlite::ToSql,
) -> StoreResult<Option<UserRecord>> {
    conn.query_row(&format!("{SELECT} WHERE {filter}"), [param], from_row)
        .optional()?
        .transpose()
}

pub fn by_id(conn: &Connection, id: i64) -> StoreResult<Option<UserRecord>> {
    one(conn, "u.id = ?1", &id)
}

pub fn by_email(conn: &Connection, email: &Email) -> StoreResult<Option<UserRecord>> {
    one(conn, "u.email = ?1", &email.as_str())
}

pub fn email_taken(conn: &Connection, email: &Email) -> StoreResult<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM users WHERE email = ?1",
            [email.as_str()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// A new user; everything else starts at the table's defaults.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub organization_id: i64,
    pub name: &'a str,
    pub email: &'a Email,
    pub phone: Option<&'a PhoneNumber>,
    pub role: Role,
    pub password_hash: &'a str,
    pub low_balance: Option<(Threshold, &'a Channels)>,
}

pub fn insert(conn: &Connection, user: &NewUser<'_>, now: i64) -> StoreResult<i64> {
    let (enabled, threshold, channels) = match user.low_balance {
        Some((t, c)) => (true, t.minor(), c.to_csv()),
        None => (false, 0, "email,desktop".to_owned()),
    };
    conn.execute(
        "INSERT INTO users (organization_id, name, email, phone, role, password_hash, \
         low_balance_enabled, low_balance_threshold, low_balance_channels, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            user.organization_id,
            user.name,
            user.email.as_str(),
            user.phone.map(|p| p.as_str()),
            user.role.as_str(),
            user.password_hash,
            enabled,
            threshold,
            channels,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Increments the account version (every change visible in the account does) and
/// returns the new one.
pub fn bump_version(conn: &Connection, user_id: i64, now: i64) -> StoreResult<i64> {
    let (version, organization_id): (i64, i64) = conn.query_row(
        "UPDATE users SET version = version + 1, updated_at = ?2 WHERE id = ?1 \
         RETURNING version, organization_id",
        params![user_id, now],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // Every version is announced on the live stream, in the same transaction.
    super::events::insert(
        conn,
        &super::events::NewEvent {
            organization_id,
            user_id: Some(user_id),
            session_id: None,
            event: &account_model::dto::StreamEvent::AccountChanged { version },
        },
        now,
    )?;
    Ok(version)
}

pub fn set_password_hash(conn: &Connection, user_id: i64, hash: &str, now: i64) -> StoreResult<()> {
    conn.execute(
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
        params![user_id, hash, now],
    )?;
    Ok(())
}

pub fn set_email(conn: &Connection, user_id: i64, email: &Email, now: i64) -> StoreResult<i64> {
    conn.execute(
        "UPDATE users SET email = ?2 WHERE id = ?1",
        params![user_id, email.as_str()],
    )?;
    bump_version(conn, user_id, now)
}

pub fn set_phone(
    conn: &Connection,
    user_id: i64,
    phone: &PhoneNumber,
    now: i64,
) -> StoreResult<i64> {
    conn.execute(
        "UPDATE users SET phone = ?2 WHERE id = ?1",
        params![user_id, phone.as_str()],
    )?;
    bump_version(conn, user_id, now)
}

pub fn set_role(conn: &Connection, user_id: i64, role: Role, now: i64) -> StoreResult<i64> {
    conn.execute(
        "UPDATE users SET role = ?2 WHERE id = ?1",
        params![user_id, role.as_str()],
    )?;
    bump_version(conn, user_id, now)
}

pub fn count_owners(conn: &Connection, organization_id: i64) -> StoreResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM users WHERE organization_id = ?1 AND role = 'owner'",
        [organization_id],
        |r| r.get(0),
    )?)
}

pub fn members(conn: &Connection, organization_id: i64) -> StoreResult<Vec<UserRecord>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE u.organization_id = ?1 ORDER BY u.name, u.id"
    ))?;
    let rows = stmt.query_map([organization_id], from_row)?;
    rows.map(|r| r?).collect()
}

/// The preference fields, as named in conflicts and in the `field_versions` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Language,
    Country,
    TimeZone,
    ContactImports,
    Billing,
    LowBalanceEnabled,
    LowBalanceThreshold,
    LowBalanceChannels,
}

impl Field {
    /// The name on the wire (the request's JSON path).
    pub fn name(self) -> &'static str {
        match self {
            Self::Language => "language",
            Self::Country => "country",
            Self::TimeZone => "timeZone",
            Self::ContactImports => "contactImports",
            Self::Billing => "billing",
            Self::LowBalanceEnabled => "lowBalance.enabled",
            Self::LowBalanceThreshold => "lowBalance.thresholdMinor",
            Self::LowBalanceChannels => "lowBalance.channels",
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::Language => "language",
            Self::Country => "country",
            Self::TimeZone => "time_zone",
            Self::ContactImports => "notify_contact_imports",
            Self::Billing => "notify_billing",
            Self::LowBalanceEnabled => "low_balance_enabled",
            Self::LowBalanceThreshold => "low_balance_threshold",
            Self::LowBalanceChannels => "low_balance_channels",
        }
    }
}

/// One field's new value, in its stored form.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Text(s) => s.to_sql(),
            Value::Int(i) => i.to_sql(),
            Value::Bool(b) => b.to_sql(),
        }
    }
}

/// The fields among `fields` changed after `base_version`.
pub fn changed_since(
    conn: &Connection,
    user_id: i64,
    base_version: i64,
    fields: &[Field],
) -> StoreResult<Vec<Field>> {
    let mut stmt = conn
        .prepare_cached("SELECT version FROM field_versions WHERE user_id = ?1 AND field = ?2")?;
    let mut changed = Vec::new();
    for field in fields {
        let version: Option<i64> = stmt
            .query_row(params![user_id, field.name()], |r| r.get(0))
            .optional()?;
        if version.is_some_and(|v| v > base_version) {
            changed.push(*field);
        }
    }
    Ok(changed)
}

/// Writes the given fields, records the version they changed at, and returns it.
/// `region_configured` becomes true when any of language, country or time zone is set.
pub fn apply_fields(
    conn: &Connection,
    user_id: i64,
    changes: &[(Field, Value)],
    now: i64,
) -> StoreResult<i64> {
    let version = bump_version(conn, user_id, now)?;
    for (field, value) in changes {
        // Column names come from the closed `Field` enum, never from input.
        conn.execute(
            &format!("UPDATE users SET {} = ?2 WHERE id = ?1", field.column()),
            params![user_id, value],
        )?;
        conn.execute(
            "INSERT INTO field_versions (user_id, field, version) VALUES (?1, ?2, ?3) \
             ON CONFLICT (user_id, field) DO UPDATE SET version = excluded.version",
            params![user_id, field.name(), version],
        )?;
    }
    if changes
        .iter()
        .any(|(f, _)| matches!(f, Field::Language | Field::Country | Field::TimeZone))
    {
        conn.execute(
            "UPDATE users SET region_configured = 1 WHERE id = ?1",
            [user_id],
        )?;
    }
    Ok(version)
}
