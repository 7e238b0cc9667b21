//! Building blocks for tests of this server and of the crates that talk to it (the
//! client, the desktop core, the end-to-end suites), behind the `testing` feature so
//! production builds do not carry them.
//!
//! A [`Fixture`] is the real server on 127.0.0.1 port 0 with a database of its own — a
//! SQLite file in a temporary folder, or a fresh PostgreSQL database on the test
//! cluster — a [`ManualClock`], one organization, and helpers that seed users and read
//! the outbox through the store, so every suite seeds data the same way on both engines.
//!
//! PostgreSQL: `TEST_POSTGRES_URL` names a server where the tests may create
//! databases (`postgres://postgres@127.0.0.1:55432/postgres`); `make test` starts a
//! throwaway cluster and sets it. Without it a PostgreSQL test fails, saying so: a test
//! that skips itself would let CI pass without ever running it.

pub mod sinks;

use std::sync::Arc;

use account_model::{DisplayName, Email, PhoneNumber, PrefChange, Role};
use rand::RngCore;
use secrecy::SecretString;

use crate::App;
use crate::clock::{Clock, ManualClock};
use crate::config::{Config, DeliveryMode};
use crate::service::Services;
use crate::store::{Engine, NewUser, OutboxFilter, OutboxMessage};

/// The password of every seeded user (meets the policy).
pub const PASSWORD: &str = "plum kettle orbit lantern";
/// The service token of every fixture's configuration.
pub const SERVICE_TOKEN: &str = "service token for the tests, 32+ chars";
/// The seeded organization's starting balance (100.00 EUR).
pub const START_BALANCE_MINOR: i64 = 10_000;
/// Where the PostgreSQL tests create their databases.
pub const DATABASE_URL_VARIABLE: &str = "TEST_POSTGRES_URL";
/// The CA certificate of the test server, when it speaks TLS (`make test`'s does).
pub const DATABASE_CA_VARIABLE: &str = "TEST_POSTGRES_CA";

/// A configuration for tests: port 0, the database in `dir`, messages held in the outbox.
pub fn config(dir: &std::path::Path) -> Config {
    Config {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        database_path: dir.join("account.db"),
        delivery: DeliveryMode::Hold,
        code_secret: Some(SecretString::from(
            "test code secret of at least thirty-two chars",
        )),
        service_token: Some(SecretString::from(SERVICE_TOKEN)),
        ..Config::default()
    }
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority = base
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| anyhow::anyhow!("{DATABASE_URL_VARIABLE} is not a URL: {url}"))?;
    let host_end = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut out = format!("{}/{database}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

/// A PostgreSQL database made for one test, dropped with it.
#[derive(Debug)]
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// Creates an empty database on the test server.
    pub async fn create() -> anyhow::Result<Self> {
        let admin_url = std::env::var(DATABASE_URL_VARIABLE).map_err(|_| {
            anyhow::anyhow!(
                "this test runs on PostgreSQL and {DATABASE_URL_VARIABLE} is not set: run it \
                 through `make test` (which starts a throwaway cluster), or point the variable \
                 at a server where it may create databases"
            )
        })?;
        let mut id = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let name = format!(
            "test_{}",
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let (client, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
            .await
            .map_err(|e| anyhow::anyhow!("connecting to {DATABASE_URL_VARIABLE}: {e}"))?;
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        drop(client);
        let _ = driver.await;
        Ok(Self {
            url: with_database(&admin_url, &name)?,
            admin_url,
            name,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs in async code with no way to await: a thread of its own, briefly.
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let (client, connection) =
                    tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                anyhow::Ok(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop the test database {}: {e:#}", self.name);
        }
    }
}

/// The database of one test, on either engine.
#[derive(Debug)]
pub struct TestDatabase {
    /// Holds the SQLite file (and anything else the test writes); deleted on drop.
    pub dir: tempfile::TempDir,
    pub postgres: Option<PgDatabase>,
}

impl TestDatabase {
    pub async fn create(engine: Engine) -> anyhow::Result<Self> {
        Ok(Self {
            dir: tempfile::tempdir()?,
            postgres: match engine {
                Engine::Sqlite => None,
                Engine::Postgres => Some(PgDatabase::create().await?),
            },
        })
    }

    /// [`config`] pointed at this database (over TLS, checked against the test server's
    /// CA, when `TEST_POSTGRES_CA` names one).
    pub fn config(&self) -> Config {
        let mut config = config(self.dir.path());
        if let Some(pg) = &self.postgres {
            config.database_url = Some(SecretString::from(pg.url.clone()));
            config.database_ca_file = std::env::var_os(DATABASE_CA_VARIABLE).map(Into::into);
        }
        config
    }
}

/// Creates the test organization ("Acme Marketing", EUR, [`START_BALANCE_MINOR`]).
pub async fn create_organization(services: &Services) -> anyhow::Result<i64> {
    let now = services.now_ms();
    let mut tx = services.store.write().await?;
    let id = tx
        .insert_organization("Acme Marketing", "EUR", START_BALANCE_MINOR, now)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a user named "Test Person" with [`PASSWORD`] to `organization_id`; returns its id.
pub async fn add_user(
    services: &Services,
    organization_id: i64,
    role: Role,
    email: &str,
    phone: Option<&str>,
) -> anyhow::Result<i64> {
    let hash = services.hasher.hash(SecretString::from(PASSWORD)).await?;
    let name = DisplayName::parse("Test Person")?;
    let email = Email::parse(email)?;
    let phone = phone.map(PhoneNumber::parse).transpose()?;
    let now = services.now_ms();
    let mut tx = services.store.write().await?;
    let id = tx
        .insert_user(
            &NewUser {
                organization_id,
                name: &name,
                email: &email,
                phone: phone.as_ref(),
                role,
                password_hash: &hash,
                low_balance: None,
            },
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every message queued for `recipient`, oldest first.
pub async fn outbox(services: &Services, recipient: &str) -> anyhow::Result<Vec<OutboxMessage>> {
    let filter = OutboxFilter {
        recipient: Some(recipient.to_owned()),
        ..OutboxFilter::default()
    };
    Ok(services.store.read().await?.outbox(&filter).await?)
}

/// The 6-digit code in the newest message to `recipient`.
pub async fn last_code(services: &Services, recipient: &str) -> anyhow::Result<String> {
    let messages = outbox(services, recipient).await?;
    let last = messages
        .last()
        .ok_or_else(|| anyhow::anyhow!("no message to {recipient}"))?;
    extract_code(&last.body).ok_or_else(|| anyhow::anyhow!("no code in: {}", last.body))
}

/// A running server with one organization ("Acme Marketing", EUR).
#[derive(Debug)]
pub struct Fixture {
    pub app: App,
    pub config: Config,
    pub clock: ManualClock,
    pub org_id: i64,
    pub engine: Engine,
    /// Holds the database; dropping it deletes it.
    pub database: TestDatabase,
}

impl Fixture {
    /// Starts a SQLite server with [`config`], changed by `tweak`.
    pub async fn spawn(tweak: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        Self::spawn_on(Engine::Sqlite, tweak).await
    }

    /// Starts a server on `engine` with a fresh database and [`config`], changed by
    /// `tweak`.
    pub async fn spawn_on(engine: Engine, tweak: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        log_to_test_output();
        let database = TestDatabase::create(engine).await?;
        let mut config = database.config();
        tweak(&mut config);
        let clock = ManualClock::new(chrono::Utc::now());
        let app = App::spawn(config.clone(), Arc::new(clock.clone())).await?;
        let org_id = create_organization(&app.services).await?;
        Ok(Self {
            app,
            config,
            clock,
            org_id,
            engine,
            database,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.app.addr)
    }

    /// The fixture's temporary folder (deleted when the fixture is dropped).
    pub fn dir(&self) -> &std::path::Path {
        self.database.dir.path()
    }

    /// Another server instance on the same database and clock, on a port of its own
    /// (PostgreSQL: what a second machine behind the load balancer would be).
    pub async fn another_instance(&self) -> anyhow::Result<App> {
        App::spawn(self.config.clone(), Arc::new(self.clock.clone())).await
    }

    /// Stops the server, then starts a new one on the same database and clock; on the
    /// same port when `same_port` (so clients configured with the old address reconnect).
    pub async fn restart(self, same_port: bool) -> anyhow::Result<Self> {
        let Self {
            app,
            config,
            clock,
            org_id,
            engine,
            database,
        } = self;
        let addr = app.addr;
        app.stop().await?;
        let mut run = config.clone();
        if same_port {
            run.listen = addr;
        }
        let app = App::spawn(run, Arc::new(clock.clone()) as Arc<dyn Clock>).await?;
        Ok(Self {
            app,
            config,
            clock,
            org_id,
            engine,
            database,
        })
    }

    /// Adds a user with [`PASSWORD`] to the organization; returns its id.
    pub async fn add_user(
        &self,
        role: Role,
        email: &str,
        phone: Option<&str>,
    ) -> anyhow::Result<i64> {
        add_user(&self.app.services, self.org_id, role, email, phone).await
    }

    /// Sets preferences straight in the store (values the API would refuse too).
    pub async fn set_preferences(
        &self,
        user_id: i64,
        changes: Vec<PrefChange>,
    ) -> anyhow::Result<()> {
        let services = &self.app.services;
        let mut tx = services.store.write().await?;
        tx.apply_preferences(user_id, &changes, services.now_ms())
            .await?;
        services.commit(tx).await?;
        Ok(())
    }

    /// Every message queued for `recipient`, oldest first.
    pub async fn outbox(&self, recipient: &str) -> anyhow::Result<Vec<OutboxMessage>> {
        outbox(&self.app.services, recipient).await
    }

    /// The 6-digit code in the newest message to `recipient`.
    pub async fn last_code(&self, recipient: &str) -> anyhow::Result<String> {
        last_code(&self.app.services, recipient).await
    }
}

/// The server's log in the test's captured output (shown when it fails): warnings and
/// errors, or what `ACCOUNT_LOG` asks for.
pub fn log_to_test_output() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ACCOUNT_LOG")
        .unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

/// The first run of exactly six digits in `text`.
pub fn extract_code(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_database_url_keeps_its_server_and_options() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:55432/postgres", "test_1").expect("url"),
            "postgres://postgres@127.0.0.1:55432/test_1"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1/db?sslmode=disable", "t").expect("url"),
            "postgres://u:p@h:1/t?sslmode=disable"
        );
        assert_eq!(
            with_database("postgresql://h", "t").expect("url"),
            "postgresql://h/t"
        );
    }
}
