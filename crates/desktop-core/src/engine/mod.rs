//! The sync engine: the one object the app drives.
//!
//! Contract:
//! - Offline first. [`SyncEngine::load_from_cache`] answers from the local cache without
//!   the network; [`SyncEngine::refresh`] flushes queued edits, then asks the server
//!   with a conditional `GET` (ETag), and refreshes sessions and (for owners and admins)
//!   members.
//! - Non-sensitive edits ([`PreferencesEdit`]) are applied to the cached view and queued
//!   durably in one transaction, then sent in order with the version they were based on
//!   and a stable idempotency key (see [`crate::cache`] for why that is exactly-once).
//!   A `version_conflict` drops the conflicting fields (the server's value stands),
//!   reports a [`Conflict`], and resends the rest against the new version.
//! - Password, email and phone changes go straight to the server; offline they fail
//!   with [`CoreError::Offline`]. They are never queued.
//! - State is published on a `watch` channel ([`SyncState`]: online / offline / syncing,
//!   last synced, pending edits) and every change on a `broadcast` channel ([`Change`]).
//! - The token is read from the [`TokenStore`] when needed and never written anywhere
//!   else; signing out revokes the server session, deletes the token, wipes the cache.
//!
//! - Balance and live updates: [`SyncEngine::run_events`] (in `live`) consumes the
//!   server's event stream and feeds it in here: pushed balances are cached and
//!   published as [`Change::Balance`]; "account changed" with a newer version and
//!   `resync` trigger a refresh; a (re)connection resumes after the last event handled
//!   and sends the edits queued meanwhile, so nothing missed during a gap stays missing
//!   (see `live`). Without the stream it polls with a conditional `GET`.
//! - The files: this one holds the types, opening, signing in and out and the plumbing;
//!   `read` the cache and the refresh, `edits` the offline-capable edits and the queue's
//!   sending, `online` the online-only operations, `live` the event stream.
//! - Every time the cached balance or account changes (a fetch, a push, an edit) the
//!   low-balance alert is evaluated ([`crate::alert`]) and a firing alert is published
//!   as [`Change::LowBalanceAlert`] after its state was stored: at most once per
//!   crossing even across a crash (a crash between the two loses that one
//!   notification rather than repeating it).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use account_client::{AccountFetch, Client, ClientConfig, ClientError};
use account_model::dto::{
    AccountView, MemberView, PendingChangeView, SessionView, VersionConflictDetails,
};
use account_model::{ChangeKind, ErrorCode, NewContact, ParseError, Role, Strength};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use tokio::sync::{Mutex, broadcast, watch};

use crate::alert::LowBalanceAlert;
use crate::cache::{Cache, CacheResult, CachedAccount, CachedBalance, Synced};
use crate::edit::{self, Pref, PreferencesEdit};
use crate::error::CoreError;
use crate::os::RegionDefaults;
use crate::tokens::TokenStore;

/// The cache file's name inside the data directory.
pub const CACHE_FILE: &str = "cache.sqlite3";

mod edits;
mod live;
mod online;
mod read;
pub use live::{EventsConfig, EventsEnded};

/// How to build an engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The app's data directory; the cache lives in it.
    pub data_dir: PathBuf,
    pub client: ClientConfig,
    /// Shown in the user's sessions list.
    pub device_name: String,
    /// Sent at sign-in; applied by the server only while the user never set a region.
    pub region: RegionDefaults,
}

impl EngineConfig {
    /// Device name from the OS, region defaults detected from the OS.
    pub fn new(data_dir: PathBuf, client: ClientConfig) -> Self {
        Self {
            data_dir,
            client,
            device_name: format!("Account Settings ({})", std::env::consts::OS),
            region: RegionDefaults::detect(),
        }
    }
}

/// Whether the server is reachable, as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connectivity {
    /// The last exchange with the server succeeded.
    Online,
    /// The last attempt did not reach the server, or none was made yet.
    Offline,
    /// A refresh is in progress.
    Syncing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncState {
    pub connectivity: Connectivity,
    /// When the server last confirmed the cached account.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Edits not yet acknowledged by the server.
    pub pending_edits: usize,
    /// True while the live event stream is connected (updates arrive by push); false
    /// while the app falls back to polling or is offline.
    pub live: bool,
}

/// Queued writes the server refused because another device changed the same fields
/// first. The server's values (in `server`) stand.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub discarded: Vec<Pref>,
    pub server: Box<AccountView>,
}

/// Queued writes the server refused for good (e.g. SMS after the phone was removed).
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedEdit {
    pub discarded: Vec<Pref>,
    pub code: ErrorCode,
    pub message: String,
}

/// What one pass over the queue did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlushReport {
    /// Requests the server acknowledged.
    pub acknowledged: usize,
    pub conflicts: Vec<Conflict>,
    pub rejected: Vec<RejectedEdit>,
    /// Entries still queued.
    pub pending: usize,
    /// True when the pass stopped because the server was not reachable.
    pub offline: bool,
}

/// What applying an edit did: it is always saved locally; `flushed` says whether it
/// reached the server yet.
#[derive(Debug)]
pub struct EditOutcome {
    pub account: CachedAccount,
    pub flushed: Result<FlushReport, CoreError>,
}

/// Something subscribers should show.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Account(Box<CachedAccount>),
    Sessions(Vec<SessionView>),
    Members(Vec<MemberView>),
    Conflict(Conflict),
    Rejected(RejectedEdit),
    SignedOut,
    /// The organization's balance changed (pushed, polled or fetched).
    Balance(CachedBalance),
    /// The balance crossed below the user's threshold: raise a native notification.
    LowBalanceAlert(LowBalanceAlert),
    /// The server ended this session (revoked elsewhere, expired): sign in again. The
    /// token was deleted; the cache and queued edits are kept for the same user.
    SessionEnded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignOutOutcome {
    /// False when the server could not be told (offline): the session then ends by
    /// itself after its idle timeout.
    pub revoked_on_server: bool,
}

/// The engine. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct SyncEngine {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    cache: Cache,
    tokens: Arc<dyn TokenStore>,
    server: String,
    device_name: String,
    region: RegionDefaults,
    state: watch::Sender<SyncState>,
    changes: broadcast::Sender<Change>,
    /// One queue flush at a time, so requests leave in queue order.
    flush: Mutex<()>,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("server", &self.inner.server)
            .field("state", &*self.inner.state.borrow())
            .finish_non_exhaustive()
    }
}

impl SyncEngine {
    /// Opens (creating and migrating) the cache in `config.data_dir`.
    pub async fn open(
        config: EngineConfig,
        tokens: Arc<dyn TokenStore>,
    ) -> Result<Self, CoreError> {
        let path = config.data_dir.join(CACHE_FILE);
        let cache = tokio::task::spawn_blocking(move || Cache::open(&path)).await??;
        let server = config.client.base_url().to_string();
        let client = Client::new(config.client).map_err(CoreError::Server)?;
        let cached = {
            let (cache, server) = (cache.clone(), server.clone());
            tokio::task::spawn_blocking(move || {
                if cache.is_for(&server)? {
                    cache.account()
                } else {
                    Ok(None)
                }
            })
            .await??
        };
        let (state, _) = watch::channel(SyncState {
            connectivity: Connectivity::Offline,
            last_synced_at: cached.as_ref().and_then(|c| c.synced_at),
            pending_edits: cached.as_ref().map_or(0, |c| c.pending_edits),
            live: false,
        });
        let (changes, _) = broadcast::channel(64);
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                cache,
                tokens,
                server,
                device_name: config.device_name,
                region: config.region,
                state,
                changes,
                flush: Mutex::new(()),
            }),
        })
    }

    pub fn subscribe_state(&self) -> watch::Receiver<SyncState> {
        self.inner.state.subscribe()
    }

    pub fn subscribe_changes(&self) -> broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }

    pub fn state(&self) -> SyncState {
        self.inner.state.borrow().clone()
    }

    // ---------- sign in / out ----------

    /// Signs in with the detected region defaults, keeps the token in the token store,
    /// and caches the account (wiping a cache that belonged to someone else). Then
    /// refreshes sessions and members; a failure there does not undo the sign-in.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &SecretString,
    ) -> Result<CachedAccount, CoreError> {
        let signed = self
            .inner
            .client
            .sign_in(
                email,
                password,
                Some(&self.inner.device_name),
                Some(self.inner.region.to_wire()),
            )
            .await
            .map_err(|e| {
                if e.is_network() {
                    self.mark(Connectivity::Offline, None);
                }
                CoreError::from_client("signing in", e)
            })?;
        let tokens = self.inner.tokens.clone();
        let token = signed.token;
        tokio::task::spawn_blocking(move || tokens.set(&token)).await??;
        let (server, account, now) = (self.inner.server.clone(), signed.account, Utc::now());
        self.db(move |c| c.signed_in(&server, &account, now))
            .await?;
        self.mark(Connectivity::Online, Some(now));
        if let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "refresh after sign-in failed");
        }
        let account = self
            .db(|c| c.account())
            .await?
            .ok_or(CoreError::SignedOut)?;
        self.publish(Change::Account(Box::new(account.clone())));
        if let Some(balance) = self.db(|c| c.balance()).await? {
            self.publish(Change::Balance(balance));
        }
        self.check_alert().await;
        Ok(account)
    }

    /// Revokes the session on the server (when reachable), deletes the token and wipes
    /// the cache, queued edits included. Nobody is signed in to this server when the
    /// cache is another server's: that cache and its token are left as they are.
    pub async fn sign_out(&self) -> Result<SignOutOutcome, CoreError> {
        if !self.cache_is_ours().await? {
            self.publish(Change::SignedOut);
            return Ok(SignOutOutcome {
                revoked_on_server: false,
            });
        }
        let revoked_on_server = match self.stored_token().await? {
            Some(token) => match self.inner.client.sign_out(&token).await {
                Ok(()) => true,
                Err(e) if e.code() == ErrorCode::Unauthenticated => true,
                Err(e) => {
                    tracing::warn!(error = %e, "could not revoke the session on the server");
                    false
                }
            },
            None => false,
        };
        let tokens = self.inner.tokens.clone();
        tokio::task::spawn_blocking(move || tokens.delete()).await??;
        self.db(|c| c.wipe()).await?;
        self.inner.state.send_replace(SyncState {
            connectivity: Connectivity::Offline,
            last_synced_at: None,
            pending_edits: 0,
            live: false,
        });
        self.publish(Change::SignedOut);
        Ok(SignOutOutcome { revoked_on_server })
    }

    // ---------- plumbing ----------

    /// Runs one server call that has no offline fallback.
    async fn online<T, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, CoreError>
    where
        F: FnOnce(Client, SecretString) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let token = self.token().await?;
        let result = call(self.inner.client.clone(), token).await;
        match &result {
            Err(e) if e.is_network() => self.mark(Connectivity::Offline, None),
            _ => self.mark(Connectivity::Online, None),
        }
        result.map_err(|e| CoreError::from_client(operation, e))
    }

    async fn refresh_quietly(&self) {
        if let Err(e) = self.refresh().await {
            tracing::debug!(error = %e, "refresh after a change failed");
        }
    }

    /// The session token, when the cache is this server's: a token stored by a sign-in
    /// on another server (the app started with another server address since) is never
    /// sent here.
    async fn stored_token(&self) -> Result<Option<SecretString>, CoreError> {
        if !self.cache_is_ours().await? {
            return Ok(None);
        }
        let tokens = self.inner.tokens.clone();
        Ok(tokio::task::spawn_blocking(move || tokens.get()).await??)
    }

    async fn token(&self) -> Result<SecretString, CoreError> {
        self.stored_token().await?.ok_or(CoreError::SignedOut)
    }

    async fn db<T, F>(&self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Cache) -> CacheResult<T> + Send + 'static,
    {
        let cache = self.inner.cache.clone();
        Ok(tokio::task::spawn_blocking(move || f(&cache)).await??)
    }

    /// Whether the cache is empty or this engine's server's (see `db_ours`).
    async fn cache_is_ours(&self) -> Result<bool, CoreError> {
        let server = self.inner.server.clone();
        self.db(move |c| c.is_for(&server)).await
    }

    /// Reads the cache only when it is this engine's server's. One data folder holds
    /// one cache and one token; after the app was started with another server address,
    /// what they hold belongs to the other server, so here it reads as signed out, and
    /// stays on disk untouched (starting with the old address again finds it) until
    /// someone signs in here, which wipes it.
    async fn db_ours<T, F>(&self, f: F) -> Result<Option<T>, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Cache) -> CacheResult<Option<T>> + Send + 'static,
    {
        let server = self.inner.server.clone();
        self.db(move |c| if c.is_for(&server)? { f(c) } else { Ok(None) })
            .await
    }

    fn mark(&self, connectivity: Connectivity, synced_at: Option<DateTime<Utc>>) {
        self.inner.state.send_modify(|s| {
            s.connectivity = connectivity;
            if synced_at.is_some() {
                s.last_synced_at = synced_at;
            }
        });
    }

    fn publish(&self, change: Change) {
        // No subscriber is fine: the app may not be listening yet.
        let _ = self.inner.changes.send(change);
    }
}
