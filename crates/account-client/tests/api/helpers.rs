//! The harness: a real account-server on 127.0.0.1 port 0 with its own SQLite file and a
//! manual clock, users seeded straight into its store, and an `account_client::Client`
//! pointed at it.

use std::time::Duration;

use account_client::{Client, ClientConfig};
use account_model::Role;
use account_server::config::Config;
use account_server::testing::{self, Fixture};
use secrecy::SecretString;

pub use account_server::testing::PASSWORD;

/// The shared server fixture plus a client pointed at it.
pub struct TestServer {
    pub fixture: Fixture,
    pub client: Client,
}

impl std::ops::Deref for TestServer {
    type Target = Fixture;

    fn deref(&self) -> &Fixture {
        &self.fixture
    }
}

pub fn password() -> SecretString {
    SecretString::from(PASSWORD)
}

pub async fn spawn_server() -> TestServer {
    spawn_server_with(|_| {}).await
}

/// A server whose configuration `adjust` changed first (heartbeat, service token...).
pub async fn spawn_server_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
    let fixture = Fixture::spawn(adjust).await.expect("server starts");
    let client = client_for(&fixture.base_url());
    TestServer { fixture, client }
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

/// An address where nothing listens, kept so for as long as the returned socket lives:
/// the port is bound but never listened on, so a connection is refused and no other
/// test's server can be handed the same port meanwhile (a port freed by dropping a
/// listener was, under Wine, and the "unreachable" server then answered).
pub fn nobody_listening() -> (tokio::net::TcpSocket, String) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind");
    let base = format!("http://{}", socket.local_addr().expect("addr"));
    (socket, base)
}
