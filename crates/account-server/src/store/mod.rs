//! All SQL lives below this module; nothing else in the server writes a query.
//!
//! SQLite is used through rusqlite, which blocks, so every database call runs on
//! tokio's blocking pool via [`Db::call`] / [`Db::write`], never on an async worker.
//! A small pool of connections (WAL mode) lets reads proceed while one transaction
//! writes; writes take the lock up front (`BEGIN IMMEDIATE`) so two writers queue on
//! `busy_timeout` instead of failing with SQLITE_BUSY halfway through.
//!
//! Migrations are embedded and applied in order by `PRAGMA user_version`; the same
//! files run in production and in every test.

pub mod alerts;
pub mod balance;
pub mod events;
pub mod idempotency;
pub mod orgs;
pub mod outbox;
pub mod sessions;
pub mod throttle;
pub mod users;
pub mod verifications;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::Semaphore;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_balance_events.sql"),
];
const POOL_SIZE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("could not create the database folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the database task was cancelled: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("the stored value {0} is not valid")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A pool of SQLite connections to one file.
#[derive(Debug, Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

#[derive(Debug)]
struct DbInner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

fn open(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Applies the migrations this build knows and the database does not have yet.
fn migrate(conn: &mut Connection) -> StoreResult<usize> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let mut applied = 0;
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(current).unwrap_or(0))
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

impl Db {
    /// Opens (creating when missing) the database file and brings its schema up to date.
    pub async fn open(path: impl Into<PathBuf>) -> StoreResult<Self> {
        let path = path.into();
        let first = tokio::task::spawn_blocking({
            let path = path.clone();
            move || -> StoreResult<Connection> {
                if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                        path: folder.to_owned(),
                        source,
                    })?;
                }
                let mut conn = open(&path)?;
                migrate(&mut conn)?;
                Ok(conn)
            }
        })
        .await??;
        Ok(Self {
            inner: Arc::new(DbInner {
                path,
                idle: Mutex::new(vec![first]),
                permits: Semaphore::new(POOL_SIZE),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Corrupt("closed pool".into()))?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let pooled = inner
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => open(&inner.path)?,
            };
            let result = f(&mut conn);
            inner
                .idle
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(conn);
            result
        })
        .await?
    }

    /// Runs `f` inside one write transaction, committed when `f` returns `Ok`.
    ///
    /// `f` returns a nested result: the outer one for database failures, the inner one
    /// for business refusals, which still commit what `f` wrote (a wrong code's tally).
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> StoreResult<T> + Send + 'static,
    {
        self.call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opening_twice_migrates_once_and_keeps_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/account.db");
        let db = Db::open(&path).await.expect("open");
        db.write(|tx| {
            tx.execute(
                "INSERT INTO organizations (name, currency, created_at) VALUES ('Acme', 'EUR', 0)",
                [],
            )?;
            Ok(())
        })
        .await
        .expect("insert");
        drop(db);
        let db = Db::open(&path).await.expect("reopen");
        let (version, orgs): (i64, i64) = db
            .call(|c| {
                let v = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
                let n = c.query_row("SELECT count(*) FROM organizations", [], |r| r.get(0))?;
                Ok((v, n))
            })
            .await
            .expect("query");
        assert_eq!(version, MIGRATIONS.len() as i64);
        assert_eq!(orgs, 1);
    }
}
