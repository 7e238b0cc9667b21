//! The rules of the product, written once and called by the HTTP routes and the CLI.
//!
//! Every function takes already-parsed domain values where the caller could parse them,
//! and returns [`AppError`](crate::AppError) with a specific [`ErrorCode`] for every
//! refusal. Store calls that must happen together run in one write transaction;
//! argon2 runs before it, never inside it, so a slow hash never holds the write lock.

pub mod account;
pub mod auth;
pub mod balance;
pub mod changes;
pub mod notify;
pub mod org;

use std::sync::Arc;

use account_model::Country;
use chrono::{DateTime, Utc};

use crate::clock::{self, Clock};
use crate::config::Config;
use crate::crypto::{CodeHasher, PasswordHasher};
use crate::store::Db;

/// Everything the services need; cheap to clone (all shared).
#[derive(Debug, Clone)]
pub struct Services {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub codes: CodeHasher,
    pub sms_countries: Arc<Vec<Country>>,
    /// Woken whenever a message is written to the outbox.
    pub outbox_ready: Arc<tokio::sync::Notify>,
    /// The newest event id known to this process; event streams wait on it.
    pub events: Arc<tokio::sync::watch::Sender<i64>>,
    /// Flips to true when the server shuts down; event streams end on it so a graceful
    /// shutdown does not wait for clients that never hang up.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Services {
    pub fn new(db: Db, config: Arc<Config>, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let hasher = PasswordHasher::new(&config.argon2, config.limits.hash_concurrency)?;
        let codes = CodeHasher::new(config.code_secret.clone());
        let sms_countries = Arc::new(config.sms_countries()?);
        Ok(Self {
            db,
            config,
            clock,
            hasher,
            codes,
            sms_countries,
            outbox_ready: Arc::new(tokio::sync::Notify::new()),
            events: Arc::new(tokio::sync::watch::channel(0).0),
            shutdown: Arc::new(tokio::sync::watch::channel(false).0),
        })
    }

    /// Tells the delivery worker and the event streams that something was written.
    /// Writes by other processes (the CLI) are found by the poller in `crate::app`.
    pub fn wake(&self) {
        self.outbox_ready.notify_one();
        self.events_changed();
    }

    /// Re-reads the newest event id and wakes the streams when it moved.
    pub fn events_changed(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            if let Ok(latest) = this.db.call(|c| crate::store::events::latest_id(c)).await {
                this.events.send_if_modified(|current| {
                    let moved = latest > *current;
                    if moved {
                        *current = latest;
                    }
                    moved
                });
            }
        });
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn now_ms(&self) -> i64 {
        clock::to_millis(self.now())
    }
}
