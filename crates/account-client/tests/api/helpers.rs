//! The harness: a real account-server on 127.0.0.1 port 0 with its own SQLite file and a
//! manual clock, users seeded straight into its store, and an `account_client::Client`
//! pointed at it.

use std::sync::Arc;
use std::time::Duration;

use account_client::{Client, ClientConfig};
use account_model::Role;
use account_server::App;
use account_server::clock::ManualClock;
use account_server::config::Config;
use account_server::testing;
use secrecy::SecretString;

pub use account_server::testing::PASSWORD;

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
    let mut config = testing::config(dir.path());
    adjust(&mut config);
    let clock = ManualClock::new(chrono::Utc::now());
    let app = App::spawn(config.clone(), Arc::new(clock.clone()))
        .await
        .expect("server starts");
    config.listen = app.addr;
    let org_id = testing::create_organization(&app.services)
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
        testing::add_user(
            &self.app.services,
            self.org_id,
            role,
            email,
            Some("+34600123456"),
        )
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
        testing::last_code(&self.app.services, recipient)
            .await
            .expect("code")
    }
}
