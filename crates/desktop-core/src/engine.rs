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
//!   `resync` trigger a refresh; every (re)connection refreshes, so nothing missed
//!   during a gap stays missing. Without the stream it polls with a conditional `GET`.
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

mod live;
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

    // ---------- reading ----------

    /// The cached account, without the network. `None` when nobody is signed in.
    pub async fn load_from_cache(&self) -> Result<Option<CachedAccount>, CoreError> {
        self.db_ours(|c| c.account()).await
    }

    pub async fn cached_sessions(&self) -> Result<Option<Synced<Vec<SessionView>>>, CoreError> {
        self.db_ours(|c| c.sessions()).await
    }

    pub async fn cached_members(&self) -> Result<Option<Synced<Vec<MemberView>>>, CoreError> {
        self.db_ours(|c| c.members()).await
    }

    /// The sessions list as cached (every refresh renews it); fetched only when there is
    /// none yet, so showing the list costs no request after the refresh that brought it.
    pub async fn sessions(&self) -> Result<Option<Synced<Vec<SessionView>>>, CoreError> {
        if let Some(cached) = self.cached_sessions().await? {
            return Ok(Some(cached));
        }
        let token = self.token().await?;
        self.pull_sessions(&token).await?;
        self.cached_sessions().await
    }

    /// The members list, as [`Self::sessions`] (owners and admins).
    pub async fn members(&self) -> Result<Option<Synced<Vec<MemberView>>>, CoreError> {
        if let Some(cached) = self.cached_members().await? {
            return Ok(Some(cached));
        }
        let token = self.token().await?;
        self.pull_members(&token).await?;
        self.cached_members().await
    }

    /// Flushes queued edits, then fetches the account (conditionally), sessions and, for
    /// owners and admins, members. Offline, the cache stays as it is and the state says
    /// so.
    pub async fn refresh(&self) -> Result<CachedAccount, CoreError> {
        let token = self.token().await?;
        self.inner
            .state
            .send_modify(|s| s.connectivity = Connectivity::Syncing);
        let result = self.refresh_with(&token).await;
        match &result {
            Ok(account) => self.mark(Connectivity::Online, account.synced_at),
            Err(e) if e.is_offline() => self.mark(Connectivity::Offline, None),
            Err(_) => self.mark(Connectivity::Online, None),
        }
        result
    }

    async fn refresh_with(&self, token: &SecretString) -> Result<CachedAccount, CoreError> {
        let account = self.refresh_account(token).await?;
        self.pull_sessions(token).await?;
        if matches!(account.view.role, Role::Owner | Role::Admin) {
            self.pull_members(token).await?;
        }
        Ok(account)
    }

    /// Flushes queued edits, then fetches the account with a conditional `GET`: what
    /// the fallback poll does.
    async fn refresh_account(&self, token: &SecretString) -> Result<CachedAccount, CoreError> {
        if let (_, Some(cause)) = self.flush_pass().await? {
            return Err(CoreError::Offline {
                operation: "refreshing",
                cause,
            });
        }
        let etag = self.db(|c| c.account()).await?.and_then(|a| a.etag);
        let fetched = self
            .inner
            .client
            .account(token, etag.as_ref())
            .await
            .map_err(|e| CoreError::from_client("refreshing", e))?;
        let now = Utc::now();
        let account = match fetched {
            AccountFetch::NotModified => {
                self.db(move |c| c.confirmed(now)).await?;
                self.db(|c| c.account())
                    .await?
                    .ok_or(CoreError::SignedOut)?
            }
            AccountFetch::Fresh(view, tag) => {
                let before = self.db(|c| c.balance()).await?;
                let account = self
                    .db(move |c| c.server_account(&view, Some(&tag), now))
                    .await?;
                self.publish(Change::Account(Box::new(account.clone())));
                self.publish_balance_if_changed(before).await?;
                account
            }
        };
        self.check_alert().await;
        Ok(account)
    }

    async fn pull_sessions(&self, token: &SecretString) -> Result<(), CoreError> {
        let list = self
            .inner
            .client
            .sessions(token)
            .await
            .map_err(|e| CoreError::from_client("listing sessions", e))?;
        let (stored, now) = (list.clone(), Utc::now());
        self.db(move |c| c.set_sessions(&stored, now)).await?;
        self.publish(Change::Sessions(list));
        Ok(())
    }

    async fn pull_members(&self, token: &SecretString) -> Result<(), CoreError> {
        let list = self
            .inner
            .client
            .members(token)
            .await
            .map_err(|e| CoreError::from_client("listing members", e))?;
        let (stored, now) = (list.clone(), Utc::now());
        self.db(move |c| c.set_members(&stored, now)).await?;
        self.publish(Change::Members(list));
        Ok(())
    }

    /// Stores an account the server sent outside a refresh (a confirmed email change;
    /// later, a "settings changed elsewhere" event) and publishes it. Queued edits stay
    /// on top of it.
    pub async fn ingest_account(&self, account: AccountView) -> Result<CachedAccount, CoreError> {
        let now = Utc::now();
        let before = self.db(|c| c.balance()).await?;
        let cached = self
            .db(move |c| c.server_account(&account, None, now))
            .await?;
        self.publish(Change::Account(Box::new(cached.clone())));
        self.publish_balance_if_changed(before).await?;
        self.check_alert().await;
        Ok(cached)
    }

    /// The stored low-balance alert state (for diagnostics and tests).
    pub async fn alert_state(&self) -> Result<crate::alert::AlertState, CoreError> {
        self.db(|c| c.alert_state()).await
    }

    /// The cached balance and when the server last confirmed it, without the network.
    pub async fn cached_balance(&self) -> Result<Option<CachedBalance>, CoreError> {
        self.db_ours(|c| c.balance()).await
    }

    /// Stores a balance the server pushed, publishes it when it changed, and
    /// re-evaluates the low-balance alert.
    pub(crate) async fn ingest_balance(
        &self,
        balance: account_model::dto::BalanceView,
    ) -> Result<CachedBalance, CoreError> {
        let now = Utc::now();
        let (cached, changed) = self.db(move |c| c.set_balance(balance, now)).await?;
        self.mark(Connectivity::Online, Some(now));
        if changed {
            self.publish(Change::Balance(cached));
            if let Some(account) = self.db(|c| c.account()).await? {
                self.publish(Change::Account(Box::new(account)));
            }
        }
        self.check_alert().await;
        Ok(cached)
    }

    async fn publish_balance_if_changed(
        &self,
        before: Option<CachedBalance>,
    ) -> Result<(), CoreError> {
        let after = self.db(|c| c.balance()).await?;
        if let Some(after) = after
            && before.map(|b| b.balance) != Some(after.balance)
        {
            self.publish(Change::Balance(after));
        }
        Ok(())
    }

    /// Evaluates the low-balance alert against the cache and publishes it when it
    /// fires. A failure here must not fail the refresh or edit that triggered it: it
    /// is logged, and the next evaluation catches up.
    pub(crate) async fn check_alert(&self) {
        let now = Utc::now();
        match self.db(move |c| c.evaluate_alert(now)).await {
            Ok(Some(alert)) => self.publish(Change::LowBalanceAlert(alert)),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "evaluating the low-balance alert failed"),
        }
    }

    // ---------- offline-capable edits ----------

    /// Applies `edit` to the cached account and queues it durably (one transaction),
    /// then tries to send the queue. Refuses at once what the server would refuse for
    /// this account (billing fields without billing permission, SMS without a phone).
    pub async fn apply_edit(&self, edit: PreferencesEdit) -> Result<EditOutcome, CoreError> {
        if edit.is_empty() {
            return Err(CoreError::local(
                ParseError::new(ErrorCode::InvalidRequest, "the edit changes nothing"),
                422,
            ));
        }
        let cached = self
            .db(|c| c.account())
            .await?
            .ok_or(CoreError::SignedOut)?;
        let view = &cached.view;
        if view.notifications.billing.is_none() && edit.prefs().any(Pref::needs_billing_permission)
        {
            return Err(CoreError::local(
                ParseError::new(
                    ErrorCode::Forbidden,
                    "billing notices and the low-balance alert need billing permission",
                ),
                403,
            ));
        }
        if view.phone.is_none() && edit.prefs().any(Pref::chooses_sms) {
            return Err(CoreError::local(
                ParseError::new(
                    ErrorCode::PhoneRequired,
                    "add a phone number before choosing SMS",
                ),
                422,
            ));
        }
        let prefs: Vec<Pref> = edit.into_prefs().collect();
        let now = Utc::now();
        let queued = self.db(move |c| c.enqueue(prefs, now)).await?;
        self.inner
            .state
            .send_modify(|s| s.pending_edits = queued.pending_edits);
        self.publish(Change::Account(Box::new(queued.clone())));
        // A threshold edit counts at once, online or not.
        self.check_alert().await;
        let flushed = self.flush_queue().await;
        let account = self
            .db(|c| c.account())
            .await?
            .ok_or(CoreError::SignedOut)?;
        Ok(EditOutcome { account, flushed })
    }

    /// Sends queued edits in order until the queue is empty or the server is not
    /// reachable. Conflicts and refusals are settled and reported; an expired session
    /// stops the pass and keeps the queue for the next sign-in.
    pub async fn flush_queue(&self) -> Result<FlushReport, CoreError> {
        Ok(self.flush_pass().await?.0)
    }

    /// [`Self::flush_queue`], and the network failure that stopped it, if one did: a
    /// refresh reports it as it is instead of asking the server again to learn why.
    async fn flush_pass(&self) -> Result<(FlushReport, Option<ClientError>), CoreError> {
        let _one_at_a_time = self.inner.flush.lock().await;
        let token = self.token().await?;
        let mut report = FlushReport::default();
        let mut unreachable = None;
        loop {
            let Some(out) = self.db(|c| c.claim_next()).await? else {
                break;
            };
            let request = edit::request(out.base, &out.prefs);
            let answer = self
                .inner
                .client
                .update_preferences(&token, &request, Some(&out.key))
                .await;
            let now = Utc::now();
            match answer {
                Ok(view) => {
                    let account = self.db(move |c| c.acknowledged(&out, &view, now)).await?;
                    report.acknowledged += 1;
                    self.mark(Connectivity::Online, account.synced_at);
                    self.publish(Change::Account(Box::new(account)));
                }
                Err(ClientError::Refused(r)) if r.code == ErrorCode::VersionConflict => {
                    let VersionConflictDetails { fields, current } =
                        conflict_details(r.details.as_ref()).ok_or_else(|| {
                            CoreError::Server(ClientError::Protocol(
                                "a version_conflict without details.fields and details.current"
                                    .into(),
                            ))
                        })?;
                    let discarded: Vec<Pref> = out
                        .prefs
                        .iter()
                        .filter(|p| fields.contains(&p.field()))
                        .cloned()
                        .collect();
                    let fields: std::collections::BTreeSet<_> = fields.into_iter().collect();
                    let account = if discarded.is_empty() {
                        // Nothing of ours conflicts (should not happen): drop rather than
                        // resend the same request forever.
                        self.db(move |c| c.rejected(&out)).await?
                    } else {
                        let current = current.clone();
                        self.db(move |c| c.conflicted(&out, &fields, &current, now))
                            .await?
                    };
                    let conflict = Conflict {
                        discarded,
                        server: Box::new(current),
                    };
                    self.publish(Change::Conflict(conflict.clone()));
                    self.publish(Change::Account(Box::new(account)));
                    report.conflicts.push(conflict);
                }
                Err(ClientError::Refused(r)) if r.code == ErrorCode::Unauthenticated => {
                    return Err(CoreError::Refused(r));
                }
                Err(ClientError::Refused(r)) => {
                    let rejected = RejectedEdit {
                        discarded: out.prefs.clone(),
                        code: r.code,
                        message: r.message.clone(),
                    };
                    let account = self.db(move |c| c.rejected(&out)).await?;
                    self.publish(Change::Rejected(rejected.clone()));
                    self.publish(Change::Account(Box::new(account)));
                    report.rejected.push(rejected);
                }
                Err(e) if e.is_network() => {
                    self.mark(Connectivity::Offline, None);
                    report.offline = true;
                    unreachable = Some(e);
                    break;
                }
                Err(e) => return Err(CoreError::Server(e)),
            }
        }
        report.pending = self.db(|c| c.pending_edits()).await?;
        if report.acknowledged > 0 || !report.conflicts.is_empty() || !report.rejected.is_empty() {
            self.check_alert().await;
        }
        let pending = report.pending;
        self.inner.state.send_modify(|s| s.pending_edits = pending);
        Ok((report, unreachable))
    }

    // ---------- online-only operations ----------

    pub async fn change_password(
        &self,
        current: &SecretString,
        new: &SecretString,
        repeat: &SecretString,
    ) -> Result<(), CoreError> {
        self.online("changing the password", |c, t| async move {
            c.change_password(&t, current, new, repeat).await
        })
        .await?;
        // The server signed the other sessions out: the list shows it before this returns.
        let token = self.token().await?;
        if let Err(e) = self.pull_sessions(&token).await {
            tracing::debug!(error = %e, "re-reading the sessions after the password change failed");
        }
        Ok(())
    }

    pub async fn password_strength(&self, candidate: &SecretString) -> Result<Strength, CoreError> {
        self.online("checking the password", |c, t| async move {
            c.password_strength(&t, candidate).await
        })
        .await
    }

    /// Starts the change to `new` (a code goes there), then refreshes so the cached
    /// account shows the code step.
    pub async fn request_change(
        &self,
        new: NewContact<'_>,
        password: &SecretString,
    ) -> Result<PendingChangeView, CoreError> {
        let operation = match new.kind() {
            ChangeKind::Email => "changing the email",
            ChangeKind::Phone => "changing the phone number",
        };
        let pending = self
            .online(operation, |c, t| async move {
                c.request_change(&t, new, password).await
            })
            .await?;
        self.refresh_quietly().await;
        Ok(pending)
    }

    pub async fn resend_code(&self, kind: ChangeKind) -> Result<PendingChangeView, CoreError> {
        self.online("sending a new code", |c, t| async move {
            c.resend_code(&t, kind).await
        })
        .await
    }

    pub async fn confirm_change(
        &self,
        kind: ChangeKind,
        code: &str,
    ) -> Result<CachedAccount, CoreError> {
        let operation = match kind {
            ChangeKind::Email => "confirming the email",
            ChangeKind::Phone => "confirming the phone number",
        };
        let view = self
            .online(operation, |c, t| async move {
                c.confirm_change(&t, kind, code).await
            })
            .await?;
        self.ingest_account(view).await
    }

    pub async fn cancel_change(&self, kind: ChangeKind) -> Result<(), CoreError> {
        let operation = match kind {
            ChangeKind::Email => "cancelling the email change",
            ChangeKind::Phone => "cancelling the phone change",
        };
        self.online(
            operation,
            |c, t| async move { c.cancel_change(&t, kind).await },
        )
        .await?;
        self.refresh_quietly().await;
        Ok(())
    }

    pub async fn revoke_session(&self, id: &str) -> Result<(), CoreError> {
        self.online("signing out a session", |c, t| async move {
            c.revoke_session(&t, id).await
        })
        .await?;
        let token = self.token().await?;
        self.pull_sessions(&token).await
    }

    pub async fn revoke_other_sessions(&self) -> Result<u64, CoreError> {
        let n = self
            .online("signing out other sessions", |c, t| async move {
                c.revoke_other_sessions(&t).await
            })
            .await?;
        let token = self.token().await?;
        self.pull_sessions(&token).await?;
        Ok(n)
    }

    pub async fn change_role(&self, user_id: i64, role: Role) -> Result<MemberView, CoreError> {
        let member = self
            .online("changing a role", |c, t| async move {
                c.change_role(&t, user_id, role).await
            })
            .await?;
        let token = self.token().await?;
        self.pull_members(&token).await?;
        Ok(member)
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

/// The typed `details` of a `version_conflict`.
fn conflict_details(details: Option<&serde_json::Value>) -> Option<VersionConflictDetails> {
    serde_json::from_value(details?.clone()).ok()
}
