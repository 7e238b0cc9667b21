//! The harness: a real server that can be stopped and restarted on the same address
//! and database file, seeded users, and desktop engines on their own data directories.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use account_client::{AccountFetch, Client, ClientConfig};
use account_model::Role;
use account_model::dto::AccountView;
use account_server::App;
use account_server::clock::ManualClock;
use account_server::config::Config;
use account_server::testing;
use desktop_core::{
    EngineConfig, KeyringTokenStore, MemoryTokenStore, RegionDefaults, SyncEngine, TokenStore,
};
use secrecy::SecretString;

pub use account_server::testing::PASSWORD;

pub fn password() -> SecretString {
    SecretString::from(PASSWORD)
}

pub struct TestServer {
    app: Option<App>,
    config: Config,
    clock: ManualClock,
    pub addr: SocketAddr,
    pub base: String,
    org_id: i64,
    _dir: tempfile::TempDir,
}

pub async fn spawn_server() -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = testing::config(dir.path());
    let clock = ManualClock::new(chrono::Utc::now());
    let app = App::spawn(config.clone(), Arc::new(clock.clone()))
        .await
        .expect("server starts");
    // Restarts bind the same address, so the desktop finds the server where it was.
    config.listen = app.addr;
    let org_id = testing::create_organization(&app.services)
        .await
        .expect("org");
    TestServer {
        addr: app.addr,
        base: format!("http://{}", app.addr),
        app: Some(app),
        config,
        clock,
        org_id,
        _dir: dir,
    }
}

impl TestServer {
    fn app(&self) -> &App {
        self.app.as_ref().expect("the server is running")
    }

    pub async fn stop(&mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await.expect("server stops");
        }
    }

    /// Starts again on the same address and database file.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut tries = 0;
        let app = loop {
            match App::spawn(self.config.clone(), Arc::new(self.clock.clone())).await {
                Ok(app) => break app,
                Err(e) if tries < 50 => {
                    tries += 1;
                    eprintln!("restart on {} not yet possible: {e}", self.addr);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("server restarts: {e}"),
            }
        };
        assert_eq!(app.addr, self.addr);
        self.app = Some(app);
    }

    /// A top-up (positive) or charge (negative) through the server's balance service,
    /// as the service API would make it. Returns the balance after it.
    pub async fn adjust(&self, amount_minor: i64, key: &str) -> i64 {
        self.app()
            .services
            .adjust_balance(self.org_id, amount_minor, key, None)
            .await
            .expect("balance adjusted")
            .balance_after_minor
    }

    /// The same while the server is stopped: straight on its database file, as the
    /// CLI's `balance adjust` would, so the event waits in the stored history.
    pub async fn adjust_while_stopped(&self, amount_minor: i64, key: &str) -> i64 {
        assert!(self.app.is_none(), "the server is stopped");
        let services = account_server::service::Services::new(
            account_server::store::Store::open(&self.config)
                .await
                .expect("store"),
            Arc::new(self.config.clone()),
            Arc::new(self.clock.clone()),
        )
        .expect("services");
        services
            .adjust_balance(self.org_id, amount_minor, key, None)
            .await
            .expect("balance adjusted")
            .balance_after_minor
    }

    /// Adds a user with [`PASSWORD`] and a Spanish phone number.
    pub async fn add_user(&self, role: Role, email: &str) -> i64 {
        let services = &self.app().services;
        testing::add_user(services, self.org_id, role, email, Some("+34600123456"))
            .await
            .expect("user")
    }

    /// Another device of the same user: a plain client with its own session.
    pub async fn other_device(&self, email: &str) -> (Client, SecretString) {
        let client = Client::new(ClientConfig::new(&self.base).expect("url")).expect("client");
        let token = client
            .sign_in(email, &password(), Some("other device"), None)
            .await
            .expect("other device signs in")
            .token;
        (client, token)
    }

    /// The account as the server has it now, read by another device.
    pub async fn account_on_server(&self, email: &str) -> AccountView {
        let (client, token) = self.other_device(email).await;
        match client.account(&token, None).await.expect("get") {
            AccountFetch::Fresh(view, _) => *view,
            AccountFetch::NotModified => panic!("an unconditional GET returns the account"),
        }
    }

    /// The 6-digit code in the newest message queued for `recipient`.
    pub async fn last_code(&self, recipient: &str) -> String {
        testing::last_code(&self.app().services, recipient)
            .await
            .expect("code")
    }
}

/// True when the OS keyring is there to test for real.
///
/// - Linux: the kernel keyring can be written and read back in this session (inside
///   `keyctl session -`, as `make test` runs the tests). Probed with the `keyctl` tool,
///   independently of the code under test.
/// - Windows: always. The Credential Manager belongs to every Windows session (and to
///   Wine's, where `make test` runs these tests), so a failure there must fail the tests,
///   never skip them.
/// - Elsewhere (macOS): false; the Keychain is left to that OS's CI.
pub fn os_keyring_usable() -> bool {
    static USABLE: OnceLock<bool> = OnceLock::new();
    *USABLE.get_or_init(probe_os_keyring)
}

#[cfg(target_os = "linux")]
fn probe_os_keyring() -> bool {
    let run = |args: &[&str]| {
        std::process::Command::new("keyctl")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(id) = run(&["add", "user", "desktop-core-probe", "probe", "@s"]) else {
        return false;
    };
    let readable = run(&["print", &id]).as_deref() == Some("probe");
    let _ = run(&["unlink", &id, "@s"]);
    readable
}

#[cfg(windows)]
fn probe_os_keyring() -> bool {
    true
}

#[cfg(not(any(target_os = "linux", windows)))]
fn probe_os_keyring() -> bool {
    false
}

/// Prints past libtest's output capture (which only catches the print macros), so a
/// skipped check is visible in a normal `cargo test` run.
pub fn say(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// The real OS keyring (a slot of its own) when the session allows it, else memory.
pub fn token_store() -> Arc<dyn TokenStore> {
    if os_keyring_usable() {
        let slot = format!(
            "test-{}",
            account_client::IdempotencyKey::generate().as_str()
        );
        Arc::new(KeyringTokenStore::new("account-settings-tests", &slot))
    } else {
        say(
            "note: the OS keyring is not usable in this session; this test keeps the token \
             in memory (on Linux run under `keyctl session -`, as `make test` does)",
        );
        Arc::new(MemoryTokenStore::new())
    }
}

/// A desktop: an engine on its own data directory, talking to `base`.
pub struct Desktop {
    pub engine: SyncEngine,
    pub tokens: Arc<dyn TokenStore>,
    pub dir: tempfile::TempDir,
}

pub fn engine_config(data_dir: &Path, base: &str) -> EngineConfig {
    let mut client = ClientConfig::new(base).expect("url");
    client.timeout = Duration::from_secs(5);
    client.connect_timeout = Duration::from_secs(2);
    client.retries = 1;
    client.backoff = Duration::from_millis(20);
    client.max_backoff = Duration::from_millis(40);
    EngineConfig {
        data_dir: data_dir.to_path_buf(),
        client,
        device_name: "test desktop".into(),
        region: RegionDefaults::from_os_values(Some("fr_FR.UTF-8"), Some("Europe/Paris")),
    }
}

pub async fn desktop(base: &str) -> Desktop {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = token_store();
    let engine = SyncEngine::open(engine_config(dir.path(), base), tokens.clone())
        .await
        .expect("engine opens");
    Desktop {
        engine,
        tokens,
        dir,
    }
}

/// Adds a user to the server and signs them in on a fresh desktop.
pub async fn signed_in(server: &TestServer, role: Role, email: &str) -> Desktop {
    server.add_user(role, email).await;
    let d = desktop(&server.base).await;
    d.engine
        .sign_in(email, &password())
        .await
        .expect("signed in");
    d
}

impl Desktop {
    /// The same data directory and token store, as after an app restart.
    pub async fn reopen(&self, base: &str) -> SyncEngine {
        SyncEngine::open(engine_config(self.dir.path(), base), self.tokens.clone())
            .await
            .expect("engine reopens")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}
