//! The SQLite engine: one database file, one server process (plus the CLI now and then).
//!
//! How it runs, and why:
//! - **One writer connection behind an async mutex.** SQLite has one writer at a time
//!   anyway; queuing writers on a fair async lock means `BEGIN IMMEDIATE` never waits
//!   on SQLite's own lock inside this process, and a waiting writer holds no thread.
//!   Another process (the CLI) holding the lock makes `BEGIN IMMEDIATE` answer
//!   `SQLITE_BUSY` at once; the writer then retries with async sleeps for up to 10 s.
//! - **Readers on a small pool of their own connections** (WAL mode): a read never waits
//!   for a writer and sees one snapshot for its whole transaction.
//! - **Statements run on the calling task, not on the blocking pool.** With the writer
//!   serialized above and readers never locking, a statement here does not wait: it
//!   reads cached pages (the file is memory-mapped) and takes microseconds, less than a
//!   hop to the blocking pool and back costs (measured: 25 futex calls and 6.7 context
//!   switches per request that way). What could wait on the disk is kept off the request
//!   path: commits do not sync (`synchronous = NORMAL` in WAL mode), and the checkpoint
//!   that copies the log into the file — and syncs it — runs on a thread of its own
//!   every second instead of inside whichever commit crosses the autocheckpoint size.
//! - **Every statement is prepared once per connection** (`prepare_cached`).
//!
//! Migrations are embedded (`migrations/sqlite`) and applied in order by
//! `PRAGMA user_version`; the same files run in production and in every test. What SQL
//! cannot compute (the address skeletons of migration 0003) is filled in right after,
//! still inside the opening.

mod codes;
mod events;
mod money;
mod outbox;
mod retention;
mod sessions;
mod users;

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use account_model::{ChangeKind, Email, PhoneNumber, PrefChange, PrefField, Role};
use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedMutexGuard, watch};

use super::*;

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_balance_events.sql"),
    include_str!("../../../migrations/sqlite/0003_email_skeleton.sql"),
];
/// Idle reader connections kept open.
const READERS_KEPT: usize = 8;
/// How long a writer waits for another process's write lock before giving up.
const BUSY_WAIT: Duration = Duration::from_secs(10);
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
const WATCH_EVERY: Duration = Duration::from_millis(250);

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(128);
    // The query planner stability guarantee: a plan is fixed when a statement is
    // prepared. Without it, a statement whose plan looked at a bound value (most
    // joins, LIMIT ?) is expired whenever its bindings are cleared — which rusqlite
    // does each time a cached statement goes back to the cache — and is parsed and
    // planned again at its next step: measured, every statement of every request.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// Opens the writer connection. Switching a new file to WAL takes an exclusive lock, and
/// SQLite answers a concurrent switch with "database is locked" (its busy handler is not
/// asked) or, when another process removed the journal file it had just looked at, with
/// a disk I/O error: instances starting together on a new database race there. Both
/// pass once the first process has switched the file, so the whole opening is tried
/// again, on a fresh connection, for up to `BUSY_WAIT`. `SqliteStore::open` turns the
/// waiting off once the schema is up to date.
fn open_writer(path: &Path) -> StoreResult<Connection> {
    let deadline = std::time::Instant::now() + BUSY_WAIT;
    loop {
        match try_open_writer(path) {
            Err(e) if is_setup_race(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            opened => return Ok(opened?),
        }
    }
}

fn is_setup_race(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::SystemIoFailure)
    )
}

fn try_open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_WAIT)?;
    configure(&conn)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The checkpoint thread does this work; a commit must never.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Only a checkpoint restarting the log can make a reader wait, and only briefly.
    conn.busy_timeout(Duration::from_millis(500))?;
    configure(&conn)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Applies the migrations this build knows and the database does not have yet. Each
/// step reads the schema version inside its own write transaction, so two processes
/// opening a new file at once apply each migration once.
fn migrate(conn: &mut Connection) -> StoreResult<usize> {
    let known = MIGRATIONS.len() as i64;
    let mut applied = 0;
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if current > known {
            return Err(StoreError::Migration(format!(
                "the database is at schema version {current}, newer than this build ({known}): \
                 run a newer account-server"
            )));
        }
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            break;
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
}

impl Shared {
    fn take_reader(&self) -> StoreResult<Connection> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        match idle {
            Some(conn) => Ok(conn),
            None => open_reader(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self
            .readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < READERS_KEPT {
            idle.push(conn);
        }
    }
}

/// A SQLite database file.
#[derive(Debug)]
pub struct SqliteStore {
    shared: Arc<Shared>,
    writer: Arc<tokio::sync::Mutex<Connection>>,
    /// Dropping it stops the checkpoint thread.
    _checkpoints: std::sync::mpsc::Sender<()>,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file and brings its schema up to date.
    pub async fn open(path: impl Into<PathBuf>) -> StoreResult<Self> {
        let path = path.into();
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: folder.to_owned(),
                source,
            })?;
        }
        let opened = {
            let path = path.clone();
            // Opening and migrating may wait on another process; not on an async worker.
            tokio::task::spawn_blocking(move || -> StoreResult<Connection> {
                let mut conn = open_writer(&path)?;
                migrate(&mut conn)?;
                users::fill_email_skeletons(&mut conn)?;
                // From here `BEGIN IMMEDIATE` answers at once when another process
                // writes; see `begin_write`.
                conn.busy_timeout(Duration::ZERO)?;
                Ok(conn)
            })
            .await
            .map_err(|e| StoreError::Pool(format!("opening the database: {e}")))??
        };
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let checkpoint_path = path.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpoint_path, &stopped))
            .map_err(|e| StoreError::Pool(format!("starting the checkpoint thread: {e}")))?;
        Ok(Self {
            shared: Arc::new(Shared {
                path,
                readers: Mutex::new(Vec::new()),
            }),
            writer: Arc::new(tokio::sync::Mutex::new(opened)),
            _checkpoints: stop,
        })
    }

    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// A connection of its own for reading (the SQLite side of an import).
    pub(crate) fn reader(&self) -> StoreResult<Connection> {
        self.shared.take_reader()
    }
}

/// Copies the write-ahead log into the database file once a second (PASSIVE: it never
/// blocks a reader or the writer), until the store is dropped.
fn checkpoint_loop(path: &Path, stop: &std::sync::mpsc::Receiver<()>) {
    let conn = match open_reader(path).and_then(|c| {
        c.pragma_update(None, "query_only", false)?;
        Ok(c)
    }) {
        Ok(conn) => conn,
        Err(e) => {
            tracing::error!(error = %e, "the SQLite checkpoint thread could not open the database");
            return;
        }
    };
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY)
    {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "SQLite checkpoint failed; it is tried again in a second");
        }
    }
    // The last one, so a clean stop leaves the log empty.
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

/// The connection a transaction runs on.
enum Handle {
    Reader(Connection, Arc<Shared>),
    Writer(OwnedMutexGuard<Connection>),
}

impl Deref for Handle {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Self::Reader(conn, _) => conn,
            Self::Writer(guard) => guard,
        }
    }
}

/// A read or write transaction (see [`SqliteStore`]); ended when dropped.
pub struct SqliteTx {
    /// `None` once the transaction ended.
    conn: Option<Handle>,
    changed: Changed,
}

impl std::fmt::Debug for SqliteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteTx")
            .field("open", &self.conn.is_some())
            .finish()
    }
}

impl SqliteTx {
    fn conn(&self) -> StoreResult<&Connection> {
        self.conn
            .as_deref()
            .ok_or_else(|| StoreError::Corrupt("a transaction used after it ended".into()))
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        match self.conn.take() {
            // A reader's transaction only ends; it wrote nothing.
            Some(Handle::Reader(conn, shared)) => {
                let ended = conn.is_autocommit()
                    || conn
                        .prepare_cached("COMMIT")
                        .and_then(|mut s| s.execute([]))
                        .is_ok();
                if ended {
                    shared.give_back(conn);
                }
            }
            // Dropped before `commit`: nothing of it stays.
            Some(Handle::Writer(guard)) if !guard.is_autocommit() => {
                let rolled_back = guard
                    .prepare_cached("ROLLBACK")
                    .and_then(|mut s| s.execute([]));
                if let Err(e) = rolled_back {
                    tracing::error!(error = %e, "rolling back a SQLite transaction failed");
                }
            }
            Some(Handle::Writer(_)) | None => {}
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy)
    )
}

/// Starts the write transaction, waiting (asynchronously) while another process holds
/// the write lock. The guard is passed by value so no borrow of the connection, which
/// is not `Sync`, lives across the sleep.
async fn begin_write(
    guard: OwnedMutexGuard<Connection>,
) -> StoreResult<OwnedMutexGuard<Connection>> {
    let deadline = tokio::time::Instant::now() + BUSY_WAIT;
    let mut pause = Duration::from_millis(1);
    loop {
        let outcome = guard
            .prepare_cached("BEGIN IMMEDIATE")
            .and_then(|mut s| s.execute([]));
        match outcome {
            Ok(_) => return Ok(guard),
            Err(e) if is_busy(&e) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(e) if is_busy(&e) => return Err(StoreError::Busy),
            Err(e) => return Err(e.into()),
        }
    }
}

#[async_trait]
impl Backend for SqliteStore {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    async fn read(&self) -> StoreResult<Box<dyn ReadTx>> {
        let conn = self.shared.take_reader()?;
        conn.prepare_cached("BEGIN")?.execute([])?;
        Ok(Box::new(SqliteTx {
            conn: Some(Handle::Reader(conn, Arc::clone(&self.shared))),
            changed: Changed::default(),
        }))
    }

    async fn write(&self) -> StoreResult<Box<dyn WriteTx>> {
        let guard = begin_write(Arc::clone(&self.writer).lock_owned().await).await?;
        Ok(Box::new(SqliteTx {
            conn: Some(Handle::Writer(guard)),
            changed: Changed::default(),
        }))
    }

    async fn event_feed(&self) -> StoreResult<Box<dyn EventFeed>> {
        let conn = open_reader(&self.shared.path)?;
        Ok(Box::new(events::Feed::start(conn)?))
    }

    fn watch_others(
        &self,
        _instance: &str,
        wakers: Wakers,
        mut shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let path = self.shared.path.clone();
        tokio::spawn(async move {
            // `data_version` changes when another connection (another process, or this
            // one's writer) commits: cheap enough to ask four times a second.
            let conn = match open_reader(&path) {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::error!(error = %e, "watching the database for other processes' writes failed");
                    return;
                }
            };
            let version = |c: &Connection| -> Option<i64> {
                c.pragma_query_value(None, "data_version", |r| r.get(0))
                    .ok()
            };
            let mut last = version(&conn);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(WATCH_EVERY) => {}
                    _ = shutdown.changed() => return,
                }
                let now = version(&conn);
                if now != last {
                    last = now;
                    wakers.events.notify_one();
                    wakers.outbox.notify_one();
                }
            }
        })
    }
}

#[async_trait]
impl ReadTx for SqliteTx {
    async fn user_by_id(&mut self, id: i64) -> StoreResult<Option<UserRecord>> {
        users::by_id(self.conn()?, id)
    }
    async fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<UserRecord>> {
        users::by_email(self.conn()?, email)
    }
    async fn email_taken(&mut self, email: &Email, other_than: i64) -> StoreResult<bool> {
        users::email_taken(self.conn()?, email, other_than)
    }
    async fn members(&mut self, organization_id: i64) -> StoreResult<Vec<UserRecord>> {
        users::members(self.conn()?, organization_id)
    }
    async fn count_owners(&mut self, organization_id: i64) -> StoreResult<i64> {
        users::count_owners(self.conn()?, organization_id)
    }
    async fn changed_since(
        &mut self,
        user_id: i64,
        base_version: i64,
        fields: &[PrefField],
    ) -> StoreResult<Vec<PrefField>> {
        users::changed_since(self.conn()?, user_id, base_version, fields)
    }
    async fn session_by_token(
        &mut self,
        token_hash: &[u8],
        idle_cutoff: i64,
    ) -> StoreResult<Option<(SessionRecord, UserRecord)>> {
        sessions::by_token(self.conn()?, token_hash, idle_cutoff)
    }
    async fn account_by_token(
        &mut self,
        token_hash: &[u8],
        idle_cutoff: i64,
    ) -> StoreResult<Option<(SessionRecord, UserRecord, PendingChanges)>> {
        sessions::account_by_token(self.conn()?, token_hash, idle_cutoff)
    }
    async fn live_sessions(
        &mut self,
        user_id: i64,
        idle_cutoff: i64,
    ) -> StoreResult<Vec<SessionRecord>> {
        sessions::live(self.conn()?, user_id, idle_cutoff)
    }
    async fn session_is_live(&mut self, id: &str, idle_cutoff: i64) -> StoreResult<bool> {
        sessions::is_live(self.conn()?, id, idle_cutoff)
    }
    async fn pending_change(
        &mut self,
        user_id: i64,
        kind: ChangeKind,
    ) -> StoreResult<Option<PendingChange>> {
        Ok(codes::pending(self.conn()?, user_id)?
            .into_iter()
            .find(|p| p.kind == kind))
    }
    async fn pending_changes(&mut self, user_id: i64) -> StoreResult<PendingChanges> {
        let mut all = PendingChanges::default();
        for change in codes::pending(self.conn()?, user_id)? {
            all.put(change);
        }
        Ok(all)
    }
    async fn code_sends_since(
        &mut self,
        user_id: i64,
        kind: ChangeKind,
        since: i64,
    ) -> StoreResult<(i64, Option<i64>)> {
        codes::sends_since(self.conn()?, user_id, kind, since)
    }
    async fn stored_response(
        &mut self,
        user_id: i64,
        key: &str,
    ) -> StoreResult<Option<StoredResponse>> {
        money::stored_response(self.conn()?, user_id, key)
    }
    async fn organization(&mut self, id: i64) -> StoreResult<Option<Organization>> {
        money::organization(self.conn()?, id)
    }
    async fn organization_by_name(&mut self, name: &str) -> StoreResult<Option<i64>> {
        money::organization_by_name(self.conn()?, name)
    }
    async fn adjustment_by_key(
        &mut self,
        organization_id: i64,
        key: &str,
    ) -> StoreResult<Option<Adjustment>> {
        money::adjustment_by_key(self.conn()?, organization_id, key)
    }
    async fn alert_armed(&mut self, user_id: i64) -> StoreResult<bool> {
        money::alert_armed(self.conn()?, user_id)
    }
    async fn event_bounds(&mut self) -> StoreResult<(i64, Option<i64>)> {
        events::bounds(self.conn()?)
    }
    async fn visible_events(
        &mut self,
        scope: &EventScope,
        after: i64,
        upto: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        events::visible(self.conn()?, scope, after, upto, limit)
    }
    async fn outbox(&mut self, filter: &OutboxFilter) -> StoreResult<Vec<OutboxMessage>> {
        outbox::list(self.conn()?, filter)
    }
}

#[async_trait]
impl WriteTx for SqliteTx {
    async fn commit(mut self: Box<Self>) -> StoreResult<Changed> {
        let conn = self.conn()?;
        conn.prepare_cached("COMMIT")?.execute([])?;
        Ok(std::mem::take(&mut self.changed))
    }
    async fn lock(&mut self, _key: LockKey) -> StoreResult<()> {
        // One process writes at a time: the transaction already excludes every other.
        Ok(())
    }
    async fn try_lock(&mut self, _key: LockKey) -> StoreResult<bool> {
        Ok(true)
    }
    async fn lock_user(&mut self, id: i64) -> StoreResult<bool> {
        users::exists(self.conn()?, id)
    }
    async fn lock_organization(&mut self, id: i64) -> StoreResult<Option<Organization>> {
        money::organization(self.conn()?, id)
    }
    async fn insert_organization(
        &mut self,
        name: &str,
        currency: &str,
        balance_minor: i64,
        now: i64,
    ) -> StoreResult<i64> {
        money::insert_organization(self.conn()?, name, currency, balance_minor, now)
    }
    async fn insert_user(&mut self, user: &NewUser<'_>, now: i64) -> StoreResult<i64> {
        users::insert(self.conn()?, user, now)
    }
    async fn bump_version(&mut self, user_id: i64, now: i64) -> StoreResult<i64> {
        self.changed.user(user_id);
        users::bump_version(self.conn()?, user_id, now)
    }
    async fn set_password_hash(&mut self, user_id: i64, hash: &str, now: i64) -> StoreResult<()> {
        self.changed.user(user_id);
        users::set_password_hash(self.conn()?, user_id, hash, now)
    }
    async fn set_email(&mut self, user_id: i64, email: &Email, now: i64) -> StoreResult<i64> {
        self.changed.user(user_id);
        users::set_email(self.conn()?, user_id, email, now)
    }
    async fn set_phone(&mut self, user_id: i64, phone: &PhoneNumber, now: i64) -> StoreResult<i64> {
        self.changed.user(user_id);
        users::set_phone(self.conn()?, user_id, phone, now)
    }
    async fn set_role(&mut self, user_id: i64, role: Role, now: i64) -> StoreResult<i64> {
        self.changed.user(user_id);
        users::set_role(self.conn()?, user_id, role, now)
    }
    async fn apply_preferences(
        &mut self,
        user_id: i64,
        changes: &[PrefChange],
        now: i64,
    ) -> StoreResult<i64> {
        self.changed.user(user_id);
        users::apply_preferences(self.conn()?, user_id, changes, now)
    }
    async fn insert_session(&mut self, session: &NewSession<'_>, now: i64) -> StoreResult<()> {
        sessions::insert(self.conn()?, session, now)
    }
    async fn touch_session(&mut self, id: &str, now: i64) -> StoreResult<()> {
        sessions::touch(self.conn()?, id, now)
    }
    async fn revoke_session(&mut self, user_id: i64, id: &str, now: i64) -> StoreResult<bool> {
        self.changed.user(user_id);
        sessions::revoke(self.conn()?, user_id, id, now)
    }
    async fn revoke_other_sessions(
        &mut self,
        user_id: i64,
        keep: &str,
        now: i64,
    ) -> StoreResult<u64> {
        self.changed.user(user_id);
        sessions::revoke_others(self.conn()?, user_id, keep, now)
    }
    async fn lock_throttle(&mut self, key: &str) -> StoreResult<Throttle> {
        sessions::throttle(self.conn()?, key)
    }
    async fn put_throttle(&mut self, key: &str, state: Throttle, now: i64) -> StoreResult<()> {
        sessions::put_throttle(self.conn()?, key, state, now)
    }
    async fn clear_throttle(&mut self, key: &str) -> StoreResult<()> {
        sessions::clear_throttle(self.conn()?, key)
    }
    async fn put_pending_change(&mut self, change: &NewPendingChange<'_>) -> StoreResult<()> {
        self.changed.user(change.user_id);
        codes::put(self.conn()?, change)
    }
    async fn add_code_failure(&mut self, user_id: i64, kind: ChangeKind) -> StoreResult<i64> {
        self.changed.user(user_id);
        codes::add_failure(self.conn()?, user_id, kind)
    }
    async fn delete_pending_change(&mut self, user_id: i64, kind: ChangeKind) -> StoreResult<bool> {
        self.changed.user(user_id);
        codes::delete(self.conn()?, user_id, kind)
    }
    async fn record_code_send(
        &mut self,
        user_id: i64,
        kind: ChangeKind,
        now: i64,
    ) -> StoreResult<()> {
        codes::record_send(self.conn()?, user_id, kind, now)
    }
    async fn store_response(
        &mut self,
        user_id: i64,
        key: &str,
        response: &StoredResponse,
        now: i64,
    ) -> StoreResult<()> {
        money::store_response(self.conn()?, user_id, key, response, now)
    }
    async fn apply_adjustment(
        &mut self,
        organization_id: i64,
        key: &str,
        amount_minor: i64,
        description: &str,
        now: i64,
    ) -> StoreResult<Adjustment> {
        self.changed.organization(organization_id);
        money::apply_adjustment(
            self.conn()?,
            organization_id,
            key,
            amount_minor,
            description,
            now,
        )
    }
    async fn set_alert_armed(&mut self, user_id: i64, armed: bool, now: i64) -> StoreResult<()> {
        money::set_alert_armed(self.conn()?, user_id, armed, now)
    }
    async fn clear_alert(&mut self, user_id: i64) -> StoreResult<()> {
        money::clear_alert(self.conn()?, user_id)
    }
    async fn insert_event(&mut self, event: &NewEvent<'_>, now: i64) -> StoreResult<i64> {
        self.changed.event(event);
        events::insert(self.conn()?, event, now)
    }
    async fn enqueue(&mut self, message: &NewMessage<'_>, now: i64) -> StoreResult<i64> {
        outbox::enqueue(self.conn()?, message, now)
    }
    async fn claim_due(
        &mut self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        outbox::claim_due(self.conn()?, now, lease_ms, limit)
    }
    async fn mark_sent(&mut self, id: i64, attempts: i64, now: i64) -> StoreResult<bool> {
        outbox::mark_sent(self.conn()?, id, attempts, now)
    }
    async fn mark_failed(
        &mut self,
        id: i64,
        attempts: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> StoreResult<bool> {
        outbox::mark_failed(self.conn()?, id, attempts, error, retry_at)
    }
    async fn prune(&mut self, rules: &Retention, now: i64) -> StoreResult<Pruned> {
        retention::prune(self.conn()?, rules, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle_readers(store: &SqliteStore) -> usize {
        store
            .shared
            .readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    #[tokio::test]
    async fn cached_statements_are_not_prepared_again_when_their_values_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path().join("a.db"))
            .await
            .expect("open");
        let conn = store.shared.take_reader().expect("reader");
        let sql = format!(
            "SELECT {} FROM {} WHERE u.id = ?1",
            crate::store::decode::USER_COLUMNS,
            crate::store::decode::USER_FROM
        );
        for id in 0..5_i64 {
            let mut stmt = conn.prepare_cached(&sql).expect("prepared");
            let mut rows = stmt.query([id]).expect("ran");
            while rows.next().expect("row").is_some() {}
        }
        let stmt = conn.prepare_cached(&sql).expect("cached");
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    #[tokio::test]
    async fn a_reader_goes_back_to_the_pool_after_its_transaction() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(dir.path().join("a.db"))
            .await
            .expect("open");
        for _ in 0..3 {
            let mut tx = store.read().await.expect("read");
            tx.session_by_token(b"none", 0).await.expect("query");
            tx.pending_changes(1).await.expect("query");
        }
        assert_eq!(idle_readers(&store), 1, "one connection, reused");
    }
}
