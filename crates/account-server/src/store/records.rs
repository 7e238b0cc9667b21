//! What the store reads and writes, as the services see it: every column already
//! parsed into its domain type, the same for both engines.

use account_model::dto::StreamEvent;
use account_model::{
    ChangeKind, Channel, Channels, Country, Currency, DisplayName, Email, Language, PhoneNumber,
    Role, Threshold, TimeZone,
};

/// A user as stored, with their organization's name, currency and balance.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub organization_id: i64,
    pub organization_name: String,
    pub currency: Currency,
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

/// A new user; everything else starts at the schema's defaults. The name and the
/// address are parsed types: whatever path creates a user, they passed the look-alike
/// checks (and the address's skeleton is stored with it).
#[derive(Debug)]
pub struct NewUser<'a> {
    pub organization_id: i64,
    pub name: &'a DisplayName,
    pub email: &'a Email,
    pub phone: Option<&'a PhoneNumber>,
    pub role: Role,
    pub password_hash: &'a str,
    pub low_balance: Option<(Threshold, &'a Channels)>,
}

impl NewUser<'_> {
    /// (enabled, threshold, channels) as stored.
    pub(crate) fn low_balance_columns(&self) -> (bool, i64, String) {
        match self.low_balance {
            Some((t, c)) => (true, t.minor(), c.to_csv()),
            None => (false, 0, "email,desktop".to_owned()),
        }
    }
}

/// A session; only a SHA-256 of its bearer token is ever stored.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: i64,
    pub device_name: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(Debug)]
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: i64,
    pub token_hash: &'a [u8],
    pub device_name: &'a str,
}

/// A pending email or phone change and its code (stored as an HMAC, never in clear).
#[derive(Debug, Clone)]
pub struct PendingChange {
    pub kind: ChangeKind,
    pub target: String,
    pub code_hash: Vec<u8>,
    pub expires_at: i64,
    pub last_sent_at: i64,
    pub failed_attempts: i64,
}

#[derive(Debug, Clone, Default)]
pub struct PendingChanges {
    pub email: Option<PendingChange>,
    pub phone: Option<PendingChange>,
}

impl PendingChanges {
    pub(crate) fn put(&mut self, change: PendingChange) {
        match change.kind {
            ChangeKind::Email => self.email = Some(change),
            ChangeKind::Phone => self.phone = Some(change),
        }
    }
}

#[derive(Debug)]
pub struct NewPendingChange<'a> {
    pub user_id: i64,
    pub kind: ChangeKind,
    pub target: &'a str,
    pub code_hash: &'a [u8],
    pub now: i64,
    pub expires_at: i64,
}

/// A wrong-password counter. No row reads as the default: no failures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Throttle {
    pub failures: i64,
    pub locked_until: Option<i64>,
    /// When the counter last changed (0 for none): failures older than the window
    /// are forgotten.
    pub updated_at: i64,
}

/// A response remembered by idempotency key, so a replayed request applies once.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub request_hash: Vec<u8>,
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub currency: Currency,
    pub balance_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub id: i64,
    pub organization_id: i64,
    pub amount_minor: i64,
    pub balance_after: i64,
    pub description: String,
    pub created_at: i64,
}

/// Who an event is for: a whole organization (balance), one user (account changes,
/// alerts) or one session (revocation).
#[derive(Debug)]
pub struct NewEvent<'a> {
    pub organization_id: i64,
    pub user_id: Option<i64>,
    pub session_id: Option<&'a str>,
    pub event: &'a StreamEvent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub organization_id: i64,
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
    pub event: StreamEvent,
}

/// The session a stream belongs to: what it may see.
#[derive(Debug, Clone)]
pub struct EventScope {
    pub organization_id: i64,
    pub user_id: i64,
    pub session_id: String,
}

impl EventScope {
    pub fn sees(&self, e: &StoredEvent) -> bool {
        e.organization_id == self.organization_id
            && e.user_id.is_none_or(|u| u == self.user_id)
            && e.session_id.as_deref().is_none_or(|s| s == self.session_id)
    }
}

/// How an outgoing message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutChannel {
    Email,
    Sms,
}

impl OutChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    pub fn of(channel: Channel) -> Option<Self> {
        match channel {
            Channel::Email => Some(Self::Email),
            Channel::Sms => Some(Self::Sms),
            Channel::Desktop => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub user_id: Option<i64>,
    pub channel: OutChannel,
    pub recipient: &'a str,
    pub language: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub user_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub language: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Which messages to list.
#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub recipient: Option<String>,
    pub status: Option<String>,
    pub after_id: Option<i64>,
    pub limit: Option<i64>,
}

/// The message kinds that carry a verification code: their bodies go once the code
/// has expired.
pub const CODE_MESSAGE_KINDS: [&str; 2] = ["email_change_code", "phone_change_code"];

/// What replaces a code message's body once its code has expired.
pub const EXPIRED_CODE_BODY: &str = "(the code in this message expired and was removed)";

/// What the retention job deletes; every rule is "older than", in milliseconds.
#[derive(Debug, Clone)]
pub struct Retention {
    /// Sessions not used since this instant are expired (the idle cutoff).
    pub session_idle_cutoff: i64,
    /// Wrong-password counters unchanged for this long (and not locking) are forgotten.
    pub throttle_window_ms: i64,
    /// Code sends are counted over at most this window (the daily cap's).
    pub code_send_window_ms: i64,
    /// A code lives this long; then its message body and pending change go.
    pub code_ttl_ms: i64,
    /// The newest this many events stay; older ones are for resyncing clients.
    pub events_kept: i64,
    /// Sent and failed messages are kept this long for the outbox listing.
    pub outbox_kept_ms: i64,
    /// Idempotency keys are honoured this long.
    pub idempotency_kept_ms: i64,
}

/// How many rows the retention job removed (or, for code bodies, emptied).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: u64,
    pub throttles: u64,
    pub code_sends: u64,
    pub code_bodies: u64,
    pub pending_changes: u64,
    pub events: u64,
    pub outbox: u64,
    pub idempotency_keys: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.sessions
            + self.throttles
            + self.code_sends
            + self.code_bodies
            + self.pending_changes
            + self.events
            + self.outbox
            + self.idempotency_keys
    }
}

/// What a committed write changed that readers may hold copies of: users (their
/// account, sessions, codes) and organizations (their balance).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    pub users: Vec<i64>,
    pub organizations: Vec<i64>,
}

impl Changed {
    pub(crate) fn user(&mut self, id: i64) {
        if !self.users.contains(&id) {
            self.users.push(id);
        }
    }

    pub(crate) fn organization(&mut self, id: i64) {
        if !self.organizations.contains(&id) {
            self.organizations.push(id);
        }
    }

    pub(crate) fn event(&mut self, e: &NewEvent<'_>) {
        match e.user_id {
            Some(user) => self.user(user),
            None => self.organization(e.organization_id),
        }
    }
}
