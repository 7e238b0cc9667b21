//! Everything the desktop app knows and does, without Tauri, so it builds and is tested
//! fast and the Tauri layer stays thin.
//!
//! - [`SyncEngine`]: the one object the app drives (sign in/out, cached reads, refresh,
//!   offline-capable edits, online-only changes), publishing [`SyncState`] and
//!   [`Change`]s.
//! - [`Cache`]: the SQLite cache and the durable queue of offline edits; no secrets.
//! - [`TokenStore`]: where the session token lives (OS keyring; in memory for tests).
//! - [`RegionDefaults`]: language, country and time zone detected from the OS.
//!
//! - [`alert`]: when the desktop raises a low-balance notification (pure logic; its
//!   state is persisted in the cache).
//! - [`SyncEngine::run_events`]: the live event stream (balance, settings changed
//!   elsewhere, session revoked) with a conditional-`GET` poll as the fallback.

pub mod alert;
pub mod cache;
pub mod edit;
pub mod engine;
mod error;
pub mod os;
pub mod tokens;

pub use alert::{AlertRule, AlertState, LowBalanceAlert};
pub use cache::{Cache, CacheError, CachedAccount, CachedBalance, Synced};
pub use edit::{Pref, PreferencesEdit};
pub use engine::{
    CACHE_FILE, Change, Conflict, Connectivity, EditOutcome, EngineConfig, EventsConfig,
    EventsEnded, FlushReport, RejectedEdit, SignOutOutcome, SyncEngine, SyncState,
};
pub use error::CoreError;
pub use os::RegionDefaults;
pub use tokens::{KeyringTokenStore, MemoryTokenStore, TokenStore, TokenStoreError};
