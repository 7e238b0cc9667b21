//! The harness: a real account-server on 127.0.0.1 port 0 with its own SQLite file and a
//! manual clock, users seeded straight into its store, and an `account_client::Client`
//! pointed at it.

use std::sync::Arc;
use std::time::Duration;

use account_client::{Client, ClientConfig};
use account_model::{Email, PhoneNumber, Role};
use account_server::App;
use account_server::clock::ManualClock;
use account_server::config::{Config, DeliveryMode};
use account_server::store::outbox::{self, Filter};
use account_server::store::{orgs, users};
use secrecy::SecretString;

pub const PASSWORD: &str = "plum kettle orbit lantern";

pub struct TestServer {
    pub app: App,
    pub clock: ManualClock,
    pub client: Client,
    /// What the server was started with (`listen` is the address it got).
    pub config: Config,
    pub org_id: i64,
    pub dir: tempfile::TempDir,
}

pub fn password() -> SecretString {
    SecretString::from(PASSWORD)
}

pub async fn spawn_server() -> TestServer {
    spawn_server_with(|_| {}).await
}

/// A server whose configuration `adjust` changed first (heartbeat, service token...).
pub async fn spawn_server_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        database_path: dir.path().join("account.db"),
        delivery: DeliveryMode::Hold,
        code_secret: Some(SecretString::from(
            "test code secret of at least thirty-two chars",
        )),
        ..Config::default()
    };
    adjust(&mut config);
    let clock = ManualClock::new(chrono::Utc::now());
    let app = App::spawn(config.clone(), Arc::new(clock.clone()))
        .await
        .expect("server starts");
    config.listen = app.addr;
    let now = app.services.now_ms();
    let org_id = app
        .services
        .db
        .write(move |tx| orgs::insert(tx, "Acme Marketing", "EUR", 10_000, now))
        .await
        .expect("org");
    let base = format!("http://{}", app.addr);
    let client = client_for(&base);
    TestServer {
        app,
        clock,
        client,
        config,
        org_id,
        dir,
    }
}

/// A client with short waits, so retry and timeout tests stay fast.
pub fn client_for(base: &str) -> Client {
    let mut config = ClientConfig::new(base).expect("base url");
    config.timeout = Duration::from_secs(10);
    config.backoff = Duration::from_millis(20);
    config.max_backoff = Duration::from_millis(80);
    Client::new(config).expect("client")
}

impl TestServer {
    /// Adds a user with [`PASSWORD`] and a Spanish phone number to the organization.
    pub async fn add_user(&self, role: Role, email: &str) -> i64 {
        let hash = self
            .app
            .services
            .hasher
            .hash(password())
            .await
            .expect("hash");
        let email = Email::parse(email).expect("email");
        let phone = PhoneNumber::parse("+34600123456").expect("phone");
        let (org, now) = (self.org_id, self.app.services.now_ms());
        self.app
            .services
            .db
            .write(move |tx| {
                users::insert(
                    tx,
                    &users::NewUser {
                        organization_id: org,
                        name: "Test Person",
                        email: &email,
                        phone: Some(&phone),
                        role,
                        password_hash: &hash,
                        low_balance: None,
                    },
                    now,
                )
            })
            .await
            .expect("user")
    }

    /// Adds a user and signs them in through the client; returns the token.
    pub async fn signed_in(&self, role: Role, email: &str) -> SecretString {
        self.add_user(role, email).await;
        self.client
            .sign_in(email, &password(), Some("test device"), None)
            .await
            .expect("sign in")
            .token
    }

    /// The 6-digit code in the newest message queued for `recipient`.
    pub async fn last_code(&self, recipient: &str) -> String {
        let filter = Filter {
            recipient: Some(recipient.to_owned()),
            ..Filter::default()
        };
        let messages = self
            .app
            .services
            .db
            .call(move |c| outbox::list(c, &filter))
            .await
            .expect("outbox");
        let body = &messages.last().expect("a message was queued").body;
        body.split(|c: char| !c.is_ascii_digit())
            .find(|run| run.len() == 6)
            .expect("the message has a code")
            .to_owned()
    }
}
