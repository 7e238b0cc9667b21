//! The rules of the product, written once and called by the HTTP routes and the CLI.
//!
//! Every function takes already-parsed domain values where the caller could parse them,
//! and returns [`AppError`](crate::AppError) with a specific [`ErrorCode`] for every
//! refusal. The rules run against the store's transaction traits
//! ([`ReadTx`](crate::store::ReadTx), [`WriteTx`](crate::store::WriteTx)) and never
//! learn which engine is behind them. A refusal returns before `commit`, so nothing
//! of it stays — except where a refusal must itself be recorded (a wrong code's tally,
//! a code voided), which commits first and then refuses. Argon2 runs before a write
//! transaction opens, never inside one, so a slow hash never holds a lock.
//!
//! [`ErrorCode`]: account_model::ErrorCode

pub mod account;
pub mod auth;
pub mod balance;
pub mod cache;
pub mod changes;
pub mod events;
pub mod notify;
pub mod org;
pub mod retention;

use std::sync::Arc;

use account_model::Country;
use chrono::{DateTime, Utc};
use rand::RngCore;

use crate::clock::{self, Clock};
use crate::config::Config;
use crate::crypto::{CodeHasher, PasswordHasher};
use crate::store::{Store, Wakers, WriteTx};

/// Everything the services need; one shared allocation, so a clone (axum makes one per
/// request) is one reference count.
#[derive(Debug, Clone)]
pub struct Services(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub codes: CodeHasher,
    pub sms_countries: Arc<Vec<Country>>,
    /// The event pump and the delivery worker wait on these.
    pub wakers: Wakers,
    /// What this instance's event streams follow.
    pub events: Arc<events::EventHub>,
    /// Accounts read recently, for `GET /v1/account`.
    pub cache: cache::AccountCache,
    /// Flips to true when the server shuts down; event streams end on it so a graceful
    /// shutdown does not wait for clients that never hang up.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
    /// A random name for this instance, shown in logs and (PostgreSQL) in
    /// `pg_stat_activity`.
    pub instance: Arc<str>,
}

impl std::ops::Deref for Services {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Services {
    pub fn new(store: Store, config: Arc<Config>, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let hasher = PasswordHasher::new(&config.argon2, config.limits.hash_concurrency)?;
        let codes = CodeHasher::new(config.code_secret.clone());
        let sms_countries = Arc::new(config.sms_countries()?);
        let cache = cache::AccountCache::new(std::time::Duration::from_millis(
            config.limits.account_cache_ms,
        ));
        let mut id = [0u8; 4];
        rand::rngs::OsRng.fill_bytes(&mut id);
        Ok(Self(Arc::new(Shared {
            store,
            config,
            clock,
            hasher,
            codes,
            sms_countries,
            wakers: Wakers::default(),
            events: Arc::new(events::EventHub::default()),
            cache,
            shutdown: Arc::new(tokio::sync::watch::channel(false).0),
            instance: id
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
                .into(),
        })))
    }

    /// Tells the delivery worker and the event pump that something was committed.
    /// Writes by other processes reach them through the store's watcher.
    pub fn wake(&self) {
        self.wakers.outbox.notify_one();
        self.wakers.events.notify_one();
    }

    /// Commits `tx`; the copies it made stale are forgotten before the caller answers
    /// (so a client reads its own write), and the pump and the worker are woken.
    pub async fn commit(&self, tx: Box<dyn WriteTx>) -> crate::error::AppResult<()> {
        let changed = tx.commit().await?;
        for user in &changed.users {
            self.cache.forget_user(*user);
        }
        for organization in &changed.organizations {
            self.cache.forget_organization(*organization);
        }
        self.wake();
        Ok(())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn now_ms(&self) -> i64 {
        clock::to_millis(self.now())
    }
}
