//! The app's state behind the window and the tray: one [`SyncEngine`] per server,
//! and the background work that keeps running while the window is closed.
//!
//! Why it is shaped like this:
//! - The engine is bound to one server address. Signing in to another server opens a
//!   new engine on the same data directory (the cache then belongs to the new account)
//!   and stops the old one's background tasks.
//! - Background work lives in Rust, not in the page: the window (and its WebKit
//!   processes) is destroyed when closed to the tray, but the event stream, the tray
//!   balance and the native low-balance notification carry on. Each engine has:
//!   a change watcher (engine changes → tray, page events, notifications), a state
//!   watcher (online/offline/pending → page), and, while signed in, the live event
//!   stream (`SyncEngine::run_events`).
//! - Everything the page shows comes from the engine's cache, so reopening the window
//!   renders at once, without the network.

use std::path::PathBuf;
use std::sync::Arc;

use account_model::Language;
use account_model::i18n::Message;
use desktop_core::engine::{EngineConfig, EventsConfig, EventsEnded};
use desktop_core::{AlertRule, Change, CoreError, KeyringTokenStore, LowBalanceAlert, SyncEngine};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard, watch};

use crate::error::UiResult;
use crate::payload::{
    AccountPayload, AppStatePayload, BalancePayload, ConflictPayload, Detected, MembersPayload,
    RejectedPayload, SessionsPayload, SyncPayload,
};
use crate::settings::{ServerAddress, Settings};
use crate::tray::{Tray, TrayView};

/// The engine in use, with the switch that stops its background tasks.
struct Running {
    engine: SyncEngine,
    server: ServerAddress,
    stop: watch::Sender<bool>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// Managed by Tauri; every command reaches the engine through it.
pub struct Desktop {
    pub data_dir: PathBuf,
    settings: std::sync::Mutex<Settings>,
    /// `None` only while the engine opens at start-up (the opener holds the lock until
    /// it is in), or for good when that failed and the process is exiting.
    current: Arc<Mutex<Option<Running>>>,
    /// True once the launch is past its start-up: the tray exists, which is after the
    /// window's first frame, at once for a tray-only launch, or after the fallback wait
    /// (see `crate::build_tray_soon`). The live stream waits for it: its first
    /// connection makes the HTTP client, whose trust-store parse (~45 ms of CPU) would
    /// otherwise run beside the first frame.
    started: watch::Sender<bool>,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

async fn open_engine(
    data_dir: &std::path::Path,
    server: &ServerAddress,
) -> Result<SyncEngine, CoreError> {
    let client = account_client::ClientConfig::new(server.as_str()).map_err(CoreError::Server)?;
    let config = EngineConfig::new(data_dir.to_owned(), client);
    let tokens = Arc::new(KeyringTokenStore::for_data_dir(data_dir));
    SyncEngine::open(config, tokens).await
}

impl Desktop {
    /// Returns at once and opens the engine for `server` on a worker (offline is fine:
    /// it reads the cache), then starts its background tasks; commands wait for it.
    /// Why not before the window: opening it on the main thread held the window back
    /// (first paint ~45 ms later here). A cache that cannot be opened ends the app.
    pub fn open_in_background<R: Runtime>(
        app: &AppHandle<R>,
        data_dir: PathBuf,
        settings: Settings,
        server: ServerAddress,
    ) -> Self {
        let current = Arc::new(Mutex::new(None));
        let Ok(mut slot) = current.clone().try_lock_owned() else {
            unreachable!("a new mutex is unlocked");
        };
        let (app, dir) = (app.clone(), data_dir.clone());
        tauri::async_runtime::spawn(async move {
            match open_engine(&dir, &server).await {
                Ok(engine) => {
                    tracing::debug!("cache open");
                    *slot = Some(start(&app, engine, server).await);
                    tracing::debug!("engine running");
                }
                Err(e) => {
                    // Exits from here, not through the event loop: the main thread may be
                    // waiting for this engine (the tray of a `--tray` launch), and would
                    // never turn to an exit request.
                    eprintln!("Account Settings could not start: cannot open the local cache: {e}");
                    std::process::exit(1);
                }
            }
        });
        Self {
            data_dir,
            settings: std::sync::Mutex::new(settings),
            current,
            started: watch::Sender::new(false),
        }
    }

    /// The engine in use and its tasks; waits while it opens at start-up.
    async fn running(&self) -> MappedMutexGuard<'_, Running> {
        match MutexGuard::try_map(self.current.lock().await, Option::as_mut) {
            Ok(running) => running,
            // Opening failed: the process is exiting (see `open_in_background`).
            Err(_) => std::future::pending().await,
        }
    }

    /// The launch is past its start-up (see `started`).
    pub fn mark_started(&self) {
        self.started.send_replace(true);
    }

    pub async fn engine(&self) -> SyncEngine {
        self.running().await.engine.clone()
    }

    pub async fn server(&self) -> ServerAddress {
        self.running().await.server.clone()
    }

    /// What the page starts from: the cached account, the sync state, the server and
    /// the OS's region defaults (`app_state`, and embedded in the page: [`crate::boot`]).
    pub async fn app_state(&self) -> UiResult<AppStatePayload> {
        let engine = self.engine().await;
        let account = engine.load_from_cache().await?;
        Ok(AppStatePayload {
            server: self.server().await.as_str().to_owned(),
            signed_in: account.is_some(),
            account: account.map(Into::into),
            sync: SyncPayload::from(&engine.state()),
            detected: Detected::from(desktop_core::RegionDefaults::detect()),
        })
    }

    /// Signs in on `server`, switching engines when it is another server, and
    /// remembers the address once the sign-in succeeded. The running engine is locked
    /// only to switch it: the sign-in's network call (up to the client's timeout) runs
    /// unlocked, so the other commands (reading the cache, the tray) do not wait on it.
    /// Should another sign-in switch engines meanwhile, dropping this one's stop sender
    /// ends the live stream started below.
    pub async fn sign_in<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        server: ServerAddress,
        email: &str,
        password: &secrecy::SecretString,
    ) -> UiResult<AccountPayload> {
        let (engine, stop) = {
            let mut current = self.running().await;
            if current.server != server {
                let engine = open_engine(&self.data_dir, &server).await?;
                *current = start(app, engine, server.clone()).await;
            }
            (current.engine.clone(), current.stop.subscribe())
        };
        let account = engine.sign_in(email, password).await?;
        {
            let mut settings = self.settings.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = settings.remember_server(&server) {
                tracing::warn!(error = %e, "could not remember the server address");
            }
            use tauri_plugin_autostart::ManagerExt as _;
            if let Err(e) = crate::login_start::after_sign_in(&*app.autolaunch(), &mut settings) {
                tracing::warn!(error = %e.message, "could not turn on the login start");
            }
        }
        spawn_live(app.clone(), engine, stop);
        Ok(account.into())
    }
}

impl Desktop {
    /// Whether the OS starts the app at login on this device.
    pub fn start_at_login<R: Runtime>(&self, app: &AppHandle<R>) -> UiResult<bool> {
        use tauri_plugin_autostart::ManagerExt as _;
        crate::login_start::enabled_now(&*app.autolaunch())
    }

    /// The person's start-at-login choice for this device; returns what the OS now says.
    pub fn choose_start_at_login<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        enabled: bool,
    ) -> UiResult<bool> {
        use tauri_plugin_autostart::ManagerExt as _;
        let mut settings = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        crate::login_start::choose(&*app.autolaunch(), &mut settings, enabled)
    }

    /// Signs out (revoking the session when the server is reachable, wiping the cache)
    /// and restarts the engine's background tasks without the live stream.
    pub async fn sign_out<R: Runtime>(&self, app: &AppHandle<R>) -> UiResult<()> {
        let mut current = self.running().await;
        let engine = current.engine.clone();
        engine.sign_out().await?;
        let server = current.server.clone();
        *current = start(app, engine, server).await;
        emit(app, "signed-out", ());
        Ok(())
    }
}

/// Starts the watchers of `engine`, and the live stream when someone is signed in.
async fn start<R: Runtime>(
    app: &AppHandle<R>,
    engine: SyncEngine,
    server: ServerAddress,
) -> Running {
    let (stop, _) = watch::channel(false);
    spawn_watchers(app.clone(), engine.clone(), stop.subscribe());
    let signed_in = matches!(engine.load_from_cache().await, Ok(Some(_)));
    if signed_in {
        spawn_live(app.clone(), engine.clone(), stop.subscribe());
    }
    show_in_tray(app, &engine).await;
    Running {
        engine,
        server,
        stop,
    }
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    // An error means the sender is gone: that stops us too.
    let _ = stop.wait_for(|s| *s).await;
}

/// Runs the live event stream until stopped or the session ends. A second call while
/// one runs (a sign-in over an existing session) replaces nothing: the older loop
/// ends with its session.
fn spawn_live<R: Runtime>(app: AppHandle<R>, engine: SyncEngine, stop: watch::Receiver<bool>) {
    let mut started = app.state::<Desktop>().started.subscribe();
    tauri::async_runtime::spawn(async move {
        tokio::select! {
            _ = stopped(stop.clone()) => return,
            _ = started.wait_for(|s| *s) => {}
        }
        loop {
            let ended = engine
                .run_events(EventsConfig::default(), stopped(stop.clone()))
                .await;
            match ended {
                Ok(EventsEnded::Shutdown) => return,
                Ok(EventsEnded::SessionEnded) => {
                    tracing::info!("the server ended the session");
                    show_in_tray(&app, &engine).await;
                    return;
                }
                Err(CoreError::SignedOut) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "live updates failed; retrying in 30 s");
                    tokio::select! {
                        _ = stopped(stop.clone()) => return,
                        _ = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
                    }
                }
            }
        }
    });
}

fn spawn_watchers<R: Runtime>(app: AppHandle<R>, engine: SyncEngine, stop: watch::Receiver<bool>) {
    let mut changes = engine.subscribe_changes();
    let mut states = engine.subscribe_state();
    {
        let (app, engine, stop) = (app.clone(), engine.clone(), stop.clone());
        tauri::async_runtime::spawn(async move {
            loop {
                let change = tokio::select! {
                    _ = stopped(stop.clone()) => return,
                    change = changes.recv() => change,
                };
                match change {
                    Ok(change) => on_change(&app, &engine, change).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(skipped = n, "change watcher lagged; re-reading the cache");
                        show_in_tray(&app, &engine).await;
                        if let Ok(Some(account)) = engine.load_from_cache().await {
                            emit(&app, "account", AccountPayload::from(account));
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }
    tauri::async_runtime::spawn(async move {
        loop {
            let sync = SyncPayload::from(&*states.borrow_and_update());
            emit(&app, "sync", sync);
            tokio::select! {
                _ = stopped(stop.clone()) => return,
                changed = states.changed() => if changed.is_err() { return },
            }
        }
    });
}

fn emit<R: Runtime, T: serde::Serialize + Clone>(app: &AppHandle<R>, event: &str, payload: T) {
    // No window is fine: the page reads the cache when it opens.
    if let Err(e) = app.emit(event, payload) {
        tracing::debug!(error = %e, event, "emit failed");
    }
}

async fn on_change<R: Runtime>(app: &AppHandle<R>, engine: &SyncEngine, change: Change) {
    match change {
        Change::Account(account) => {
            emit(app, "account", AccountPayload::from(*account));
            show_in_tray(app, engine).await;
        }
        Change::Balance(balance) => {
            emit(app, "balance", BalancePayload::from(balance));
            show_in_tray(app, engine).await;
        }
        Change::LowBalanceAlert(alert) => {
            let language = match engine.load_from_cache().await {
                Ok(Some(account)) => account.view.language,
                _ => Language::En,
            };
            notify_low_balance(app, &alert, language);
        }
        // The shape of `list_sessions` / `list_members`: the page reads both one way.
        Change::Sessions(list) => emit(app, "sessions", SessionsPayload::fresh(list)),
        Change::Members(list) => emit(app, "members", MembersPayload::fresh(list)),
        Change::Conflict(conflict) => emit(
            app,
            "conflict",
            ConflictPayload {
                fields: conflict.discarded.iter().map(|p| p.field()).collect(),
            },
        ),
        Change::Rejected(rejected) => emit(
            app,
            "rejected",
            RejectedPayload {
                fields: rejected.discarded.iter().map(|p| p.field()).collect(),
                code: rejected.code.as_str(),
                message: rejected.message,
            },
        ),
        Change::SignedOut => {
            emit(app, "signed-out", ());
            show_in_tray(app, engine).await;
        }
        Change::SessionEnded => {
            emit(app, "session-ended", ());
            show_in_tray(app, engine).await;
        }
    }
}

/// The native notification, in the user's language: the same words the server's
/// email uses (`Message::LowBalance`), so every channel says the same thing.
fn notify_low_balance<R: Runtime>(app: &AppHandle<R>, alert: &LowBalanceAlert, language: Language) {
    let rendered = Message::LowBalance {
        balance_minor: alert.balance_minor,
        threshold_minor: alert.threshold_minor,
        currency: alert.currency,
    }
    .render(language);
    tracing::info!(
        balance = alert.balance_minor,
        "raising the low-balance notification"
    );
    crate::native_alert::show(
        app,
        crate::native_alert::Alert {
            title: rendered.subject,
            body: rendered.body,
        },
    );
}

/// What the tray should show for the engine's cache.
pub async fn tray_view(engine: &SyncEngine) -> TrayView {
    let account = engine.load_from_cache().await.ok().flatten();
    let balance = engine.cached_balance().await.ok().flatten();
    let language = account
        .as_ref()
        .map_or_else(os_language, |a| a.view.language);
    let (balance, low) = match (&account, balance) {
        (Some(account), Some(b)) => {
            let low = AlertRule::of(&account.view)
                .or_else(|| {
                    // Without the desktop channel the tray still says "low" when the
                    // alert is on: it is only a label.
                    let l = account.view.notifications.low_balance.as_ref()?;
                    l.enabled.then_some(AlertRule {
                        threshold_minor: l.threshold_minor,
                    })
                })
                .is_some_and(|r| b.balance.amount_minor < r.threshold_minor);
            (Some((b.balance.amount_minor, b.balance.currency)), low)
        }
        _ => (None, false),
    };
    TrayView {
        language,
        balance,
        low,
    }
}

pub fn os_language() -> Language {
    desktop_core::RegionDefaults::detect().language
}

/// Updates the tray (when there is one) from the engine's cache.
pub async fn show_in_tray<R: Runtime>(app: &AppHandle<R>, engine: &SyncEngine) {
    let view = tray_view(engine).await;
    if let Some(tray) = app.try_state::<Tray<R>>()
        && let Err(e) = tray.show(&view)
    {
        tracing::warn!(error = %e, "updating the tray failed");
    }
}
