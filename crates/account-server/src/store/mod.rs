//! All SQL lives below this module; nothing else in the server writes a query or names
//! a database driver.
//!
//! The services run their rules against two transaction traits, [`ReadTx`] and
//! [`WriteTx`], and never learn which engine is behind them. One implementation per
//! engine, each with its own embedded migrations:
//! - [`sqlite`] (the embedded default: `make run`, single-machine installs): one file,
//!   one process;
//! - [`postgres`] (several identical server instances behind a load balancer).
//!
//! What the services may rely on, whatever the engine:
//! - A [`WriteTx`] commits all of its writes or none. It is dropped without
//!   [`WriteTx::commit`] → rolled back.
//! - Rules that read, decide, then write take the lock for what they decide on first:
//!   [`WriteTx::lock_user`] for a user's own settings, codes and sends,
//!   [`WriteTx::lock_organization`] for a balance, its alerts and its owners,
//!   [`WriteTx::lock_throttle`] for a wrong-password counter. SQLite serializes every
//!   writer, so they cost nothing there; on PostgreSQL they are row locks, which is what
//!   keeps limits, lockouts, idempotency and alert state exact across instances. When a
//!   transaction needs both, it locks the organization first.
//! - Event ids increase in the order the [`EventFeed`] hands events out, and the feed
//!   never hands out an id smaller than one it has already given (see `postgres::feed`
//!   for why that takes care on PostgreSQL).
//! - Instants are milliseconds since the Unix epoch (UTC), as `i64`.
//! - No two users have addresses that look alike: each row keeps its address's
//!   [`Email::skeleton`] under a UNIQUE index, written with the address by every path
//!   (so an insert or `set_email` that would break the rule is [`StoreError::Duplicate`]),
//!   and filled in when the store opens for rows that predate it or were computed with
//!   other skeleton data ([`Email::skeleton_data`]). Two existing accounts that collide
//!   stop the opening with both ids: which one keeps its address is a person's call.

pub mod copy;
mod decode;
pub mod postgres;
mod records;
pub mod sqlite;

use std::sync::Arc;

use account_model::{ChangeKind, Email, PhoneNumber, PrefChange, PrefField, Role};
use async_trait::async_trait;
use tokio::sync::Notify;

pub use records::*;

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database error: {}", postgres_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("could not create the database folder {path}: {source}")]
    Folder {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("the database is busy (another process holds its write lock)")]
    Busy,
    #[error("the stored value {0} is not valid")]
    Corrupt(String),
    /// A uniqueness rule of the schema refused a write (on PostgreSQL a concurrent
    /// transaction may get there first; the services turn this into a refusal).
    #[error("a unique value is taken: {0}")]
    Duplicate(&'static str),
    #[error("database migration failed: {0}")]
    Migration(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What PostgreSQL said, not only "db error" (the driver keeps the server's message in
/// the error's source).
pub(crate) fn postgres_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// Two existing accounts whose addresses look alike, found while filling in skeletons.
pub(crate) fn look_alike_accounts(first: i64, second: i64) -> StoreError {
    StoreError::Migration(format!(
        "users {first} and {second} have email addresses that look alike (the same UTS #39 \
         skeleton), which this release does not allow: change one of the two addresses in \
         the database, then start again"
    ))
}

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Locks held by one instance at a time, for work that must not run twice at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKey {
    /// Creating the demo organization (two instances started with `--seed-demo`).
    Seed,
    /// The periodic retention job.
    Retention,
}

/// Reads, in one consistent view where the engine gives one cheaply (SQLite: a read
/// transaction; PostgreSQL: each statement on its own, which the read paths tolerate).
#[async_trait]
pub trait ReadTx: Send {
    // users
    async fn user_by_id(&mut self, id: i64) -> StoreResult<Option<UserRecord>>;
    async fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<UserRecord>>;
    /// Whether a user other than `other_than` has `email`, or an address that looks
    /// like it (the same [`Email::skeleton`]).
    async fn email_taken(&mut self, email: &Email, other_than: i64) -> StoreResult<bool>;
    /// The organization's members, by name.
    async fn members(&mut self, organization_id: i64) -> StoreResult<Vec<UserRecord>>;
    async fn count_owners(&mut self, organization_id: i64) -> StoreResult<i64>;
    /// The fields among `fields` changed after `base_version`.
    async fn changed_since(
        &mut self,
        user_id: i64,
        base_version: i64,
        fields: &[PrefField],
    ) -> StoreResult<Vec<PrefField>>;

    // sessions
    /// The live session with this token hash (not revoked, used since `idle_cutoff`)
    /// and its user, in one lookup: every authenticated request starts here.
    async fn session_by_token(
        &mut self,
        token_hash: &[u8],
        idle_cutoff: i64,
    ) -> StoreResult<Option<(SessionRecord, UserRecord)>>;
    /// [`ReadTx::session_by_token`] and the user's pending changes, in one lookup: what
    /// `GET /v1/account` needs.
    async fn account_by_token(
        &mut self,
        token_hash: &[u8],
        idle_cutoff: i64,
    ) -> StoreResult<Option<(SessionRecord, UserRecord, PendingChanges)>>;
    /// Most recently used first.
    async fn live_sessions(
        &mut self,
        user_id: i64,
        idle_cutoff: i64,
    ) -> StoreResult<Vec<SessionRecord>>;
    async fn session_is_live(&mut self, id: &str, idle_cutoff: i64) -> StoreResult<bool>;

    // pending email/phone changes and their codes
    async fn pending_change(
        &mut self,
        user_id: i64,
        kind: ChangeKind,
    ) -> StoreResult<Option<PendingChange>>;
    /// Both kinds at once, for the account view.
    async fn pending_changes(&mut self, user_id: i64) -> StoreResult<PendingChanges>;
    /// Codes sent to the user on `kind`'s channel after `since`, and the oldest of them.
    async fn code_sends_since(
        &mut self,
        user_id: i64,
        kind: ChangeKind,
        since: i64,
    ) -> StoreResult<(i64, Option<i64>)>;

    // idempotency, organizations, balance, alerts
    async fn stored_response(
        &mut self,
        user_id: i64,
        key: &str,
    ) -> StoreResult<Option<StoredResponse>>;
    async fn organization(&mut self, id: i64) -> StoreResult<Option<Organization>>;
    async fn organization_by_name(&mut self, name: &str) -> StoreResult<Option<i64>>;
    async fn adjustment_by_key(
        &mut self,
        organization_id: i64,
        key: &str,
    ) -> StoreResult<Option<Adjustment>>;
    /// Whether the user's low-balance alert may fire; no state means armed.
    async fn alert_armed(&mut self, user_id: i64) -> StoreResult<bool>;

    // events and the outbox
    /// The newest event id (0 when none) and the oldest still kept.
    async fn event_bounds(&mut self) -> StoreResult<(i64, Option<i64>)>;
    /// Events with `after < id <= upto` that this session may see, oldest first.
    async fn visible_events(
        &mut self,
        scope: &EventScope,
        after: i64,
        upto: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Newest last.
    async fn outbox(&mut self, filter: &OutboxFilter) -> StoreResult<Vec<OutboxMessage>>;
}

/// A write transaction. Dropped without [`WriteTx::commit`], nothing of it stays.
#[async_trait]
pub trait WriteTx: ReadTx {
    /// Commits; what it changed, for readers that keep copies (the account cache).
    async fn commit(self: Box<Self>) -> StoreResult<Changed>;

    /// Waits for `key`'s lock, held until the transaction ends.
    async fn lock(&mut self, key: LockKey) -> StoreResult<()>;
    /// Takes `key`'s lock if free; false when another instance holds it.
    async fn try_lock(&mut self, key: LockKey) -> StoreResult<bool>;
    /// Locks the user's row until the transaction ends; false when there is no such user.
    async fn lock_user(&mut self, id: i64) -> StoreResult<bool>;
    /// Locks the organization's row and reads it.
    async fn lock_organization(&mut self, id: i64) -> StoreResult<Option<Organization>>;

    // users
    async fn insert_organization(
        &mut self,
        name: &str,
        currency: &str,
        balance_minor: i64,
        now: i64,
    ) -> StoreResult<i64>;
    async fn insert_user(&mut self, user: &NewUser<'_>, now: i64) -> StoreResult<i64>;
    /// Increments the account version (every change visible in the account does),
    /// announces it on the live stream, and returns it.
    async fn bump_version(&mut self, user_id: i64, now: i64) -> StoreResult<i64>;
    async fn set_password_hash(&mut self, user_id: i64, hash: &str, now: i64) -> StoreResult<()>;
    /// [`StoreError::Duplicate`] when another account has the address or one that
    /// looks like it.
    async fn set_email(&mut self, user_id: i64, email: &Email, now: i64) -> StoreResult<i64>;
    async fn set_phone(&mut self, user_id: i64, phone: &PhoneNumber, now: i64) -> StoreResult<i64>;
    async fn set_role(&mut self, user_id: i64, role: Role, now: i64) -> StoreResult<i64>;
    /// Writes the changes, records the version each field changed at, and returns it.
    /// Changing language, country or time zone marks the region as configured.
    async fn apply_preferences(
        &mut self,
        user_id: i64,
        changes: &[PrefChange],
        now: i64,
    ) -> StoreResult<i64>;

    // sessions
    async fn insert_session(&mut self, session: &NewSession<'_>, now: i64) -> StoreResult<()>;
    async fn touch_session(&mut self, id: &str, now: i64) -> StoreResult<()>;
    /// Revokes one of the user's sessions (its stream is told, and ends); false when the
    /// user has no such live session.
    async fn revoke_session(&mut self, user_id: i64, id: &str, now: i64) -> StoreResult<bool>;
    /// Revokes every live session of the user but `keep`; returns how many.
    async fn revoke_other_sessions(
        &mut self,
        user_id: i64,
        keep: &str,
        now: i64,
    ) -> StoreResult<u64>;

    // wrong-password counters
    /// Reads the counter of `key` and locks it until the transaction ends.
    async fn lock_throttle(&mut self, key: &str) -> StoreResult<Throttle>;
    async fn put_throttle(&mut self, key: &str, state: Throttle, now: i64) -> StoreResult<()>;
    async fn clear_throttle(&mut self, key: &str) -> StoreResult<()>;

    // pending changes and codes
    /// Starts (or restarts, replacing the old code) a pending change.
    async fn put_pending_change(&mut self, change: &NewPendingChange<'_>) -> StoreResult<()>;
    /// Counts a wrong code; returns the count.
    async fn add_code_failure(&mut self, user_id: i64, kind: ChangeKind) -> StoreResult<i64>;
    async fn delete_pending_change(&mut self, user_id: i64, kind: ChangeKind) -> StoreResult<bool>;
    async fn record_code_send(
        &mut self,
        user_id: i64,
        kind: ChangeKind,
        now: i64,
    ) -> StoreResult<()>;

    // idempotency, balance, alerts
    async fn store_response(
        &mut self,
        user_id: i64,
        key: &str,
        response: &StoredResponse,
        now: i64,
    ) -> StoreResult<()>;
    /// Applies `amount_minor` under `key`; the caller holds the organization's lock.
    async fn apply_adjustment(
        &mut self,
        organization_id: i64,
        key: &str,
        amount_minor: i64,
        description: &str,
        now: i64,
    ) -> StoreResult<Adjustment>;
    async fn set_alert_armed(&mut self, user_id: i64, armed: bool, now: i64) -> StoreResult<()>;
    /// Forgets the state (alert off or no permission): the next eligible crossing fires.
    async fn clear_alert(&mut self, user_id: i64) -> StoreResult<()>;

    // events and the outbox
    /// Adds an event to the live stream's history; it is seen once this commits.
    async fn insert_event(&mut self, event: &NewEvent<'_>, now: i64) -> StoreResult<i64>;
    async fn enqueue(&mut self, message: &NewMessage<'_>, now: i64) -> StoreResult<i64>;
    /// Takes up to `limit` due messages for sending: pending ones whose time has come,
    /// and ones whose sender's lease ran out. Each is marked `sending` with a new lease
    /// (`attempts` + 1) before it is returned; no two transactions can take the same one.
    async fn claim_due(
        &mut self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    /// Records a send, if the claim (`attempts`) still holds the message: a sender whose
    /// lease ran out cannot overwrite what the next one recorded.
    async fn mark_sent(&mut self, id: i64, attempts: i64, now: i64) -> StoreResult<bool>;
    /// A failed try (same claim rule): pending again at `retry_at`, or `failed`.
    async fn mark_failed(
        &mut self,
        id: i64,
        attempts: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> StoreResult<bool>;

    /// Deletes what is past its time; see [`Retention`].
    async fn prune(&mut self, rules: &Retention, now: i64) -> StoreResult<Pruned>;
}

/// The events committed since the last call, in id order: what the live streams of
/// this instance send. One per instance (the services' event pump owns it).
#[async_trait]
pub trait EventFeed: Send {
    /// The id through which every event has been handed out (the start: the newest
    /// committed when the feed was opened).
    fn position(&self) -> i64;
    /// Newly settled events, at most `limit`. `more` is true when events may be
    /// waiting that were not returned yet (the limit, or a transaction still in flight
    /// below a committed one): call again soon rather than waiting to be woken.
    async fn next(&mut self, limit: i64) -> StoreResult<FeedBatch>;
}

#[derive(Debug, Default)]
pub struct FeedBatch {
    pub events: Vec<StoredEvent>,
    pub more: bool,
}

/// Who to wake when another process changes the database: the event pump (events)
/// and the delivery worker (outbox).
#[derive(Debug, Clone, Default)]
pub struct Wakers {
    pub events: Arc<Notify>,
    pub outbox: Arc<Notify>,
}

/// One engine's store.
#[async_trait]
trait Backend: Send + Sync + std::fmt::Debug {
    fn engine(&self) -> Engine;
    async fn read(&self) -> StoreResult<Box<dyn ReadTx>>;
    async fn write(&self) -> StoreResult<Box<dyn WriteTx>>;
    async fn event_feed(&self) -> StoreResult<Box<dyn EventFeed>>;
    /// Watches for changes made by other processes (PostgreSQL: LISTEN on a dedicated
    /// connection; SQLite: the file's data version) until `shutdown`.
    fn watch_others(
        &self,
        instance: &str,
        wakers: Wakers,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()>;
}

/// The store: a cheap handle to one engine, shared by every task.
#[derive(Debug, Clone)]
pub struct Store(Arc<dyn Backend>);

impl Store {
    /// Opens the configured database (`database_url`: PostgreSQL; else the SQLite file
    /// `database_path`) and brings its schema up to date.
    pub async fn open(config: &Config) -> StoreResult<Self> {
        match &config.database_url {
            Some(url) => {
                use secrecy::ExposeSecret;
                let store = postgres::PgStore::open(
                    url.expose_secret(),
                    config.database_pool_size,
                    config.database_listen_fallback_ms,
                    config.database_ca_file.as_deref(),
                )
                .await?;
                Ok(Self(Arc::new(store)))
            }
            None => Ok(Self(Arc::new(
                sqlite::SqliteStore::open(&config.database_path).await?,
            ))),
        }
    }

    pub fn engine(&self) -> Engine {
        self.0.engine()
    }

    pub async fn read(&self) -> StoreResult<Box<dyn ReadTx>> {
        self.0.read().await
    }

    pub async fn write(&self) -> StoreResult<Box<dyn WriteTx>> {
        self.0.write().await
    }

    pub async fn event_feed(&self) -> StoreResult<Box<dyn EventFeed>> {
        self.0.event_feed().await
    }

    /// `instance` names this server instance (PostgreSQL shows it in
    /// `pg_stat_activity` as `account-server listener <instance>`).
    pub fn watch_others(
        &self,
        instance: &str,
        wakers: Wakers,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        self.0.watch_others(instance, wakers, shutdown)
    }
}
