//! Reading records out of a result row, written once for both engines.
//!
//! Each engine's row type implements [`Columns`]; the `decode_*` functions name the
//! columns of each record in the order its engine's `SELECT` lists them, and parse
//! every value into its domain type. Values this system wrote after a full parse are
//! read back with the cheap `from_stored` constructors (see `Email::from_stored`).

use account_model::dto::StreamEvent;
use account_model::{
    ChangeKind, Channels, Country, Currency, Email, Language, NoticeKind, PhoneNumber, Role,
    Threshold, TimeZone,
};

use super::{
    Adjustment, OutboxMessage, PendingChange, SessionRecord, StoreError, StoreResult, StoredEvent,
    UserRecord,
};

/// A result row, by column index.
pub(crate) trait Columns {
    fn text(&self, i: usize) -> StoreResult<String>;
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>>;
    fn int(&self, i: usize) -> StoreResult<i64>;
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>>;
    fn flag(&self, i: usize) -> StoreResult<bool>;
    fn bytes(&self, i: usize) -> StoreResult<Vec<u8>>;
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> StoreResult<String> {
        Ok(self.get(i)?)
    }
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        Ok(self.get(i)?)
    }
    fn int(&self, i: usize) -> StoreResult<i64> {
        Ok(self.get(i)?)
    }
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        Ok(self.get(i)?)
    }
    fn flag(&self, i: usize) -> StoreResult<bool> {
        Ok(self.get(i)?)
    }
    fn bytes(&self, i: usize) -> StoreResult<Vec<u8>> {
        Ok(self.get(i)?)
    }
}

impl Columns for tokio_postgres::Row {
    fn text(&self, i: usize) -> StoreResult<String> {
        Ok(self.try_get(i)?)
    }
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        Ok(self.try_get(i)?)
    }
    fn int(&self, i: usize) -> StoreResult<i64> {
        Ok(self.try_get(i)?)
    }
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        Ok(self.try_get(i)?)
    }
    fn flag(&self, i: usize) -> StoreResult<bool> {
        Ok(self.try_get(i)?)
    }
    fn bytes(&self, i: usize) -> StoreResult<Vec<u8>> {
        Ok(self.try_get(i)?)
    }
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// The columns of a [`UserRecord`] (users `u` joined to organizations `o`), in the
/// order [`user`] reads them.
pub(crate) const USER_COLUMNS: &str = "u.id, u.organization_id, o.name, o.currency, u.name, \
     u.email, u.phone, u.role, u.password_hash, u.language, u.country, u.time_zone, \
     u.region_configured, u.notify_contact_imports, u.notify_billing, u.low_balance_enabled, \
     u.low_balance_threshold, u.low_balance_channels, u.version, o.balance_minor";
pub(crate) const USER_FROM: &str = "users u JOIN organizations o ON o.id = u.organization_id";

/// A user whose columns start at `at`.
pub(crate) fn user(row: &impl Columns, at: usize) -> StoreResult<UserRecord> {
    let channels = |i: usize, kind: NoticeKind, what: &str| -> StoreResult<Channels> {
        Channels::from_csv(kind, &row.text(at + i)?).map_err(|e| corrupt(what, e))
    };
    Ok(UserRecord {
        id: row.int(at)?,
        organization_id: row.int(at + 1)?,
        organization_name: row.text(at + 2)?,
        currency: currency(&row.text(at + 3)?)?,
        name: row.text(at + 4)?,
        email: Email::from_stored(&row.text(at + 5)?).map_err(|e| corrupt("users.email", e))?,
        phone: row
            .opt_text(at + 6)?
            .map(|p| PhoneNumber::from_stored(&p))
            .transpose()
            .map_err(|e| corrupt("users.phone", e))?,
        role: Role::parse(&row.text(at + 7)?).map_err(|e| corrupt("users.role", e))?,
        password_hash: row.text(at + 8)?,
        language: Language::parse(&row.text(at + 9)?).map_err(|e| corrupt("users.language", e))?,
        country: row
            .opt_text(at + 10)?
            .map(|c| Country::parse(&c))
            .transpose()
            .map_err(|e| corrupt("users.country", e))?,
        time_zone: TimeZone::parse(&row.text(at + 11)?)
            .map_err(|e| corrupt("users.time_zone", e))?,
        region_configured: row.flag(at + 12)?,
        contact_imports: channels(
            13,
            NoticeKind::ContactImports,
            "users.notify_contact_imports",
        )?,
        billing: channels(14, NoticeKind::Billing, "users.notify_billing")?,
        low_balance_enabled: row.flag(at + 15)?,
        low_balance_threshold: Threshold::parse(row.int(at + 16)?)
            .map_err(|e| corrupt("users.low_balance_threshold", e))?,
        low_balance_channels: channels(17, NoticeKind::LowBalance, "users.low_balance_channels")?,
        version: row.int(at + 18)?,
        balance_minor: row.int(at + 19)?,
    })
}

pub(crate) fn currency(raw: &str) -> StoreResult<Currency> {
    Currency::parse(raw).map_err(|e| corrupt("organizations.currency", e))
}

pub(crate) const SESSION_COLUMNS: &str =
    "s.id, s.user_id, s.device_name, s.created_at, s.last_seen_at";

pub(crate) fn session(row: &impl Columns) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: row.text(0)?,
        user_id: row.int(1)?,
        device_name: row.text(2)?,
        created_at: row.int(3)?,
        last_seen_at: row.int(4)?,
    })
}

pub(crate) const PENDING_COLUMNS: &str =
    "purpose, target, code_hash, expires_at, last_sent_at, failed_attempts";

pub(crate) fn pending(row: &impl Columns) -> StoreResult<PendingChange> {
    pending_at(row, 0)
}

/// A pending change whose columns start at `at`.
fn pending_at(row: &impl Columns, at: usize) -> StoreResult<PendingChange> {
    let purpose = row.text(at)?;
    Ok(PendingChange {
        kind: ChangeKind::parse(&purpose)
            .ok_or_else(|| corrupt("verifications.purpose", &purpose))?,
        target: row.text(at + 1)?,
        code_hash: row.bytes(at + 2)?,
        expires_at: row.int(at + 3)?,
        last_sent_at: row.int(at + 4)?,
        failed_attempts: row.int(at + 5)?,
    })
}

/// The statement behind [`ReadTx::account_by_token`](super::ReadTx::account_by_token):
/// the session, its user and their pending changes (one row per change, or one row
/// with none); `p1` and `p2` are the engine's placeholders for the token hash and the
/// idle cutoff.
pub(crate) fn account_by_token_sql(p1: &str, p2: &str) -> String {
    format!(
        "SELECT {SESSION_COLUMNS}, {USER_COLUMNS}, v.purpose, v.target, v.code_hash, \
         v.expires_at, v.last_sent_at, v.failed_attempts \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         JOIN organizations o ON o.id = u.organization_id \
         LEFT JOIN verifications v ON v.user_id = u.id \
         WHERE s.token_hash = {p1} AND s.revoked_at IS NULL AND s.last_seen_at >= {p2}"
    )
}

/// Folds the rows of [`account_by_token_sql`] into the session, user and changes.
#[derive(Default)]
pub(crate) struct AccountRows(Option<(SessionRecord, UserRecord, super::PendingChanges)>);

impl AccountRows {
    pub(crate) fn add(&mut self, row: &impl Columns) -> StoreResult<()> {
        const PENDING_AT: usize = 25;
        let (_, _, pending) = match &mut self.0 {
            Some(found) => found,
            None => self
                .0
                .insert((session(row)?, user(row, 5)?, Default::default())),
        };
        if row.opt_text(PENDING_AT)?.is_some() {
            pending.put(pending_at(row, PENDING_AT)?);
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Option<(SessionRecord, UserRecord, super::PendingChanges)> {
        self.0
    }
}

pub(crate) const ADJUSTMENT_COLUMNS: &str =
    "id, organization_id, amount_minor, balance_after, description, created_at";

pub(crate) fn adjustment(row: &impl Columns) -> StoreResult<Adjustment> {
    Ok(Adjustment {
        id: row.int(0)?,
        organization_id: row.int(1)?,
        amount_minor: row.int(2)?,
        balance_after: row.int(3)?,
        description: row.text(4)?,
        created_at: row.int(5)?,
    })
}

pub(crate) const EVENT_COLUMNS: &str = "id, organization_id, user_id, session_id, payload";

/// An event whose columns start at `at`.
pub(crate) fn event(row: &impl Columns, at: usize) -> StoreResult<StoredEvent> {
    let id = row.int(at)?;
    let event: StreamEvent = serde_json::from_str(&row.text(at + 4)?)
        .map_err(|e| corrupt(&format!("events.payload {id}"), e))?;
    Ok(StoredEvent {
        id,
        organization_id: row.int(at + 1)?,
        user_id: row.opt_int(at + 2)?,
        session_id: row.opt_text(at + 3)?,
        event,
    })
}

pub(crate) fn event_payload(event: &StreamEvent) -> StoreResult<String> {
    serde_json::to_string(event).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) const OUTBOX_COLUMNS: &str =
    "id, user_id, channel, recipient, language, kind, subject, body, status, attempts, created_at";

pub(crate) fn message(row: &impl Columns) -> StoreResult<OutboxMessage> {
    Ok(OutboxMessage {
        id: row.int(0)?,
        user_id: row.opt_int(1)?,
        channel: row.text(2)?,
        recipient: row.text(3)?,
        language: row.text(4)?,
        kind: row.text(5)?,
        subject: row.text(6)?,
        body: row.text(7)?,
        status: row.text(8)?,
        attempts: row.int(9)?,
        created_at: row.int(10)?,
    })
}

/// The column a preference field is stored in, in both engines. Column names in SQL
/// come from this closed list, never from input.
pub(crate) fn column(field: account_model::PrefField) -> &'static str {
    use account_model::PrefField::*;
    match field {
        Language => "language",
        Country => "country",
        TimeZone => "time_zone",
        ContactImports => "notify_contact_imports",
        Billing => "notify_billing",
        LowBalanceEnabled => "low_balance_enabled",
        LowBalanceThreshold => "low_balance_threshold",
        LowBalanceChannels => "low_balance_channels",
    }
}

/// Field names of `field_versions` rows, back to fields.
pub(crate) fn field(name: &str) -> StoreResult<account_model::PrefField> {
    account_model::PrefField::from_name(name).ok_or_else(|| corrupt("field_versions.field", name))
}

pub(crate) const ORGANIZATION_COLUMNS: &str = "id, name, currency, balance_minor";

pub(crate) fn organization(row: &impl Columns) -> StoreResult<super::Organization> {
    Ok(super::Organization {
        id: row.int(0)?,
        name: row.text(1)?,
        currency: currency(&row.text(2)?)?,
        balance_minor: row.int(3)?,
    })
}

/// A preference change's value as both engines store it.
pub(crate) enum StoredValue {
    Text(String),
    Int(i64),
    Flag(bool),
}

pub(crate) fn stored_value(change: &account_model::PrefChange) -> StoredValue {
    use account_model::PrefChange::*;
    match change {
        Language(l) => StoredValue::Text(l.as_str().to_owned()),
        Country(c) => StoredValue::Text(c.as_str().to_owned()),
        TimeZone(t) => StoredValue::Text(t.as_str().to_owned()),
        ContactImports(c) | Billing(c) | LowBalanceChannels(c) => StoredValue::Text(c.to_csv()),
        LowBalanceEnabled(b) => StoredValue::Flag(*b),
        LowBalanceThreshold(t) => StoredValue::Int(t.minor()),
    }
}
