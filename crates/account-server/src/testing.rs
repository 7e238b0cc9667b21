//! Building blocks for tests of this server and of the crates that talk to it (the
//! client, the desktop core, the end-to-end suites), behind the `testing` feature so
//! production builds do not carry them.
//!
//! A [`Fixture`] is the real server on 127.0.0.1 port 0 with its own SQLite file in a
//! temporary folder, a [`ManualClock`], one organization, and helpers that seed users
//! and read the outbox through the store, so every suite seeds data the same way and a
//! change of the store's signatures is fixed here once.

use std::sync::Arc;

use account_model::{Email, PhoneNumber, Role};
use secrecy::SecretString;

use crate::App;
use crate::clock::{Clock, ManualClock};
use crate::config::{Config, DeliveryMode};
use crate::service::Services;
use crate::store::outbox::{self, Filter, OutboxMessage};
use crate::store::{orgs, users};

/// The password of every seeded user (meets the policy).
pub const PASSWORD: &str = "plum kettle orbit lantern";
/// The service token of every fixture's configuration.
pub const SERVICE_TOKEN: &str = "service token for the tests, 32+ chars";
/// The seeded organization's starting balance (100.00 EUR).
pub const START_BALANCE_MINOR: i64 = 10_000;

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

/// Creates the test organization ("Acme Marketing", EUR, [`START_BALANCE_MINOR`]).
pub async fn create_organization(services: &Services) -> anyhow::Result<i64> {
    let now = services.now_ms();
    Ok(services
        .db
        .write(move |tx| orgs::insert(tx, "Acme Marketing", "EUR", START_BALANCE_MINOR, now))
        .await?)
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
    let email = Email::parse(email)?;
    let phone = phone.map(PhoneNumber::parse).transpose()?;
    let now = services.now_ms();
    Ok(services
        .db
        .write(move |tx| {
            users::insert(
                tx,
                &users::NewUser {
                    organization_id,
                    name: "Test Person",
                    email: &email,
                    phone: phone.as_ref(),
                    role,
                    password_hash: &hash,
                    low_balance: None,
                },
                now,
            )
        })
        .await?)
}

/// Every message queued for `recipient`, oldest first.
pub async fn outbox(services: &Services, recipient: &str) -> anyhow::Result<Vec<OutboxMessage>> {
    let filter = Filter {
        recipient: Some(recipient.to_owned()),
        ..Filter::default()
    };
    Ok(services.db.call(move |c| outbox::list(c, &filter)).await?)
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
    /// Holds the database file; dropping it deletes the folder.
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// Starts a server with [`config`], changed by `tweak`.
    pub async fn spawn(tweak: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut config = config(dir.path());
        tweak(&mut config);
        let clock = ManualClock::new(chrono::Utc::now());
        let app = App::spawn(config.clone(), Arc::new(clock.clone())).await?;
        let org_id = create_organization(&app.services).await?;
        Ok(Self {
            app,
            config,
            clock,
            org_id,
            dir,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.app.addr)
    }

    /// The fixture's temporary folder (deleted when the fixture is dropped).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Stops the server, then starts a new one on the same file and clock; on the same
    /// port when `same_port` (so clients configured with the old address reconnect).
    pub async fn restart(self, same_port: bool) -> anyhow::Result<Self> {
        let Self {
            app,
            config,
            clock,
            org_id,
            dir,
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
            dir,
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

    /// Sets preference fields straight in the store (values the API would refuse too).
    pub async fn set_fields(
        &self,
        user_id: i64,
        fields: Vec<(users::Field, users::Value)>,
    ) -> anyhow::Result<()> {
        let now = self.app.services.now_ms();
        self.app
            .services
            .db
            .write(move |tx| users::apply_fields(tx, user_id, &fields, now))
            .await?;
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

/// The first run of exactly six digits in `text`.
pub fn extract_code(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_owned)
}
