//! Harness for the end-to-end suites: runs the real `account-server` binary (the one
//! `make run` runs) with its own data folder and a free port, reads what it prints, and
//! drives its CLI. [`desktop`] runs the real desktop app under Xvfb through
//! tauri-driver; [`api`] talks to the server over HTTP to check what the app did.

pub mod api;
pub mod desktop;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `account-server` binary built next to this test binary.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile folder");
    let bin = dir.join(format!("account-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the suite with `cargo test --workspace` (or `make test`)",
        bin.display()
    );
    bin
}

/// A running `account-server serve`.
#[derive(Debug)]
pub struct Server {
    pub base: String,
    child: Child,
    lines: mpsc::Receiver<String>,
    pub printed: Vec<String>,
    data: PathBuf,
    /// The extra configuration it was started with; its CLI and restarts get it too.
    env: Vec<(String, String)>,
}

/// The service API's bearer token (`ACCOUNT_SERVICE_TOKEN`) every harness server has.
pub const SERVICE_TOKEN: &str = "e2e service token, at least 32 characters long";

/// Fixed so that codes sent before a restart of the server still verify after it.
const CODE_SECRET: &str = "e2e code secret, at least 32 characters long";

fn command(data: &Path) -> Command {
    let mut cmd = Command::new(server_binary());
    cmd.env("ACCOUNT_DATABASE_PATH", data.join("account.db"))
        .env("ACCOUNT_DELIVERY", "development")
        .env("ACCOUNT_LISTEN", "127.0.0.1:0")
        .env("ACCOUNT_SERVICE_TOKEN", SERVICE_TOKEN)
        .env("ACCOUNT_CODE_SECRET", CODE_SECRET)
        .env("ACCOUNT_LOG", "warn");
    cmd
}

impl Server {
    /// Starts `serve --seed-demo` on a free port, with its database in `data`.
    pub fn start(data: &Path) -> anyhow::Result<Self> {
        Self::start_on(data, "127.0.0.1:0")
    }

    /// Starts `serve --seed-demo` listening on `listen` (`host:port`; port 0 picks a
    /// free one), with its database in `data`. Starting again on the address of a
    /// stopped server brings "the same server" back for clients that kept its URL.
    pub fn start_on(data: &Path, listen: &str) -> anyhow::Result<Self> {
        Self::start_with(data, listen, &[])
    }

    /// [`Server::start_on`] with more of the server's configuration, as `ACCOUNT_*`
    /// variables (`("ACCOUNT_RELEASES_DIR", "/tmp/…")`).
    pub fn start_with(data: &Path, listen: &str, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut child = command(data)
            .env("ACCOUNT_LISTEN", listen)
            .envs(env.iter().copied())
            .args(["serve", "--seed-demo"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Self {
            base: String::new(),
            child,
            lines,
            printed: Vec::new(),
            data: data.to_owned(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let line = server.wait_for(
            |l| l.contains("listening on http://"),
            Duration::from_secs(30),
        )?;
        let addr = line
            .rsplit("http://")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        server.base = format!("http://{addr}");
        Ok(server)
    }

    /// The `host:port` the server listens on.
    pub fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Stops the server (SIGTERM) and starts it again on the same port and database.
    pub fn restart(self) -> anyhow::Result<Self> {
        let (data, addr, env) = (self.data.clone(), self.addr().to_owned(), self.env.clone());
        let status = self.stop()?;
        anyhow::ensure!(status.success(), "the server exited with {status}");
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Self::start_with(&data, &addr, &env)
    }

    /// Waits for a printed line matching `pred`; earlier lines are kept in `printed`.
    pub fn wait_for(
        &mut self,
        pred: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + timeout;
        if let Some(found) = self.printed.iter().find(|l| pred(l)) {
            return Ok(found.clone());
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).map_err(|_| {
                anyhow::anyhow!(
                    "the server printed no such line; it printed:\n{}",
                    self.printed.join("\n")
                )
            })?;
            self.printed.push(line.clone());
            if pred(&line) {
                return Ok(line);
            }
        }
    }

    /// Runs `account-server <args>` against the same database and returns its stdout.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = command(&self.data)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(args)
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "account-server {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8(out.stdout)?)
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(mut self) -> anyhow::Result<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The code in the newest message of an `account-server outbox` listing (messages are
/// listed oldest first, separated by blank lines).
pub fn latest_code(listing: &str) -> Option<String> {
    listing.split("\n\n").filter_map(six_digits).last()
}

/// The first 6-digit run in `text`.
pub fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|r| r.len() == 6)
        .map(str::to_owned)
}
