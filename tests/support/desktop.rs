//! The real desktop app, driven: one [`Desktop`] is an X server (Xvfb), a D-Bus session
//! (`dbus-run-session`) in a fresh kernel session keyring (`keyctl session -`), and
//! tauri-driver inside it, which starts the app through WebKitWebDriver when a
//! WebDriver session is opened. Everything the app needs from "the desktop" is there:
//! the display, the session bus (tray, notifications) and the
//! keyring (the session token).
//!
//! Observed from outside, as a person would see it:
//! - the window through WebDriver ([`Desktop::client`] and the helpers below);
//! - native notifications: `dbus-monitor` records every call to
//!   `org.freedesktop.Notifications` on the session bus ([`Desktop::notifications`]);
//! - the tray: its `com.canonical.dbusmenu` menu, read with `dbus-send`
//!   ([`Desktop::tray_labels`]).
//!
//! Every process runs in one process group that is ended on drop (tauri-driver first,
//! with SIGTERM, so it reaps WebKitWebDriver), also when a test fails. Logs and
//! captures are files, never pipes, so no leftover process can hold a test's output
//! open.

use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use rustix::process::{Pid, Signal, kill_process, kill_process_group};
use serde_json::{Value, json};

/// How long a UI expectation may take before the test fails.
pub const UI_TIMEOUT: Duration = Duration::from_secs(15);

/// The `account-settings` binary: `ACCOUNT_SETTINGS_BIN`, else the one built next to
/// this test binary (`cargo build -p account-desktop`, which `make test` runs first).
pub fn app_binary() -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os("ACCOUNT_SETTINGS_BIN") {
        let bin = PathBuf::from(bin);
        anyhow::ensure!(
            bin.exists(),
            "ACCOUNT_SETTINGS_BIN={} does not exist",
            bin.display()
        );
        return Ok(std::fs::canonicalize(bin)?);
    }
    let exe = std::env::current_exe().context("test binary path")?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("target profile folder")?;
    let bin = dir.join(format!("account-settings{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(
        bin.exists(),
        "{} is missing: build the app first (`cargo build -p account-desktop`, or `make test`), \
         or point ACCOUNT_SETTINGS_BIN at it",
        bin.display()
    );
    Ok(bin)
}

/// tauri-driver: `TAURI_DRIVER`, else on `PATH`, else in cargo's bin folder.
fn tauri_driver() -> anyhow::Result<PathBuf> {
    if let Some(bin) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(bin));
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        candidates.push(PathBuf::from(home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cargo/bin"));
    }
    candidates
        .into_iter()
        .map(|d| d.join("tauri-driver"))
        .find(|p| p.is_file())
        .context("tauri-driver is missing: `cargo install tauri-driver --locked` (or `make deps`)")
}

/// Two free TCP ports on 127.0.0.1, distinct (both held while the second is chosen);
/// free when asked, which is good enough for test ports.
fn free_ports() -> anyhow::Result<(u16, u16)> {
    let first = std::net::TcpListener::bind("127.0.0.1:0")?;
    let second = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok((first.local_addr()?.port(), second.local_addr()?.port()))
}

fn pid_of(child: &Child) -> Option<Pid> {
    i32::try_from(child.id()).ok().and_then(Pid::from_raw)
}

/// Waits for `child` to exit, up to `timeout`; true when it did.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if Instant::now() >= deadline => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
        }
    }
}

/// The descendants of `pid` (children of all its threads, recursively), with their
/// command names: the desktop benchmark's /proc reading.
pub fn descendants(pid: i32) -> Vec<(i32, String)> {
    use desktop_bench::procfs::procs;
    procs::descendants(pid)
        .into_iter()
        .map(|p| (p, procs::comm(p).unwrap_or_default()))
        .collect()
}

/// A PNG file's pixels as 8-bit RGBA (ImageMagick's `convert`).
pub fn png_rgba(file: &Path) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("convert")
        .arg(file)
        .args(["-depth", "8", "rgba:-"])
        .output()
        .context("convert (ImageMagick)")?;
    anyhow::ensure!(
        out.status.success() && !out.stdout.is_empty(),
        "convert {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out.stdout)
}

/// An X server on a free display (Xvfb picks it and writes its number to fd 1), its
/// log in `log`. Returns the server and its `DISPLAY`.
pub fn start_xvfb(log: &Path) -> anyhow::Result<(Child, String)> {
    let mut xvfb = xvfb_launch::command(None)
        .stderr(File::create(log)?)
        .spawn()
        .context("Xvfb could not start (is the xvfb package installed?)")?;
    match xvfb_launch::wait_ready(&mut xvfb, Duration::from_secs(15)) {
        xvfb_launch::Ready::Display(n) => Ok((xvfb, format!(":{n}"))),
        other => {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
            bail!(
                "Xvfb did not report a display ({other:?}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
    }
}

/// One call to `org.freedesktop.Notifications.Notify`, as seen on the session bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub app_name: String,
    pub summary: String,
    pub body: String,
}

/// Where the tray's menu lives on the bus: (connection name, object path).
type MenuAddress = (String, String);

/// The desktop's light or dark appearance, as a person picks it in their desktop's
/// settings: GTK's theme variant, which WebKitGTK turns into `prefers-color-scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    fn gtk_theme(self) -> &'static str {
        match self {
            Self::Light => "Adwaita",
            Self::Dark => "Adwaita:dark",
        }
    }
}

/// What a status region (`#<form>-status`) says once its form is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `ok` or `error` (`data-state`).
    pub state: String,
    /// `info`, `conflict` or empty (`data-kind`).
    pub kind: String,
    pub text: String,
}

/// An X display, a D-Bus session and tauri-driver; the app once [`Desktop::open_app`]
/// was called.
#[derive(Debug)]
pub struct Desktop {
    app: PathBuf,
    /// Logs, the bus address and the notification capture.
    dir: tempfile::TempDir,
    xvfb: Child,
    display: String,
    /// `keyctl session - dbus-run-session -- sh -c '… exec tauri-driver'`: the leader of
    /// the process group everything else runs in.
    session: Child,
    driver_port: u16,
    /// WebKitWebDriver's, which tauri-driver starts at once and forwards to.
    native_port: u16,
    client: Option<Client>,
    menu: Mutex<Option<MenuAddress>>,
    terminated: bool,
}

impl Desktop {
    /// Starts the display, the bus and tauri-driver for an app using `data_dir` and
    /// offering `server` on its sign-in screen. The app itself starts with
    /// [`Desktop::open_app`].
    pub async fn start(data_dir: &Path, server: &str) -> anyhow::Result<Self> {
        Self::start_binary(app_binary()?, data_dir, server).await
    }

    /// [`Desktop::start`] on a desktop whose GTK theme is `theme`.
    pub async fn start_themed(data_dir: &Path, server: &str, theme: Theme) -> anyhow::Result<Self> {
        Self::launch(app_binary()?, data_dir, server, theme).await
    }

    /// [`Desktop::start`] for the app binary `app` (an installed one: `/usr/bin/…`).
    pub async fn start_binary(app: PathBuf, data_dir: &Path, server: &str) -> anyhow::Result<Self> {
        Self::launch(app, data_dir, server, Theme::Light).await
    }

    async fn launch(
        app: PathBuf,
        data_dir: &Path,
        server: &str,
        theme: Theme,
    ) -> anyhow::Result<Self> {
        let driver = tauri_driver()?;
        let dir = tempfile::Builder::new()
            .prefix("desktop-e2e-")
            .tempdir()
            .context("temp folder")?;

        let (mut xvfb, display) = start_xvfb(&dir.path().join("xvfb.log"))?;

        let (driver_port, native_port) = free_ports()?;
        // HOME is the session's own (the app writes its login-start entry there), and the
        // session runs the scripts `run_in_session` drops into `run/`, inside itself.
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).context("the session's home folder")?;
        let script = r#"dir="$1"; shift
printf '%s\n' "$DBUS_SESSION_BUS_ADDRESS" > "$dir/bus.tmp" && mv "$dir/bus.tmp" "$dir/bus"
dbus-monitor "interface=org.freedesktop.Notifications" > "$dir/notifications.log" 2>&1 &
mkdir -p "$dir/run"
while sleep 0.1; do
  for f in "$dir"/run/*.sh; do
    [ -e "$f" ] || continue
    mv "$f" "$f.started" && sh "$f.started" > "${f%.sh}.log" 2>&1 &
  done
done &
exec "$@""#;
        let log = File::create(dir.path().join("app.log"))?;
        let mut cmd = Command::new("keyctl");
        cmd.args([
            "session",
            "-",
            "dbus-run-session",
            "--",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(dir.path())
        .arg(&driver)
        .args(["--port", &driver_port.to_string()])
        .args(["--native-port", &native_port.to_string()])
        .env("DISPLAY", &display)
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env("NO_AT_BRIDGE", "1")
        .env("ACCOUNT_SETTINGS_DATA_DIR", data_dir)
        .env("ACCOUNT_SETTINGS_SERVER", server)
        .env(
            "ACCOUNT_SETTINGS_LOG",
            "warn,account_desktop=info,desktop_core=info,account_desktop::assets=debug,account_desktop::commands=debug,account_desktop::window=debug",
        )
        // WebKitGTK answers `prefers-color-scheme` from the GTK theme's variant.
        .env("GTK_THEME", theme.gtk_theme())
        // The OS language the app detects: English, whatever the host says.
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANGUAGE")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0);
        let session = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => {
                let _ = xvfb.kill();
                let _ = xvfb.wait();
                return Err(anyhow::Error::new(e)
                    .context("keyctl/dbus-run-session could not start (keyutils, dbus)"));
            }
        };
        let desktop = Self {
            app,
            dir,
            xvfb,
            display,
            session,
            driver_port,
            native_port,
            client: None,
            menu: Mutex::new(None),
            terminated: false,
        };
        desktop.wait_ready().await?;
        Ok(desktop)
    }

    /// Waits for the bus address, the monitor, tauri-driver's port and WebKitWebDriver's
    /// behind it (a session asked for before the native driver listens fails with
    /// "webdriver server did not respond": seen on the first journey after a cold build).
    async fn wait_ready(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let listening = |port: u16| async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        };
        loop {
            let bus = self.dir.path().join("bus").exists();
            let monitor = std::fs::metadata(self.dir.path().join("notifications.log"))
                .is_ok_and(|m| m.len() > 0);
            let port = listening(self.driver_port).await;
            let native = listening(self.native_port).await;
            if bus && monitor && port && native {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the desktop session did not come up (bus: {bus}, dbus-monitor: {monitor}, \
                     tauri-driver on port {}: {port}, WebKitWebDriver on port {}: {native}); \
                     its log:\n{}",
                    self.driver_port,
                    self.native_port,
                    self.log_tail(40)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts the app: opens a WebDriver session (WebKitWebDriver launches the binary)
    /// and waits until the page shows the sign-in screen or the settings.
    pub async fn open_app(&mut self) -> anyhow::Result<()> {
        anyhow::ensure!(self.client.is_none(), "the app is already open");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("wry"));
        caps.insert(
            "tauri:options".into(),
            json!({ "application": self.app.display().to_string() }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let log = self.dir.path().join("app.log");
        let logged_before = std::fs::metadata(&log).map_or(0, |m| m.len());
        // WebKitWebDriver waits for a browser that exited at start-up without end: watch
        // the log for the app's own start-up failure to fail fast.
        let failed_to_start = async {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                let text = std::fs::read(&log).unwrap_or_default();
                let new =
                    String::from_utf8_lossy(&text[(logged_before as usize).min(text.len())..])
                        .into_owned();
                if let Some(line) = new.lines().find(|l| l.contains("could not start")) {
                    return line.to_owned();
                }
            }
        };
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{}", self.driver_port);
        let connect = builder.connect(&url);
        let client = tokio::select! {
            r = tokio::time::timeout(Duration::from_secs(60), connect) => r
                .map_err(|_| anyhow::anyhow!("no WebDriver session after 60 s"))
                .and_then(|r| r.map_err(anyhow::Error::new)),
            line = failed_to_start => Err(anyhow::anyhow!("the app exited at start-up: {line}")),
        }
        .with_context(|| format!("starting the app; its log:\n{}", self.log_tail(40)))?;
        self.client = Some(client);
        self.wait_js(
            "the page to show the sign-in screen or the settings",
            "return !document.getElementById('signin').hidden || !document.getElementById('settings').hidden",
            UI_TIMEOUT,
        )
        .await?;
        Ok(())
    }

    /// Ends the WebDriver session: WebKitWebDriver ends the app.
    pub async fn close_app(&mut self) -> anyhow::Result<()> {
        if let Some(client) = self.client.take() {
            client
                .close()
                .await
                .context("ending the WebDriver session")?;
        }
        // The app must be gone before another one starts: it holds the data folder's
        // single-instance lock until it exits.
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.app_running() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the app did not exit after its WebDriver session ended"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        *self.menu.lock().unwrap_or_else(|p| p.into_inner()) = None;
        Ok(())
    }

    /// Quits the app and starts it again on the same data folder, bus and keyring.
    pub async fn restart_app(&mut self) -> anyhow::Result<()> {
        self.close_app().await?;
        self.open_app().await
    }

    /// Whether an `account-settings` process of this desktop is alive (not a zombie).
    fn app_running(&self) -> bool {
        !self.app_pids().is_empty()
    }

    /// Ends the app's processes with SIGTERM (one that re-executed itself into the tray
    /// is no longer WebKitWebDriver's to end), then waits for them to exit.
    pub async fn terminate_app(&self) -> anyhow::Result<()> {
        for pid in self.app_pids() {
            if let Some(pid) = Pid::from_raw(pid) {
                let _ = kill_process(pid, Signal::TERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.app_running() {
            anyhow::ensure!(Instant::now() < deadline, "the app did not end on SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// The app replaced itself (an update's restart): its WebDriver session is gone with
    /// the old process, and the new one runs on its own in this desktop's session.
    pub fn lose_app(&mut self) {
        self.client = None;
    }

    /// The live (not zombie) `account-settings` processes of this desktop.
    pub fn app_pids(&self) -> Vec<i32> {
        let Some(pgid) = pid_of(&self.session) else {
            return Vec::new();
        };
        let name: String = self
            .app
            .file_name()
            .map(|n| n.to_string_lossy().chars().take(15).collect())
            .unwrap_or_default();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        procs
            .flatten()
            .filter_map(|p| {
                let pid: i32 = p.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(p.path().join("stat")).ok()?;
                // pid (comm) state ppid pgrp …; comm may contain spaces: split after ')'.
                let (head, tail) = stat.rsplit_once(')')?;
                let comm = head.split_once('(').map(|(_, c)| c).unwrap_or_default();
                let fields: Vec<&str> = tail.split_whitespace().collect();
                (comm == name
                    && fields.first().is_some_and(|s| *s != "Z" && *s != "X")
                    && fields
                        .get(2)
                        .is_some_and(|g| *g == pgid.as_raw_nonzero().get().to_string()))
                .then_some(pid)
            })
            .collect()
    }

    /// The session's home folder (`HOME` of everything in it, the app included).
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Runs `command_line` (a shell command line, as a desktop entry's `Exec` is) inside
    /// this desktop's session, as the desktop would at login: its display, bus, keyring
    /// and home. Returns the process id of what it started (the shell `exec`s into it);
    /// its output goes to `run/<name>.log`.
    pub async fn run_in_session(&self, name: &str, command_line: &str) -> anyhow::Result<i32> {
        let run = self.dir.path().join("run");
        let pid_file = run.join(format!("{name}.pid"));
        let script = format!(
            "echo $$ > '{pid}.tmp' && mv '{pid}.tmp' '{pid}'\nexec {command_line}\n",
            pid = pid_file.display()
        );
        let tmp = run.join(format!("{name}.tmp"));
        std::fs::write(&tmp, script)?;
        std::fs::rename(&tmp, run.join(format!("{name}.sh")))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(pid) = std::fs::read_to_string(&pid_file) {
                return pid.trim().parse().context("the started process's id");
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the session did not run {command_line:?} within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What a command started by [`Desktop::run_in_session`] printed so far.
    pub fn session_run_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join("run").join(format!("{name}.log")))
            .unwrap_or_default()
    }

    /// The WebDriver client of the open app.
    pub fn client(&self) -> anyhow::Result<&Client> {
        self.client.as_ref().context("the app is not open")
    }

    /// The X display (`:N`).
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The last `lines` lines the app, WebKitWebDriver and tauri-driver wrote.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("app.log")).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    // ------------------------------------------------------------------ the page

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page.
    pub async fn js_with(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.client()?
            .execute(script, args)
            .await
            .with_context(|| format!("running in the page: {script}"))
    }

    pub async fn js(&self, script: &str) -> anyhow::Result<Value> {
        self.js_with(script, Vec::new()).await
    }

    /// Polls `script` until it returns something truthy; returns that.
    pub async fn wait_js(
        &self,
        what: &str,
        script: &str,
        timeout: Duration,
    ) -> anyhow::Result<Value> {
        self.wait_js_with(what, script, Vec::new(), timeout).await
    }

    pub async fn wait_js_with(
        &self,
        what: &str,
        script: &str,
        args: Vec<Value>,
        timeout: Duration,
    ) -> anyhow::Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.js_with(script, args.clone()).await {
                Ok(v) if truthy(&v) => return Ok(v),
                Ok(v) => v,
                Err(e) => json!(format!("error: {e:#}")),
            };
            if Instant::now() >= deadline {
                bail!("waited {timeout:?} for {what}; last answer: {last}\n(script: {script})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The element matching `css`, once it exists and is displayed.
    pub async fn el(&self, css: &str) -> anyhow::Result<Element> {
        let client = self.client()?;
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let why = match client.find(Locator::Css(css)).await {
                Ok(e) => match e.is_displayed().await {
                    Ok(true) => return Ok(e),
                    Ok(false) => "it is not displayed".to_owned(),
                    Err(e) => format!("{e}"),
                },
                Err(e) if e.is_no_such_element() => "there is no such element".to_owned(),
                Err(e) => format!("{e}"),
            };
            if Instant::now() >= deadline {
                bail!("waited {UI_TIMEOUT:?} for `{css}`: {why}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many elements match `css` (displayed or not) right now.
    pub async fn count(&self, css: &str) -> anyhow::Result<usize> {
        Ok(self.client()?.find_all(Locator::Css(css)).await?.len())
    }

    /// Types `text` into the input `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let e = self.el(css).await?;
        e.clear()
            .await
            .with_context(|| format!("clearing `{css}`"))?;
        e.send_keys(text)
            .await
            .with_context(|| format!("typing into `{css}`"))
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.el(css)
            .await?
            .click()
            .await
            .with_context(|| format!("clicking `{css}`"))
    }

    /// Picks the option with `value` in the select `css`.
    pub async fn choose(&self, css: &str, value: &str) -> anyhow::Result<()> {
        self.el(css)
            .await?
            .select_by_value(value)
            .await
            .with_context(|| format!("choosing `{value}` in `{css}`"))
    }

    /// Ticks or unticks the checkbox `css` (by clicking it, as a person would).
    pub async fn set_checked(&self, css: &str, on: bool) -> anyhow::Result<()> {
        let e = self.el(css).await?;
        if e.is_selected().await? != on {
            e.click()
                .await
                .with_context(|| format!("clicking `{css}`"))?;
        }
        anyhow::ensure!(
            e.is_selected().await? == on,
            "`{css}` did not become {}",
            if on { "ticked" } else { "unticked" }
        );
        Ok(())
    }

    /// Reaches `css` from the keyboard, as a person moving through the form does: the
    /// focusable element before it in tab order gets the focus, then one real Tab key
    /// moves on. Answers the focused element's id and the focus ring it shows then.
    /// (A Shift+Tab, Tab chord sent to the element itself leaves WebKitWebDriver's focus
    /// on the element before: the second key is lost.)
    pub async fn tab_to(&self, css: &str) -> anyhow::Result<FocusRing> {
        const TAB: char = '\u{E004}';
        let marked = self
            .js_with(
                "const target = document.querySelector(arguments[0]); \
                 const order = [...document.querySelectorAll( \
                   'a[href], button, input, select, textarea, [tabindex]')] \
                   .filter((e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0); \
                 const i = order.indexOf(target); \
                 if (i < 1) return false; \
                 order[i - 1].setAttribute('data-tab-from', ''); \
                 return true;",
                vec![json!(css)],
            )
            .await?;
        if marked != json!(true) {
            bail!("`{css}` is not a visible, enabled element with one before it in tab order");
        }
        let sent: anyhow::Result<()> = match self.el("[data-tab-from]").await {
            Ok(from) => from.send_keys(&TAB.to_string()).await.map_err(Into::into),
            Err(e) => Err(e),
        };
        let ring = self
            .js("document.querySelectorAll('[data-tab-from]') \
                   .forEach((e) => e.removeAttribute('data-tab-from')); \
                 const e = document.activeElement; const s = getComputedStyle(e); \
                 return {id: e.id, outlineStyle: s.outlineStyle, \
                 outlineWidth: parseFloat(s.outlineWidth) || 0, boxShadow: s.boxShadow};")
            .await?;
        sent.with_context(|| format!("Tab into `{css}`"))?;
        serde_json::from_value(ring).context("the focused element's ring")
    }

    /// Whether the page sees a dark desktop (`prefers-color-scheme: dark`).
    pub async fn prefers_dark(&self) -> anyhow::Result<bool> {
        let dark = self
            .js("return window.matchMedia('(prefers-color-scheme: dark)').matches;")
            .await?;
        dark.as_bool().context("matchMedia answered no boolean")
    }

    /// WCAG's contrast ratio of the text of the element `css` matches against its own
    /// background colour, both as painted: each colour (whatever CSS syntax the style
    /// computes to) is drawn onto a one-pixel canvas and read back as sRGB, the text
    /// colour over the background so that a translucent one is blended as on screen.
    /// An element whose background is not opaque is an error: what is behind it counts.
    pub async fn contrast_ratio(&self, css: &str) -> anyhow::Result<f64> {
        let answer = self
            .js_with(
                "const e = document.querySelector(arguments[0]); \
                 if (!e) return {error: 'no element'}; \
                 const s = getComputedStyle(e); \
                 const c = document.createElement('canvas'); c.width = 1; c.height = 1; \
                 const x = c.getContext('2d', {willReadFrequently: true}); \
                 const paint = (colour) => { x.fillStyle = colour; x.fillRect(0, 0, 1, 1); \
                   return [...x.getImageData(0, 0, 1, 1).data]; }; \
                 const back = paint(s.backgroundColor); \
                 if (back[3] !== 255) return {error: 'background ' + s.backgroundColor + ' is not opaque'}; \
                 const text = paint(s.color); \
                 const lum = (p) => p.slice(0, 3).map((v) => { v /= 255; \
                   return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }) \
                   .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0); \
                 const [hi, lo] = [lum(back), lum(text)].sort((a, b) => b - a); \
                 return {ratio: (hi + 0.05) / (lo + 0.05)};",
                vec![json!(css)],
            )
            .await?;
        answer["ratio"].as_f64().with_context(|| {
            format!(
                "the contrast of `{css}`: {}",
                answer["error"].as_str().unwrap_or("no answer")
            )
        })
    }

    /// Runs axe-core ([`AXE_TAGS`]) on what the window shows now, in the page itself:
    /// the DOM, the computed styles and the colours WebKitGTK paints, the same as a
    /// browser extension's audit would see. The library is loaded into the page once
    /// per page load.
    pub async fn audit_accessibility(&self) -> anyhow::Result<AxeReport> {
        let loaded = self.js("return typeof window.axe === 'object';").await?;
        if loaded != json!(true) {
            let source = axe_source()?;
            let version = self
                .js(&format!(
                    "{source}\n;return window.axe && window.axe.version;"
                ))
                .await
                .map_err(|e| anyhow::anyhow!("loading axe-core into the page: {e:#}"));
            let version = version?;
            anyhow::ensure!(version.is_string(), "axe-core did not load: {version}");
        }
        let script = "const done = arguments[arguments.length - 1]; \
             const nodes = (n) => n.map((x) => ({target: x.target.join(' '), \
               summary: x.failureSummary || '', html: x.html})); \
             const rules = (list) => list.map((r) => ({id: r.id, impact: r.impact || '', \
               help: r.help, nodes: nodes(r.nodes)})); \
             axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, \
                                resultTypes: ['violations', 'incomplete']}) \
               .then((r) => done({version: axe.version, violations: rules(r.violations), \
                 incomplete: rules(r.incomplete), passes: r.passes.map((p) => p.id), \
                 inapplicable: r.inapplicable.map((p) => p.id)})) \
               .catch((e) => done({error: String((e && e.stack) || e)}));";
        let answer = self
            .client()?
            .execute_async(script, vec![json!(AXE_TAGS)])
            .await
            .context("running axe-core in the page")?;
        if let Some(error) = answer.get("error") {
            bail!("axe-core failed in the page: {error}");
        }
        serde_json::from_value(answer).context("axe-core's results")
    }

    pub async fn is_checked(&self, css: &str) -> anyhow::Result<bool> {
        Ok(self.el(css).await?.is_selected().await?)
    }

    /// The trimmed text content of `css` (also when hidden); empty when absent.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        let v = self
            .js_with(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null;",
                vec![json!(css)],
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// The `value` of the form control `css`.
    pub async fn value(&self, css: &str) -> anyhow::Result<String> {
        let v = self
            .js_with(
                "const e = document.querySelector(arguments[0]); return e ? String(e.value) : null;",
                vec![json!(css)],
            )
            .await?;
        v.as_str()
            .map(str::to_owned)
            .with_context(|| format!("no element `{css}`"))
    }

    /// Whether `css` exists and is not inside anything `hidden`.
    pub async fn is_shown(&self, css: &str) -> anyhow::Result<bool> {
        let v = self
            .js_with(
                "const e = document.querySelector(arguments[0]); return Boolean(e && !e.closest('[hidden]'));",
                vec![json!(css)],
            )
            .await?;
        Ok(v.as_bool().unwrap_or(false))
    }

    /// Waits until the text of `css` satisfies `pred`; returns it.
    pub async fn wait_text(
        &self,
        css: &str,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let text = self.text(css).await?;
            if pred(&text) {
                return Ok(text);
            }
            if Instant::now() >= deadline {
                bail!("waited {UI_TIMEOUT:?} for `{css}` to {what}; it says {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks `button` and waits for its form to finish: the button is no longer busy
    /// and the status region `status` carries a `data-state`.
    pub async fn submit(&self, button: &str, status: &str) -> anyhow::Result<Status> {
        self.click(button).await?;
        let v = self
            .wait_js_with(
                &format!("`{status}` to report after clicking `{button}`"),
                "const b = document.querySelector(arguments[0]);
                 const s = document.querySelector(arguments[1]);
                 if (!s || !s.dataset.state || (b && b.getAttribute('aria-busy') === 'true')) return null;
                 return { state: s.dataset.state, kind: s.dataset.kind || '', text: s.textContent.trim() };",
                vec![json!(button), json!(status)],
                UI_TIMEOUT,
            )
            .await?;
        Ok(Status {
            state: v["state"].as_str().unwrap_or_default().to_owned(),
            kind: v["kind"].as_str().unwrap_or_default().to_owned(),
            text: v["text"].as_str().unwrap_or_default().to_owned(),
        })
    }

    /// Scrolls the page so that `css` is at the top of the window (`None`: the top of
    /// the page), for a screenshot of what matters.
    pub async fn scroll_to(&self, css: Option<&str>) -> anyhow::Result<()> {
        self.js_with(
            "const e = arguments[0] && document.querySelector(arguments[0]);
             if (e) e.scrollIntoView({ block: 'start' }); else window.scrollTo(0, 0);
             return true;",
            vec![css.map_or(Value::Null, |c| json!(c))],
        )
        .await
        .map(drop)
    }

    /// Saves a WebDriver screenshot of the window (PNG) to `path`.
    /// Waits for two rendered frames first, so the picture shows the DOM the journey
    /// just checked rather than the last frame WebKit happened to keep.
    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let client = self.client()?;
        client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await
            .context("waiting for a frame before the screenshot")?;
        let png = client.screenshot().await.context("screenshot")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// Saves the whole X screen (ImageMagick's `import -window root`) to `path`.
    pub fn screen_shot(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let out = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(path)
            .output()
            .context("import (ImageMagick)")?;
        anyhow::ensure!(
            out.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    // ------------------------------------------------------------------ the bus

    fn bus_address(&self) -> anyhow::Result<String> {
        Ok(std::fs::read_to_string(self.dir.path().join("bus"))?
            .trim()
            .to_owned())
    }

    fn dbus_send(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new("dbus-send")
            .args(["--session", "--print-reply", "--reply-timeout=3000"])
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", self.bus_address()?)
            .stdin(Stdio::null())
            .output()
            .context("dbus-send (package dbus)")?;
        anyhow::ensure!(
            out.status.success(),
            "dbus-send {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Every `Notify` call seen on the session bus so far, oldest first.
    pub fn notifications(&self) -> anyhow::Result<Vec<Notification>> {
        let text = std::fs::read_to_string(self.dir.path().join("notifications.log"))?;
        Ok(parse_notify_calls(&text))
    }

    /// The raw `dbus-monitor` capture (for failure messages).
    pub fn notification_capture(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("notifications.log")).unwrap_or_default()
    }

    /// Finds the object exporting `com.canonical.dbusmenu` (the tray's menu) on the bus.
    fn find_menu(&self) -> anyhow::Result<MenuAddress> {
        self.find_object("com.canonical.dbusmenu")
    }

    /// The tray icon's pixels as the StatusNotifierItem offers them to the desktop: its
    /// `IconThemePath` and `IconName` properties name a PNG file (what libayatana's
    /// indicator exports), decoded to RGBA by ImageMagick.
    pub fn tray_icon_rgba(&self) -> anyhow::Result<Vec<u8>> {
        let (name, path) = self.find_object("org.kde.StatusNotifierItem")?;
        let property = |p: &str| -> anyhow::Result<String> {
            let reply = self.dbus_send(&[
                &format!("--dest={name}"),
                &path,
                "org.freedesktop.DBus.Properties.Get",
                "string:org.kde.StatusNotifierItem",
                &format!("string:{p}"),
            ])?;
            quoted_strings(&reply)
                .into_iter()
                .next()
                .with_context(|| format!("the item's {p}: {reply}"))
        };
        let (dir, icon) = (property("IconThemePath")?, property("IconName")?);
        let file = Path::new(&dir).join(format!("{icon}.png"));
        let file = if file.exists() {
            file
        } else {
            PathBuf::from(&icon)
        };
        png_rgba(&file)
    }

    /// Finds an object exporting `interface` on the bus: (connection, path).
    fn find_object(&self, interface: &str) -> anyhow::Result<MenuAddress> {
        let wanted = format!("interface name=\"{interface}\"");
        let names = self.dbus_send(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.ListNames",
        ])?;
        for name in quoted_strings(&names)
            .into_iter()
            .filter(|n| n.starts_with(':'))
        {
            let mut paths = vec!["/".to_owned()];
            let mut visited = 0;
            while let Some(path) = paths.pop() {
                visited += 1;
                if visited > 64 {
                    break;
                }
                let Ok(reply) = self.dbus_send(&[
                    &format!("--dest={name}"),
                    &path,
                    "org.freedesktop.DBus.Introspectable.Introspect",
                ]) else {
                    break;
                };
                if reply.contains(&wanted) {
                    return Ok((name, path));
                }
                for child in xml_child_nodes(&reply) {
                    paths.push(if path == "/" {
                        format!("/{child}")
                    } else {
                        format!("{path}/{child}")
                    });
                }
            }
        }
        bail!("no {interface} object on the session bus (is the tray up?)")
    }

    /// The labels of the tray menu's items, top to bottom (`com.canonical.dbusmenu`
    /// `GetLayout` of the tray's menu).
    pub fn tray_labels(&self) -> anyhow::Result<Vec<String>> {
        let cached = self.menu.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let read = |(name, path): &MenuAddress| {
            self.dbus_send(&[
                &format!("--dest={name}"),
                path,
                "com.canonical.dbusmenu.GetLayout",
                "int32:0",
                "int32:-1",
                "array:string:",
            ])
        };
        let reply = match cached.as_ref().map(read) {
            Some(Ok(reply)) => reply,
            _ => {
                let found = self.find_menu()?;
                let reply = read(&found)?;
                *self.menu.lock().unwrap_or_else(|p| p.into_inner()) = Some(found);
                reply
            }
        };
        Ok(parse_menu_labels(&reply))
    }

    /// Polls the tray menu until one label satisfies `pred`; returns that label.
    pub async fn wait_tray_label(
        &self,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let labels = self.tray_labels();
            if let Ok(labels) = &labels
                && let Some(found) = labels.iter().find(|l| pred(l))
            {
                return Ok(found.clone());
            }
            if Instant::now() >= deadline {
                bail!("waited {UI_TIMEOUT:?} for a tray menu item {what}; the menu: {labels:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    // ------------------------------------------------------------------ the end

    /// Ends the app and everything else, reporting a failure to end the session.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let closed = self.close_app().await;
        self.terminate();
        closed
    }

    fn terminate(&mut self) {
        if std::mem::replace(&mut self.terminated, true) {
            return;
        }
        // tauri-driver (the process group's `sh`, exec'd) first, with SIGTERM: it ends
        // WebKitWebDriver, which ends the app; then dbus-run-session ends the bus.
        if let Some(pgid) = pid_of(&self.session) {
            if let Some(driver) = self.driver_pid() {
                let _ = kill_process(driver, Signal::TERM);
            } else {
                let _ = kill_process_group(pgid, Signal::TERM);
            }
            if !wait_exit(&mut self.session, Duration::from_secs(10)) {
                let _ = kill_process_group(pgid, Signal::TERM);
                wait_exit(&mut self.session, Duration::from_secs(3));
            }
            // Whatever is left in the group (the accessibility bus D-Bus started, …).
            let _ = kill_process_group(pgid, Signal::TERM);
            std::thread::sleep(Duration::from_millis(100));
            let _ = kill_process_group(pgid, Signal::KILL);
            let _ = self.session.kill();
            let _ = self.session.wait();
        }
        if let Some(pid) = pid_of(&self.xvfb) {
            let _ = kill_process(pid, Signal::TERM);
        }
        if !wait_exit(&mut self.xvfb, Duration::from_secs(5)) {
            let _ = self.xvfb.kill();
            let _ = self.xvfb.wait();
        }
    }

    /// tauri-driver's pid: the child of dbus-run-session that is not dbus-daemon.
    fn driver_pid(&self) -> Option<Pid> {
        let leader = self.session.id().to_string();
        let children =
            std::fs::read_to_string(format!("/proc/{leader}/task/{leader}/children")).ok()?;
        children
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
            .find(|p| {
                std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .is_ok_and(|c| c.trim() == "tauri-driver")
            })
            .and_then(Pid::from_raw)
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        self.terminate();
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// The strings between double quotes in `dbus-send`/`dbus-monitor` output lines of the
/// form `string "…"`.
fn quoted_strings(text: &str) -> Vec<String> {
    text.lines().filter_map(string_value).collect()
}

/// `… string "value"` → `value`.
fn string_value(line: &str) -> Option<String> {
    let start = line.find("string \"")? + "string \"".len();
    let end = line.rfind('"')?;
    (end >= start).then(|| line[start..end].to_owned())
}

/// `<node name="x"/>` children of an introspection document.
fn xml_child_nodes(xml: &str) -> Vec<String> {
    xml.match_indices("<node name=\"")
        .filter_map(|(i, m)| {
            let rest = &xml[i + m.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// The `label` properties of a `GetLayout` reply, in order.
pub fn parse_menu_labels(reply: &str) -> Vec<String> {
    let lines: Vec<&str> = reply.lines().collect();
    let mut labels = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "string \"label\""
            && let Some(value) = lines.get(i + 1).and_then(|l| string_value(l))
        {
            labels.push(value);
        }
    }
    labels
}

/// `Notify` method calls in a `dbus-monitor` capture: the top-level string arguments
/// are app name, icon, summary and body, in that order.
pub fn parse_notify_calls(capture: &str) -> Vec<Notification> {
    let mut calls = Vec::new();
    let mut lines = capture.lines().peekable();
    while let Some(line) = lines.next() {
        if !(line.starts_with("method call") && line.contains("member=Notify")) {
            continue;
        }
        let mut strings = Vec::new();
        while let Some(next) = lines.peek() {
            if !next.starts_with(' ') {
                break;
            }
            // Top-level arguments are indented by exactly three spaces.
            if next.starts_with("   ")
                && !next.starts_with("    ")
                && let Some(s) = string_value(next)
            {
                strings.push(s);
            }
            lines.next();
        }
        if strings.len() >= 4 {
            calls.push(Notification {
                app_name: strings[0].clone(),
                summary: strings[2].clone(),
                body: strings[3].clone(),
            });
        }
    }
    calls
}

/// axe-core's rule sets an audit runs: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and
/// Deque's best practices.
pub const AXE_TAGS: &[&str] = &[
    "wcag2a",
    "wcag2aa",
    "wcag21a",
    "wcag21aa",
    "wcag22aa",
    "best-practice",
];

/// axe-core's browser build: `AXE_CORE_JS`, which `make test` points at the copy it
/// installs from npm (the version pinned in the Makefile). Read once per test binary.
fn axe_source() -> anyhow::Result<&'static str> {
    static SOURCE: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = std::env::var_os("AXE_CORE_JS").ok_or_else(|| {
                "AXE_CORE_JS is not set: run the journeys through `make test`, which installs \
                 axe-core from npm and sets it"
                    .to_owned()
            })?;
            std::fs::read_to_string(&path)
                .map_err(|e| format!("AXE_CORE_JS ({}): {e}", Path::new(&path).display()))
        })
        .as_deref()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// What axe-core found on one screen.
#[derive(Debug, serde::Deserialize)]
pub struct AxeReport {
    pub version: String,
    pub violations: Vec<AxeRule>,
    /// What axe could not decide alone (text over an image, say): for a person to look at.
    pub incomplete: Vec<AxeRule>,
    /// The rules that found something to check and found it right.
    pub passes: Vec<String>,
    /// The rules that found nothing to check on this screen.
    pub inapplicable: Vec<String>,
}

impl AxeReport {
    /// Whether rule `id` looked at this screen (passed, failed or left undecided).
    pub fn ran(&self, id: &str) -> bool {
        self.passes.iter().any(|p| p == id)
            || self.violations.iter().any(|r| r.id == id)
            || self.incomplete.iter().any(|r| r.id == id)
    }
}

/// One axe rule's result, with the elements it is about.
#[derive(Debug, serde::Deserialize)]
pub struct AxeRule {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub nodes: Vec<AxeNode>,
}

#[derive(Debug, serde::Deserialize)]
pub struct AxeNode {
    pub target: String,
    pub summary: String,
    pub html: String,
}

impl std::fmt::Display for AxeRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} ({}): {}", self.id, self.impact, self.help)?;
        for node in &self.nodes {
            writeln!(f, "  {}: {}", node.target, node.summary.replace('\n', "; "))?;
        }
        Ok(())
    }
}

/// The focused element and the focus indicator it shows (computed style).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FocusRing {
    pub id: String,
    pub outline_style: String,
    pub outline_width: f64,
    pub box_shadow: String,
}

impl FocusRing {
    /// An outline at least 2 px wide (WCAG 2.4.7; the stylesheet draws 3 px).
    pub fn is_visible(&self) -> bool {
        self.outline_style != "none" && self.outline_width >= 2.0
    }
}

/// Signs in through the sign-in screen and waits for the settings of `email`.
pub async fn sign_in(d: &Desktop, email: &str, password: &str) -> anyhow::Result<()> {
    d.el("#signin-email").await.context("the sign-in screen")?;
    d.fill("#signin-email", email).await?;
    d.fill("#signin-password", password).await?;
    d.click("#signin-submit").await?;
    d.el("#settings")
        .await
        .with_context(|| format!("the settings after signing in as {email}"))?;
    d.wait_text("#user-email", &format!("show {email}"), |t| t == email)
        .await?;
    Ok(())
}
