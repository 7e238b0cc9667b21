//! The PostgreSQL engine: several identical server instances on one database.
//!
//! Each instance holds a connection pool (deadpool-postgres; every statement prepared
//! once per connection) and one dedicated LISTEN connection ([`listen`]). Everything
//! that must agree across instances lives in the database and changes inside the write
//! transaction, under the row locks the services take (see the store's module doc):
//! wrong-password counters, code sends, idempotency keys, alert state, owners.
//!
//! - A write transaction is `BEGIN` (READ COMMITTED) plus taking a transaction id at
//!   once: every id an event insert then draws from the sequence is drawn by a
//!   transaction that already has its xid, which the feed's hole rule relies on.
//! - Events notify `account_events` and outbox writes `account_outbox` at commit, so
//!   other instances wake at once; NOTIFY only wakes, the table is what is read, and
//!   a lost notification costs latency, never an event.
//! - A read "transaction" is a pooled connection in autocommit: the read paths take
//!   at most a few statements whose small skew (a version bumped between two of them)
//!   shows up in the next read.
//! - Migrations (`migrations/postgres`) run under an advisory lock, so two instances
//!   starting together migrate once; the address skeletons SQL cannot compute are
//!   filled in under the same lock, right after.
//! - TLS follows the URL's `sslmode` (`disable`, `prefer` — the default —, `require`),
//!   and whenever TLS is used the server's certificate is verified: against the Mozilla
//!   roots, or the CA certificates of `database_ca_file` (a managed database's own CA,
//!   a company CA). There is no mode that accepts any certificate.

mod codes;
mod feed;
pub mod listen;
mod migrate;
mod money;
mod outbox;
mod retention;
mod sessions;
mod users;

use std::str::FromStr;
use std::time::Duration;

use account_model::{ChangeKind, Email, PhoneNumber, PrefChange, PrefField, Role};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio::sync::watch;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::*;

/// A pooled connection, with its per-connection statement cache.
pub(crate) type Client = deadpool_postgres::ClientWrapper;

pub(crate) const EVENTS_CHANNEL: &str = "account_events";
pub(crate) const OUTBOX_CHANNEL: &str = "account_outbox";

pub use listen::application_name as listener_name;

/// The advisory lock key of each [`LockKey`] (and of migrations): fixed numbers, the
/// same in every instance and release.
fn lock_id(key: LockKey) -> i64 {
    match key {
        LockKey::Seed => 0x6163_6374_0000_0002,
        LockKey::Retention => 0x6163_6374_0000_0003,
    }
}
const MIGRATION_LOCK: i64 = 0x6163_6374_0000_0001;

/// A pool's error with its whole cause chain (the driver's error alone says only
/// "error performing TLS handshake", its cause says which certificate was refused).
fn pool_error(e: impl std::error::Error) -> StoreError {
    let mut message = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    StoreError::Pool(message)
}

/// The TLS connector: the Mozilla roots, or the certificates of `ca_file`.
pub(crate) fn tls(ca_file: Option<&std::path::Path>) -> StoreResult<MakeRustlsConnect> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let refuse = |why: String| StoreError::Pool(format!("database_ca_file: {why}"));
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| refuse(format!("{} cannot be read: {e}", path.display())))?;
            for cert in certs {
                let cert = cert.map_err(|e| refuse(format!("{}: {e}", path.display())))?;
                roots
                    .add(cert)
                    .map_err(|e| refuse(format!("{}: {e}", path.display())))?;
            }
            if roots.is_empty() {
                return Err(refuse(format!("{} holds no certificate", path.display())));
            }
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StoreError::Pool(format!("TLS setup: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// A PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    /// How often the LISTEN side also looks on its own (a notification lost while the
    /// connection was down is covered by the catch-up at reconnect; this is the net
    /// under that).
    fallback: Duration,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .field("fallback", &self.fallback)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`), with at most
    /// `pool_size` connections and TLS as [`tls`] sets it up, and brings the schema up to
    /// date.
    pub async fn open(
        url: &str,
        pool_size: usize,
        fallback_ms: u64,
        ca_file: Option<&std::path::Path>,
    ) -> StoreResult<Self> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Pool(format!("database_url is not usable: {e}")))?;
        if config.get_application_name().is_none() {
            config.application_name("account-server");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let tls = tls(ca_file)?;
        let manager = Manager::from_config(
            config.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(pool_error)?;
        migrate::run(&pool, MIGRATION_LOCK).await?;
        Ok(Self {
            pool,
            config,
            tls,
            fallback: Duration::from_millis(fallback_ms),
        })
    }

    pub(crate) async fn client(&self) -> StoreResult<Object> {
        self.pool.get().await.map_err(pool_error)
    }
}

/// A read or write transaction on one pooled connection.
pub struct PgTx {
    /// `None` once the transaction ended.
    client: Option<Object>,
    /// A write transaction (`BEGIN` was sent).
    writing: bool,
    events_written: bool,
    outbox_written: bool,
    changed: Changed,
}

impl std::fmt::Debug for PgTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTx")
            .field("open", &self.client.is_some())
            .field("writing", &self.writing)
            .finish()
    }
}

impl PgTx {
    fn client(&self) -> StoreResult<&Client> {
        self.client
            .as_deref()
            .ok_or_else(|| StoreError::Corrupt("a transaction used after it ended".into()))
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if !self.writing {
            return;
        }
        // Dropped mid-transaction (a refusal, an error, a cancelled request): roll back
        // before the connection goes back to the pool, or close it when that cannot be.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(e) = client.batch_execute("ROLLBACK").await {
                        tracing::warn!(error = %e, "rolling back a PostgreSQL transaction failed; the connection is closed");
                        drop(Object::take(client));
                    }
                });
            }
            Err(_) => drop(Object::take(client)),
        }
    }
}

#[async_trait]
impl Backend for PgStore {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    async fn read(&self) -> StoreResult<Box<dyn ReadTx>> {
        Ok(Box::new(PgTx {
            client: Some(self.client().await?),
            writing: false,
            events_written: false,
            outbox_written: false,
            changed: Changed::default(),
        }))
    }

    async fn write(&self) -> StoreResult<Box<dyn WriteTx>> {
        let client = self.client().await?;
        client
            .batch_execute("BEGIN; SELECT pg_current_xact_id()")
            .await?;
        Ok(Box::new(PgTx {
            client: Some(client),
            writing: true,
            events_written: false,
            outbox_written: false,
            changed: Changed::default(),
        }))
    }

    async fn event_feed(&self) -> StoreResult<Box<dyn EventFeed>> {
        Ok(Box::new(feed::Feed::start(self.pool.clone()).await?))
    }

    fn watch_others(
        &self,
        instance: &str,
        wakers: Wakers,
        shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(listen::run(
            self.config.clone(),
            self.tls.clone(),
            instance.to_owned(),
            wakers,
            self.fallback,
            shutdown,
        ))
    }
}

#[async_trait]
impl ReadTx for PgTx {
    async fn user_by_id(&mut self, id: i64) -> StoreResult<Option<UserRecord>> {
        users::by_id(self.client()?, id).await
    }
    async fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<UserRecord>> {
        users::by_email(self.client()?, email).await
    }
    async fn email_taken(&mut self, email: &Email, other_than: i64) -> StoreResult<bool> {
        users::email_taken(self.client()?, email, other_than).await
    }
    async fn members(&mut self, organization_id: i64) -> StoreResult<Vec<UserRecord>> {
        users::members(self.client()?, organization_id).await
    }
    async fn count_owners(&mut self, organization_id: i64) -> StoreResult<i64> {
        users::count_owners(self.client()?, organization_id).await
    }
    async fn changed_since(
        &mut self,
        user_id: i64,
        base_version: i64,
        fields: &[PrefField],
    ) -> StoreResult<Vec<PrefField>> {
        users::changed_since(self.client()?, user_id, base_version, fields).await
    }
    async fn session_by_token(
        &mut self,
        token_hash: &[u8],
        idle_cutoff: i64,
    ) -> StoreResult<Option<(SessionRecord, UserRecord)>> {
        sessions::by_token(self.client()?, token_hash, idle_cutoff).await
    }
    async fn account_by_token(
        &mut self,
        token_hash: &[u8],
        idle_cutoff: i64,
    ) -> StoreResult<Option<(SessionRecord, UserRecord, PendingChanges)>> {
        sessions::account_by_token(self.client()?, token_hash, idle_cutoff).await
    }
    async fn live_sessions(
        &mut self,
        user_id: i64,
        idle_cutoff: i64,
    ) -> StoreResult<Vec<SessionRecord>> {
        sessions::live(self.client()?, user_id, idle_cutoff).await
    }
    async fn session_is_live(&mut self, id: &str, idle_cutoff: i64) -> StoreResult<bool> {
        sessions::is_live(self.client()?, id, idle_cutoff).await
    }
    async fn pending_change(
        &mut self,
        user_id: i64,
        kind: ChangeKind,
    ) -> StoreResult<Option<PendingChange>> {
        Ok(codes::pending(self.client()?, user_id)
            .await?
            .into_iter()
            .find(|p| p.kind == kind))
    }
    async fn pending_changes(&mut self, user_id: i64) -> StoreResult<PendingChanges> {
        let mut all = PendingChanges::default();
        for change in codes::pending(self.client()?, user_id).await? {
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
        codes::sends_since(self.client()?, user_id, kind, since).await
    }
    async fn stored_response(
        &mut self,
        user_id: i64,
        key: &str,
    ) -> StoreResult<Option<StoredResponse>> {
        money::stored_response(self.client()?, user_id, key).await
    }
    async fn organization(&mut self, id: i64) -> StoreResult<Option<Organization>> {
        money::organization(self.client()?, id, false).await
    }
    async fn organization_by_name(&mut self, name: &str) -> StoreResult<Option<i64>> {
        money::organization_by_name(self.client()?, name).await
    }
    async fn adjustment_by_key(
        &mut self,
        organization_id: i64,
        key: &str,
    ) -> StoreResult<Option<Adjustment>> {
        money::adjustment_by_key(self.client()?, organization_id, key).await
    }
    async fn alert_armed(&mut self, user_id: i64) -> StoreResult<bool> {
        money::alert_armed(self.client()?, user_id).await
    }
    async fn event_bounds(&mut self) -> StoreResult<(i64, Option<i64>)> {
        feed::bounds(self.client()?).await
    }
    async fn visible_events(
        &mut self,
        scope: &EventScope,
        after: i64,
        upto: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        feed::visible(self.client()?, scope, after, upto, limit).await
    }
    async fn outbox(&mut self, filter: &OutboxFilter) -> StoreResult<Vec<OutboxMessage>> {
        outbox::list(self.client()?, filter).await
    }
}

#[async_trait]
impl WriteTx for PgTx {
    async fn commit(mut self: Box<Self>) -> StoreResult<Changed> {
        let mut sql = String::new();
        if self.events_written {
            sql.push_str(&format!("NOTIFY {EVENTS_CHANNEL}; "));
        }
        if self.outbox_written {
            sql.push_str(&format!("NOTIFY {OUTBOX_CHANNEL}; "));
        }
        sql.push_str("COMMIT");
        let client = self.client()?;
        client.batch_execute(&sql).await?;
        // Committed: nothing for `Drop` to roll back.
        self.writing = false;
        Ok(std::mem::take(&mut self.changed))
    }
    async fn lock(&mut self, key: LockKey) -> StoreResult<()> {
        let client = self.client()?;
        let stmt = client
            .prepare_cached("SELECT pg_advisory_xact_lock($1)")
            .await?;
        client.execute(&stmt, &[&lock_id(key)]).await?;
        Ok(())
    }
    async fn try_lock(&mut self, key: LockKey) -> StoreResult<bool> {
        let client = self.client()?;
        let stmt = client
            .prepare_cached("SELECT pg_try_advisory_xact_lock($1)")
            .await?;
        Ok(client
            .query_one(&stmt, &[&lock_id(key)])
            .await?
            .try_get(0)?)
    }
    async fn lock_user(&mut self, id: i64) -> StoreResult<bool> {
        users::lock(self.client()?, id).await
    }
    async fn lock_organization(&mut self, id: i64) -> StoreResult<Option<Organization>> {
        money::organization(self.client()?, id, true).await
    }
    async fn insert_organization(
        &mut self,
        name: &str,
        currency: &str,
        balance_minor: i64,
        now: i64,
    ) -> StoreResult<i64> {
        money::insert_organization(self.client()?, name, currency, balance_minor, now).await
    }
    async fn insert_user(&mut self, user: &NewUser<'_>, now: i64) -> StoreResult<i64> {
        users::insert(self.client()?, user, now).await
    }
    async fn bump_version(&mut self, user_id: i64, now: i64) -> StoreResult<i64> {
        self.changed.user(user_id);
        self.events_written = true;
        users::bump_version(self.client()?, user_id, now).await
    }
    async fn set_password_hash(&mut self, user_id: i64, hash: &str, now: i64) -> StoreResult<()> {
        self.changed.user(user_id);
        users::set_password_hash(self.client()?, user_id, hash, now).await
    }
    async fn set_email(&mut self, user_id: i64, email: &Email, now: i64) -> StoreResult<i64> {
        self.changed.user(user_id);
        self.events_written = true;
        users::set_email(self.client()?, user_id, email, now).await
    }
    async fn set_phone(&mut self, user_id: i64, phone: &PhoneNumber, now: i64) -> StoreResult<i64> {
        self.changed.user(user_id);
        self.events_written = true;
        users::set_phone(self.client()?, user_id, phone, now).await
    }
    async fn set_role(&mut self, user_id: i64, role: Role, now: i64) -> StoreResult<i64> {
        self.changed.user(user_id);
        self.events_written = true;
        users::set_role(self.client()?, user_id, role, now).await
    }
    async fn apply_preferences(
        &mut self,
        user_id: i64,
        changes: &[PrefChange],
        now: i64,
    ) -> StoreResult<i64> {
        self.changed.user(user_id);
        self.events_written = true;
        users::apply_preferences(self.client()?, user_id, changes, now).await
    }
    async fn insert_session(&mut self, session: &NewSession<'_>, now: i64) -> StoreResult<()> {
        sessions::insert(self.client()?, session, now).await
    }
    async fn touch_session(&mut self, id: &str, now: i64) -> StoreResult<()> {
        sessions::touch(self.client()?, id, now).await
    }
    async fn revoke_session(&mut self, user_id: i64, id: &str, now: i64) -> StoreResult<bool> {
        self.changed.user(user_id);
        self.events_written = true;
        sessions::revoke(self.client()?, user_id, id, now).await
    }
    async fn revoke_other_sessions(
        &mut self,
        user_id: i64,
        keep: &str,
        now: i64,
    ) -> StoreResult<u64> {
        self.changed.user(user_id);
        self.events_written = true;
        sessions::revoke_others(self.client()?, user_id, keep, now).await
    }
    async fn lock_throttle(&mut self, key: &str) -> StoreResult<Throttle> {
        sessions::lock_throttle(self.client()?, key).await
    }
    async fn put_throttle(&mut self, key: &str, state: Throttle, now: i64) -> StoreResult<()> {
        sessions::put_throttle(self.client()?, key, state, now).await
    }
    async fn clear_throttle(&mut self, key: &str) -> StoreResult<()> {
        sessions::clear_throttle(self.client()?, key).await
    }
    async fn put_pending_change(&mut self, change: &NewPendingChange<'_>) -> StoreResult<()> {
        self.changed.user(change.user_id);
        codes::put(self.client()?, change).await
    }
    async fn add_code_failure(&mut self, user_id: i64, kind: ChangeKind) -> StoreResult<i64> {
        self.changed.user(user_id);
        codes::add_failure(self.client()?, user_id, kind).await
    }
    async fn delete_pending_change(&mut self, user_id: i64, kind: ChangeKind) -> StoreResult<bool> {
        self.changed.user(user_id);
        codes::delete(self.client()?, user_id, kind).await
    }
    async fn record_code_send(
        &mut self,
        user_id: i64,
        kind: ChangeKind,
        now: i64,
    ) -> StoreResult<()> {
        codes::record_send(self.client()?, user_id, kind, now).await
    }
    async fn store_response(
        &mut self,
        user_id: i64,
        key: &str,
        response: &StoredResponse,
        now: i64,
    ) -> StoreResult<()> {
        money::store_response(self.client()?, user_id, key, response, now).await
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
            self.client()?,
            organization_id,
            key,
            amount_minor,
            description,
            now,
        )
        .await
    }
    async fn set_alert_armed(&mut self, user_id: i64, armed: bool, now: i64) -> StoreResult<()> {
        money::set_alert_armed(self.client()?, user_id, armed, now).await
    }
    async fn clear_alert(&mut self, user_id: i64) -> StoreResult<()> {
        money::clear_alert(self.client()?, user_id).await
    }
    async fn insert_event(&mut self, event: &NewEvent<'_>, now: i64) -> StoreResult<i64> {
        self.changed.event(event);
        self.events_written = true;
        feed::insert(self.client()?, event, now).await
    }
    async fn enqueue(&mut self, message: &NewMessage<'_>, now: i64) -> StoreResult<i64> {
        self.outbox_written = true;
        outbox::enqueue(self.client()?, message, now).await
    }
    async fn claim_due(
        &mut self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        outbox::claim_due(self.client()?, now, lease_ms, limit).await
    }
    async fn mark_sent(&mut self, id: i64, attempts: i64, now: i64) -> StoreResult<bool> {
        outbox::mark_sent(self.client()?, id, attempts, now).await
    }
    async fn mark_failed(
        &mut self,
        id: i64,
        attempts: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> StoreResult<bool> {
        outbox::mark_failed(self.client()?, id, attempts, error, retry_at).await
    }
    async fn prune(&mut self, rules: &Retention, now: i64) -> StoreResult<Pruned> {
        retention::prune(self.client()?, rules, now).await
    }
}
