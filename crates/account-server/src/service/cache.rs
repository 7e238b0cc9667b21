//! The account read cache: `GET /v1/account` answered from memory when nothing it shows
//! has changed since it was read.
//!
//! An entry is the session, its user and their pending changes, found by the token's
//! hash. It is served while all of these hold:
//! - nothing was written for its user or its organization since it was read: every event
//!   of the live stream names its user (or, for the balance, its organization), and the
//!   event pump hands each one — whichever instance wrote it — to [`AccountCache::forget`]
//!   as it reads it; this instance's own writes forget at commit, before they answer, so a
//!   client reads what it just wrote through the same instance;
//! - it is younger than `limits.account_cache_ms` (2 s; 0 turns the cache off), so a
//!   pump held up (a transaction still in flight below a committed event) cannot keep a
//!   stale entry for longer than that;
//! - the session is not idle past its cutoff (checked at every read, as the database
//!   query does).
//!
//! What a change through *another* instance costs is the event's way here: the stream's
//! cross-instance latency (1–2 ms in `make bench`), at most that age. Everything that
//! decides or writes (sign-in, re-authentication, role checks, every write) reads the
//! database, never this cache; the cache only answers reads of the account.
//!
//! Races: an entry records the invalidation epoch from before its database read; a
//! `forget` of its user or organization after that epoch voids it, even if the read
//! finished after the forget.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::store::{PendingChanges, SessionRecord, UserRecord};

/// Entries kept at most; when full, the oldest half goes.
const CAPACITY: usize = 100_000;

/// What a read of the account found.
#[derive(Debug)]
pub struct CachedAccount {
    pub session: SessionRecord,
    pub user: UserRecord,
    pub pending: PendingChanges,
}

#[derive(Debug)]
struct Entry {
    account: Arc<CachedAccount>,
    epoch: u64,
    read_at: Instant,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Vec<u8>, Entry>,
    /// The epoch of each user's and organization's last change.
    users: HashMap<i64, u64>,
    organizations: HashMap<i64, u64>,
    epoch: u64,
}

impl Inner {
    fn current(&self, entry: &Entry) -> bool {
        let user = &entry.account.user;
        let changed = |map: &HashMap<i64, u64>, id| map.get(&id).is_some_and(|e| *e > entry.epoch);
        !changed(&self.users, user.id) && !changed(&self.organizations, user.organization_id)
    }
}

/// See the module doc.
#[derive(Debug)]
pub struct AccountCache {
    inner: Mutex<Inner>,
    /// The longest an entry is served without a new read; zero: never kept.
    max_age: Duration,
}

/// Taken before a database read, handed to [`AccountCache::put`] after it.
#[derive(Debug, Clone, Copy)]
pub struct Stamp(u64);

impl AccountCache {
    pub fn new(max_age: Duration) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max_age,
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The entry of `token_hash`, if it may be served (its session used since
    /// `idle_cutoff`).
    pub fn get(&self, token_hash: &[u8], idle_cutoff: i64) -> Option<Arc<CachedAccount>> {
        let inner = self.inner();
        let entry = inner.entries.get(token_hash)?;
        let fresh = entry.read_at.elapsed() < self.max_age
            && entry.account.session.last_seen_at >= idle_cutoff
            && inner.current(entry);
        fresh.then(|| Arc::clone(&entry.account))
    }

    /// Marks the start of a database read.
    pub fn stamp(&self) -> Stamp {
        Stamp(self.inner().epoch)
    }

    /// Keeps what a read that started at `stamp` found.
    pub fn put(&self, token_hash: &[u8], account: Arc<CachedAccount>, stamp: Stamp) {
        if self.max_age.is_zero() {
            return;
        }
        let mut inner = self.inner();
        let entry = Entry {
            account,
            epoch: stamp.0,
            read_at: Instant::now(),
        };
        if !inner.current(&entry) {
            return; // changed while it was being read
        }
        if inner.entries.len() >= CAPACITY {
            let mut ages: Vec<Instant> = inner.entries.values().map(|e| e.read_at).collect();
            ages.sort();
            let cut = ages[ages.len() / 2];
            inner.entries.retain(|_, e| e.read_at > cut);
        }
        inner.entries.insert(token_hash.to_vec(), entry);
    }

    /// Something of `user_id` changed (its account, its sessions, its alert).
    pub fn forget_user(&self, user_id: i64) {
        let mut inner = self.inner();
        inner.epoch += 1;
        let epoch = inner.epoch;
        inner.users.insert(user_id, epoch);
    }

    /// Something of the whole organization changed (its balance).
    pub fn forget_organization(&self, organization_id: i64) {
        let mut inner = self.inner();
        inner.epoch += 1;
        let epoch = inner.epoch;
        inner.organizations.insert(organization_id, epoch);
    }

    /// What an event of the stream changed: its user's, or else its organization's.
    pub fn forget(&self, organization_id: i64, user_id: Option<i64>) {
        match user_id {
            Some(user) => self.forget_user(user),
            None => self.forget_organization(organization_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use account_model::{Channels, Currency, Email, Language, Role, Threshold, TimeZone};

    fn account(user_id: i64, organization_id: i64, last_seen_at: i64) -> Arc<CachedAccount> {
        Arc::new(CachedAccount {
            session: SessionRecord {
                id: "s".into(),
                user_id,
                device_name: "d".into(),
                created_at: 0,
                last_seen_at,
            },
            user: UserRecord {
                id: user_id,
                organization_id,
                organization_name: "Acme".into(),
                currency: Currency::parse("EUR").expect("eur"),
                name: "Ana".into(),
                email: Email::parse("ana@example.com").expect("email"),
                phone: None,
                role: Role::Owner,
                password_hash: String::new(),
                language: Language::En,
                country: None,
                time_zone: TimeZone::utc(),
                region_configured: false,
                contact_imports: Channels::default(),
                billing: Channels::default(),
                low_balance_enabled: false,
                low_balance_threshold: Threshold::parse(0).expect("threshold"),
                low_balance_channels: Channels::default(),
                version: 1,
                balance_minor: 0,
            },
            pending: PendingChanges::default(),
        })
    }

    #[test]
    fn an_entry_is_served_until_its_user_or_organization_changes() {
        let cache = AccountCache::new(Duration::from_secs(2));
        cache.put(b"t1", account(1, 10, 100), cache.stamp());
        cache.put(b"t2", account(2, 10, 100), cache.stamp());
        cache.put(b"t3", account(3, 20, 100), cache.stamp());
        assert!(cache.get(b"t1", 0).is_some());

        cache.forget(10, Some(1));
        assert!(cache.get(b"t1", 0).is_none(), "its user changed");
        assert!(
            cache.get(b"t2", 0).is_some(),
            "another user of the organization did not"
        );

        cache.forget(10, None);
        assert!(
            cache.get(b"t2", 0).is_none(),
            "the organization changed (its balance)"
        );
        assert!(
            cache.get(b"t3", 0).is_some(),
            "another organization did not"
        );
    }

    #[test]
    fn a_read_that_a_change_overtook_is_not_kept() {
        let cache = AccountCache::new(Duration::from_secs(2));
        let stamp = cache.stamp(); // the read starts...
        cache.forget_user(1); // ...a write commits meanwhile...
        cache.put(b"t1", account(1, 10, 100), stamp); // ...and the read ends with the old row
        assert!(cache.get(b"t1", 0).is_none());
        cache.put(b"t1", account(1, 10, 100), cache.stamp());
        assert!(
            cache.get(b"t1", 0).is_some(),
            "a read after the change is kept"
        );
    }

    #[test]
    fn an_entry_older_than_its_age_is_read_again() {
        let cache = AccountCache::new(Duration::from_secs(2));
        cache.put(b"t1", account(1, 10, 100), cache.stamp());
        let old = Instant::now()
            .checked_sub(Duration::from_secs(2))
            .expect("the clock is past two seconds");
        for entry in cache.inner().entries.values_mut() {
            entry.read_at = old;
        }
        assert!(cache.get(b"t1", 0).is_none());
    }

    #[test]
    fn an_age_of_zero_keeps_nothing() {
        let cache = AccountCache::new(Duration::ZERO);
        cache.put(b"t1", account(1, 10, 100), cache.stamp());
        assert!(cache.get(b"t1", 0).is_none());
    }

    #[test]
    fn an_idle_session_is_not_served_from_memory() {
        let cache = AccountCache::new(Duration::from_secs(2));
        cache.put(b"t1", account(1, 10, 100), cache.stamp());
        assert!(cache.get(b"t1", 100).is_some());
        assert!(
            cache.get(b"t1", 101).is_none(),
            "idle past the cutoff: ask the database"
        );
    }
}
