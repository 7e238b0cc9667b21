//! The local SQLite cache and the durable queue of offline edits ([`queue`]). All SQL
//! of the desktop lives here and in `migrations/`.
//!
//! Contract:
//! - One file, WAL, `synchronous = FULL`; schema created and upgraded by the embedded
//!   migrations below (`PRAGMA user_version`), the same in production and in tests.
//! - It holds the account of one signed-in user: the last account the server sent
//!   (`server_view`), what the UI shows (`view` = `server_view` with every queued edit
//!   applied), the ETag, members (for owners and admins), sessions, and when each was
//!   last synced. It holds no secret: no token, no password, no code.
//! - Edits wait in a durable queue until the server has them; how they are sent,
//!   re-based and settled is [`queue`]'s.
//! - The balance has a row of its own with its last-synced time, because it changes
//!   without the account's version changing (pushed `balance_changed` events). A pushed
//!   balance is also written into the cached account, so the view is never behind the
//!   balance row; the cached ETag is left alone, so the next conditional `GET` (whose
//!   tag includes the balance) fetches the account again instead of answering 304.
//! - The low-balance alert state ([`crate::alert`]) is evaluated against `view` (queued
//!   threshold edits count at once) and stored in the same transaction that read it.
//! - The id of the last stream event handled is kept, so a restarted app resumes the
//!   stream where it left off.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use account_client::ETag;
use account_model::dto::{AccountView, BalanceView, MemberView, SessionView};
use account_model::{Currency, PrefField};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::alert::{self, AlertRule, AlertState, LowBalanceAlert};

mod queue;

/// The queue's stored form for the fuzz targets (`fuzz/`, feature `fuzzing`); not an API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

use queue::QueuedField;
use queue::{count_queue, queued_fields};

/// Schema migrations (`migrations/*.sql`), applied in order; `PRAGMA user_version`
/// counts those applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_balance_alert_stream.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("the local cache failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the local cache holds unreadable data: {0}")]
    Corrupt(String),
    #[error("nothing is cached: sign in first")]
    Empty,
}

pub type CacheResult<T> = Result<T, CacheError>;

/// The cached account as the UI shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedAccount {
    /// The server's account with every queued edit applied.
    pub view: AccountView,
    /// The version of the last account the server sent.
    pub server_version: i64,
    pub etag: Option<ETag>,
    /// When the server last confirmed the account (fresh or not modified).
    pub synced_at: Option<DateTime<Utc>>,
    /// Edits written locally and not yet acknowledged by the server.
    pub pending_edits: usize,
    /// The server's names of the fields those edits write (`language`,
    /// `lowBalance.thresholdMinor`, …), so the UI can mark each one as pending.
    pub pending_fields: BTreeSet<PrefField>,
}

/// The organization's balance as last confirmed by the server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CachedBalance {
    pub balance: BalanceView,
    /// When the server last confirmed it (a pushed event, a fetch, a 304).
    pub synced_at: DateTime<Utc>,
}

/// A cached list and when it was fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct Synced<T> {
    pub value: T,
    pub synced_at: DateTime<Utc>,
}

/// The cache. Cheap to clone; calls block (run them off the async executor).
#[derive(Debug, Clone)]
pub struct Cache {
    conn: Arc<Mutex<Connection>>,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> CacheResult<String> {
    serde_json::to_string(value).map_err(|e| CacheError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(raw: &str) -> CacheResult<T> {
    serde_json::from_str(raw).map_err(|e| CacheError::Corrupt(e.to_string()))
}

impl Cache {
    /// Opens (creating it and its folder if needed) and migrates the cache file.
    pub fn open(path: &Path) -> CacheResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                CacheError::Corrupt(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> CacheResult<T>) -> CacheResult<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> CacheResult<T>) -> CacheResult<T> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// The cached account, if any.
    pub fn account(&self) -> CacheResult<Option<CachedAccount>> {
        self.with(|c| read_account(c))
    }

    /// The server and user the cache belongs to.
    pub fn owner(&self) -> CacheResult<Option<(String, i64)>> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT server, user_id FROM account WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
    }

    /// Whether the cache is empty or belongs to `server` (a sign-in there filled it).
    pub fn is_for(&self, server: &str) -> CacheResult<bool> {
        Ok(self.owner()?.is_none_or(|(owner, _)| owner == server))
    }

    /// Records a sign-in. When the cache belongs to another user or server it is wiped
    /// first; for the same user, queued edits survive (a re-sign-in after the session
    /// expired loses nothing).
    pub fn signed_in(
        &self,
        server: &str,
        account: &AccountView,
        now: DateTime<Utc>,
    ) -> CacheResult<()> {
        self.write(|tx| {
            let owner: Option<(String, i64)> = tx
                .query_row(
                    "SELECT server, user_id FROM account WHERE id = 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if owner != Some((server.to_owned(), account.id)) {
                wipe_in(tx)?;
                let json = to_json(account)?;
                tx.execute(
                    "INSERT INTO account (id, server, user_id, server_view, view, etag, synced_at) \
                     VALUES (1, ?1, ?2, ?3, ?3, NULL, ?4)",
                    params![server, account.id, json, ms(now)],
                )?;
                write_balance(tx, &account.balance, now)?;
                return Ok(());
            }
            store_server_view(tx, account, None, now)
        })
    }

    /// Stores an account the server sent (with its tag when it came from `GET`).
    pub fn server_account(
        &self,
        account: &AccountView,
        etag: Option<&ETag>,
        now: DateTime<Utc>,
    ) -> CacheResult<CachedAccount> {
        self.write(|tx| {
            store_server_view(tx, account, etag, now)?;
            read_account(tx)?.ok_or(CacheError::Empty)
        })
    }

    /// The server said "not modified" (or the live stream vouches for the account):
    /// the cached account and balance are current as of `now`.
    pub fn confirmed(&self, now: DateTime<Utc>) -> CacheResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE account SET synced_at = ?1 WHERE id = 1",
                params![ms(now)],
            )?;
            tx.execute(
                "UPDATE balance SET synced_at = ?1 WHERE id = 1",
                params![ms(now)],
            )?;
            Ok(())
        })
    }

    /// The cached balance, if any.
    pub fn balance(&self) -> CacheResult<Option<CachedBalance>> {
        self.with(|c| read_balance(c))
    }

    /// Stores a balance the server pushed, in the balance row and in the cached
    /// account. Returns it and whether it differs from what was cached.
    pub fn set_balance(
        &self,
        balance: BalanceView,
        now: DateTime<Utc>,
    ) -> CacheResult<(CachedBalance, bool)> {
        self.write(|tx| {
            let before = read_balance(tx)?.map(|b| b.balance);
            write_balance(tx, &balance, now)?;
            let raw: Option<String> = tx
                .query_row("SELECT server_view FROM account WHERE id = 1", [], |r| {
                    r.get(0)
                })
                .optional()?;
            if let Some(raw) = raw {
                let mut server: AccountView = from_json(&raw)?;
                server.balance = balance;
                tx.execute(
                    "UPDATE account SET server_view = ?1, synced_at = ?2 WHERE id = 1",
                    params![to_json(&server)?, ms(now)],
                )?;
                recompute_view(tx)?;
            }
            Ok((
                CachedBalance {
                    balance,
                    synced_at: now,
                },
                before != Some(balance),
            ))
        })
    }

    /// The stored low-balance alert state (armed when never evaluated).
    pub fn alert_state(&self) -> CacheResult<AlertState> {
        self.with(|c| read_alert_state(c))
    }

    /// Evaluates the low-balance alert against the cached view and stores the new
    /// state in the same transaction. Returns the alert to show, if one fires now.
    pub fn evaluate_alert(&self, now: DateTime<Utc>) -> CacheResult<Option<LowBalanceAlert>> {
        self.write(|tx| {
            let Some(account) = read_account(tx)? else {
                return Ok(None);
            };
            let view = &account.view;
            let rule = AlertRule::of(view);
            let before = read_alert_state(tx)?;
            let (after, notify) = alert::evaluate(before, view.balance.amount_minor, rule);
            if after != before {
                tx.execute(
                    "INSERT INTO low_balance_alert (id, state, changed_at) VALUES (1, ?1, ?2) \
                     ON CONFLICT (id) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at",
                    params![after.as_str(), ms(now)],
                )?;
            }
            Ok(match (notify, rule) {
                (true, Some(rule)) => Some(LowBalanceAlert {
                    balance_minor: view.balance.amount_minor,
                    threshold_minor: rule.threshold_minor,
                    currency: view.balance.currency,
                }),
                _ => None,
            })
        })
    }

    /// The id of the last stream event handled.
    pub fn last_event_id(&self) -> CacheResult<Option<i64>> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT last_event_id FROM event_stream WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    /// Remembers the last stream event handled (never moving backwards).
    pub fn set_last_event_id(&self, id: i64) -> CacheResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO event_stream (id, last_event_id) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id)",
                params![id],
            )?;
            Ok(())
        })
    }

    pub fn sessions(&self) -> CacheResult<Option<Synced<Vec<SessionView>>>> {
        self.with(|c| read_list(c, "sessions"))
    }

    pub fn set_sessions(&self, list: &[SessionView], now: DateTime<Utc>) -> CacheResult<()> {
        self.with(|c| write_list(c, "sessions", list, now))
    }

    pub fn members(&self) -> CacheResult<Option<Synced<Vec<MemberView>>>> {
        self.with(|c| read_list(c, "members"))
    }

    pub fn set_members(&self, list: &[MemberView], now: DateTime<Utc>) -> CacheResult<()> {
        self.with(|c| write_list(c, "members", list, now))
    }

    /// Forgets everything: account, lists, queued edits.
    pub fn wipe(&self) -> CacheResult<()> {
        self.write(wipe_in)
    }
}

fn migrate(conn: &mut Connection) -> CacheResult<()> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > MIGRATIONS.len() {
        return Err(CacheError::Corrupt(format!(
            "the cache was written by a newer version (schema {applied})"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        let version = i64::try_from(i + 1).unwrap_or(i64::MAX);
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

fn read_account(c: &Connection) -> CacheResult<Option<CachedAccount>> {
    let row: Option<(String, String, Option<String>, Option<i64>)> = c
        .query_row(
            "SELECT server_view, view, etag, synced_at FROM account WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((server_raw, view_raw, etag, synced_at)) = row else {
        return Ok(None);
    };
    let server: AccountView = from_json(&server_raw)?;
    Ok(Some(CachedAccount {
        view: from_json(&view_raw)?,
        server_version: server.version,
        etag: etag.as_deref().and_then(ETag::parse),
        synced_at: synced_at.map(from_ms),
        pending_edits: count_queue(c)?,
        pending_fields: queued_fields(c)?,
    }))
}

/// Stores an account from the server unless the cache already holds a newer one (a
/// replayed answer may be older than a `GET` made meanwhile), then recomputes the view.
fn store_server_view(
    tx: &Transaction<'_>,
    account: &AccountView,
    etag: Option<&ETag>,
    now: DateTime<Utc>,
) -> CacheResult<()> {
    let cached: Option<String> = tx
        .query_row("SELECT server_view FROM account WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(cached) = cached else {
        return Err(CacheError::Empty);
    };
    let cached: AccountView = from_json(&cached)?;
    if account.version >= cached.version {
        // A tag belongs to the body it came with; an account from elsewhere (a PATCH
        // answer) has none, so the next GET is unconditional.
        tx.execute(
            "UPDATE account SET server_view = ?1, etag = ?2, synced_at = ?3 WHERE id = 1",
            params![to_json(account)?, etag.map(ETag::as_str), ms(now)],
        )?;
        write_balance(tx, &account.balance, now)?;
    } else {
        tx.execute(
            "UPDATE account SET synced_at = ?1 WHERE id = 1",
            params![ms(now)],
        )?;
    }
    recompute_view(tx)
}

/// `view` = `server_view` with every queued write applied in queue order.
fn recompute_view(tx: &Transaction<'_>) -> CacheResult<()> {
    let raw: Option<String> = tx
        .query_row("SELECT server_view FROM account WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(raw) = raw else {
        return Ok(());
    };
    let mut view: AccountView = from_json(&raw)?;
    let mut stmt = tx.prepare("SELECT fields FROM edit_queue ORDER BY seq")?;
    let entries: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    drop(stmt);
    for entry in entries {
        for f in from_json::<Vec<QueuedField>>(&entry)? {
            f.pref.apply_to(&mut view);
        }
    }
    tx.execute(
        "UPDATE account SET view = ?1 WHERE id = 1",
        params![to_json(&view)?],
    )?;
    Ok(())
}

fn wipe_in(tx: &Transaction<'_>) -> CacheResult<()> {
    tx.execute_batch(
        "DELETE FROM account; DELETE FROM members; DELETE FROM sessions; DELETE FROM edit_queue; \
         DELETE FROM balance; DELETE FROM low_balance_alert; DELETE FROM event_stream;",
    )?;
    Ok(())
}

fn read_balance(c: &Connection) -> CacheResult<Option<CachedBalance>> {
    let row: Option<(i64, String, i64)> = c
        .query_row(
            "SELECT amount_minor, currency, synced_at FROM balance WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    row.map(|(amount_minor, currency, at)| {
        let currency = Currency::parse(&currency)
            .map_err(|e| CacheError::Corrupt(format!("balance currency: {}", e.message)))?;
        Ok(CachedBalance {
            balance: BalanceView {
                amount_minor,
                currency,
            },
            synced_at: from_ms(at),
        })
    })
    .transpose()
}

fn write_balance(c: &Connection, balance: &BalanceView, now: DateTime<Utc>) -> CacheResult<()> {
    c.execute(
        "INSERT INTO balance (id, amount_minor, currency, synced_at) VALUES (1, ?1, ?2, ?3) \
         ON CONFLICT (id) DO UPDATE SET amount_minor = excluded.amount_minor, \
         currency = excluded.currency, synced_at = excluded.synced_at",
        params![balance.amount_minor, balance.currency.as_str(), ms(now)],
    )?;
    Ok(())
}

fn read_alert_state(c: &Connection) -> CacheResult<AlertState> {
    let raw: Option<String> = c
        .query_row(
            "SELECT state FROM low_balance_alert WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match raw {
        None => Ok(AlertState::Armed),
        Some(raw) => AlertState::parse(&raw)
            .ok_or_else(|| CacheError::Corrupt(format!("low-balance alert state \"{raw}\""))),
    }
}

fn read_list<T: serde::de::DeserializeOwned>(
    c: &Connection,
    table: &str,
) -> CacheResult<Option<Synced<T>>> {
    let row: Option<(String, i64)> = c
        .query_row(
            &format!("SELECT list, synced_at FROM {table} WHERE id = 1"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(raw, at)| {
        Ok(Synced {
            value: from_json(&raw)?,
            synced_at: from_ms(at),
        })
    })
    .transpose()
}

fn write_list<T: Serialize + ?Sized>(
    c: &Connection,
    table: &str,
    list: &T,
    now: DateTime<Utc>,
) -> CacheResult<()> {
    c.execute(
        &format!("INSERT OR REPLACE INTO {table} (id, list, synced_at) VALUES (1, ?1, ?2)"),
        params![to_json(list)?, ms(now)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::Pref;
    use account_model::{Country, Language};

    /// An account as the server sends it (built from JSON, so fields the model adds
    /// with defaults do not break these tests).
    fn view(version: i64) -> AccountView {
        serde_json::from_value(serde_json::json!({
            "id": 7, "name": "Ana", "email": "ana@example.com", "phone": null,
            "role": "member", "permissions": [],
            "organization": { "id": 1, "name": "Acme", "currency": "EUR" },
            "language": "en", "country": null, "timeZone": "UTC", "regionConfigured": false,
            "notifications": { "contactImports": [] },
            "balance": { "amountMinor": 10000, "currency": "EUR" },
            "version": version
        }))
        .expect("a valid account")
    }

    fn signed_in_cache() -> (Cache, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(&dir.path().join("cache.sqlite3")).expect("open");
        cache
            .signed_in("http://server/", &view(1), Utc::now())
            .expect("signed in");
        (cache, dir)
    }

    fn fr() -> Country {
        Country::parse("FR").expect("FR")
    }

    #[test]
    fn a_fresh_cache_is_migrated_to_the_latest_schema_and_reopens_cleanly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested").join("cache.sqlite3");

        drop(Cache::open(&path).expect("create"));
        let reopened = Cache::open(&path).expect("reopen");

        let version: i64 = reopened
            .with(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
            .expect("version");
        let mode: String = reopened
            .with(|c| Ok(c.pragma_query_value(None, "journal_mode", |r| r.get(0))?))
            .expect("mode");
        assert_eq!(version, i64::try_from(MIGRATIONS.len()).expect("small"));
        assert_eq!(mode, "wal");
        assert!(reopened.account().expect("read").is_none());
    }

    #[test]
    fn an_edit_is_shown_in_the_view_and_queued_while_the_server_view_stays_as_sent() {
        let (cache, _dir) = signed_in_cache();

        let shown = cache
            .enqueue(vec![Pref::Language(Language::Es)], Utc::now())
            .expect("enqueue");

        assert_eq!(shown.view.language, Language::Es);
        assert!(shown.view.region_configured);
        assert_eq!(shown.server_version, 1);
        assert_eq!(shown.pending_edits, 1);
        assert_eq!(
            shown
                .pending_fields
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>(),
            ["language"]
        );
        let next = cache.claim_next().expect("claim").expect("queued");
        assert_eq!(next.base, 1);
        assert_eq!(next.prefs, vec![Pref::Language(Language::Es)]);
    }

    #[test]
    fn a_claimed_request_repeats_identically_until_its_answer_is_recorded() {
        let (cache, _dir) = signed_in_cache();
        cache
            .enqueue(vec![Pref::Language(Language::Es)], Utc::now())
            .expect("enqueue");

        let first = cache.claim_next().expect("claim").expect("queued");
        cache
            .enqueue(vec![Pref::Language(Language::De)], Utc::now())
            .expect("a later edit");
        let again = cache.claim_next().expect("claim").expect("queued");

        assert_eq!(
            again.key, first.key,
            "same key: the server replays, not re-applies"
        );
        assert_eq!(
            again.prefs, first.prefs,
            "a sent request is never merged into"
        );
        assert_eq!(cache.pending_edits().expect("count"), 2);
        assert_eq!(
            cache
                .account()
                .expect("read")
                .expect("cached")
                .view
                .language,
            Language::De,
            "the view shows the latest write"
        );
    }

    #[test]
    fn an_acknowledgement_rebases_later_writes_of_the_same_field_but_not_others() {
        let (cache, _dir) = signed_in_cache();
        cache
            .enqueue(vec![Pref::Language(Language::Es)], Utc::now())
            .expect("enqueue");
        let first = cache.claim_next().expect("claim").expect("queued");
        cache
            .enqueue(
                vec![Pref::Language(Language::De), Pref::Country(fr())],
                Utc::now(),
            )
            .expect("a later edit");
        let mut acked = view(2);
        acked.language = Language::Es;

        let after = cache.acknowledged(&first, &acked, Utc::now()).expect("ack");
        let country = cache.claim_next().expect("claim").expect("country first");
        let mut acked3 = acked.clone();
        acked3.country = Some(fr());
        acked3.version = 3;
        cache
            .acknowledged(&country, &acked3, Utc::now())
            .expect("ack");
        let language = cache.claim_next().expect("claim").expect("then language");

        assert_eq!(after.server_version, 2);
        assert_eq!(after.view.language, Language::De);
        assert_eq!(after.view.country, Some(fr()));
        assert_eq!(
            country.base, 1,
            "a change elsewhere since 1 must still conflict"
        );
        assert_eq!(country.prefs, vec![Pref::Country(fr())]);
        assert_ne!(country.key, first.key);
        assert_eq!(language.base, 2, "our own write at 2 is not a conflict");
        assert_eq!(language.prefs, vec![Pref::Language(Language::De)]);
        assert_ne!(language.key, country.key, "another body, another key");
    }

    #[test]
    fn a_conflict_drops_the_conflicting_write_and_rebases_the_rest_on_the_current_version() {
        let (cache, _dir) = signed_in_cache();
        cache
            .enqueue(
                vec![Pref::Language(Language::Es), Pref::Country(fr())],
                Utc::now(),
            )
            .expect("enqueue");
        let sent = cache.claim_next().expect("claim").expect("queued");
        let mut current = view(5);
        current.language = Language::It;
        let conflicting: BTreeSet<PrefField> = [PrefField::Language].into();

        let after = cache
            .conflicted(&sent, &conflicting, &current, Utc::now())
            .expect("conflict");
        let resend = cache.claim_next().expect("claim").expect("the rest");

        assert_eq!(
            after.view.language,
            Language::It,
            "the server's value stands"
        );
        assert_eq!(after.view.country, Some(fr()));
        assert_eq!(resend.base, 5);
        assert_eq!(resend.prefs, vec![Pref::Country(fr())]);
        assert_ne!(resend.key, sent.key);
    }

    #[test]
    fn an_older_answer_never_replaces_a_newer_cached_account() {
        let (cache, _dir) = signed_in_cache();
        cache
            .server_account(&view(9), ETag::parse("\"9\"").as_ref(), Utc::now())
            .expect("newer");

        let after = cache
            .server_account(&view(4), None, Utc::now())
            .expect("older");

        assert_eq!(after.server_version, 9);
        assert_eq!(after.etag, ETag::parse("\"9\""));
    }

    #[test]
    fn a_pushed_balance_updates_the_balance_row_and_the_view_but_keeps_the_etag_and_queue() {
        let (cache, _dir) = signed_in_cache();
        cache
            .server_account(&view(2), ETag::parse("\"2-10000\"").as_ref(), Utc::now())
            .expect("fetched");
        cache
            .enqueue(vec![Pref::Language(Language::Es)], Utc::now())
            .expect("enqueue");
        let eur = account_model::Currency::parse("EUR").expect("EUR");
        let pushed = BalanceView {
            amount_minor: 4_200,
            currency: eur,
        };

        let (stored, changed) = cache.set_balance(pushed, Utc::now()).expect("stored");
        let (_, again) = cache.set_balance(pushed, Utc::now()).expect("stored");
        let account = cache.account().expect("read").expect("cached");

        assert!(changed);
        assert!(!again, "the same balance is not a change");
        assert_eq!(stored.balance, pushed);
        assert_eq!(
            cache.balance().expect("read").map(|b| b.balance),
            Some(pushed)
        );
        assert_eq!(account.view.balance, pushed);
        assert_eq!(
            account.view.language,
            Language::Es,
            "queued edits stay on top"
        );
        assert_eq!(account.etag, ETag::parse("\"2-10000\""));
    }

    #[test]
    fn the_alert_state_is_stored_and_a_second_evaluation_below_the_threshold_stays_quiet() {
        let (cache, _dir) = signed_in_cache();
        let mut billing = view(2);
        billing.notifications.low_balance = Some(account_model::dto::LowBalanceView {
            enabled: true,
            threshold_minor: 20_000,
            channels: vec![account_model::Channel::Desktop],
        });
        cache
            .server_account(&billing, None, Utc::now())
            .expect("fetched");

        let first = cache.evaluate_alert(Utc::now()).expect("evaluated");
        let second = cache.evaluate_alert(Utc::now()).expect("evaluated");

        let alert = first.expect("10 000 < 20 000 fires");
        assert_eq!(alert.balance_minor, 10_000);
        assert_eq!(alert.threshold_minor, 20_000);
        assert_eq!(second, None);
        assert_eq!(cache.alert_state().expect("read"), AlertState::Fired);
        cache.wipe().expect("wipe");
        assert_eq!(cache.alert_state().expect("read"), AlertState::Armed);
    }

    #[test]
    fn a_cache_from_the_first_schema_gets_its_balance_row_from_the_cached_account() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cache.sqlite3");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(MIGRATIONS[0]).expect("schema 1");
            conn.pragma_update(None, "user_version", 1)
                .expect("version");
            let json = to_json(&view(3)).expect("json");
            conn.execute(
                "INSERT INTO account (id, server, user_id, server_view, view, synced_at) \
                 VALUES (1, 'http://server/', 7, ?1, ?1, 1000)",
                params![json],
            )
            .expect("account");
        }

        let cache = Cache::open(&path).expect("migrated");
        let balance = cache.balance().expect("read").expect("backfilled");

        assert_eq!(balance.balance.amount_minor, 10_000);
        assert_eq!(balance.balance.currency.as_str(), "EUR");
        assert_eq!(balance.synced_at, from_ms(1000));
        assert_eq!(cache.last_event_id().expect("read"), None);
    }

    #[test]
    fn the_last_event_id_only_moves_forward() {
        let (cache, _dir) = signed_in_cache();

        cache.set_last_event_id(9).expect("stored");
        cache.set_last_event_id(4).expect("stored");

        assert_eq!(cache.last_event_id().expect("read"), Some(9));
    }

    #[test]
    fn signing_in_as_another_user_wipes_the_cache_but_the_same_user_keeps_the_queue() {
        let (cache, _dir) = signed_in_cache();
        cache
            .enqueue(vec![Pref::Language(Language::Es)], Utc::now())
            .expect("enqueue");

        cache
            .signed_in("http://server/", &view(3), Utc::now())
            .expect("same user again");
        let same = cache.account().expect("read").expect("cached");
        let mut bob = view(1);
        bob.id = 8;
        cache
            .signed_in("http://server/", &bob, Utc::now())
            .expect("another user");
        let other = cache.account().expect("read").expect("cached");

        assert_eq!(same.pending_edits, 1);
        assert_eq!(same.view.language, Language::Es);
        assert_eq!(other.pending_edits, 0);
        assert_eq!(other.view.id, 8);
    }
}
