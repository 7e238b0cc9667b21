//! `make bench`, desktop part: the app's launch → first paint of cached settings, its idle
//! memory with the window open and once closed to the tray, and its stripped binary size,
//! each beside the same figure for a minimal Tauri window built the same way (the
//! `minimal-window` crate), with the ratios and their targets. It prints numbers; it
//! asserts nothing.
//!
//! How it measures:
//! - Both release binaries are taken from `$CARGO_TARGET_DIR/release` (else the release
//!   folder this program was built into) and copied, so a rebuild during the run cannot
//!   swap them. Sizes are of `strip`ped copies.
//! - One Xvfb (on a free display from :100 up); every launch runs in its own
//!   `dbus-run-session` with `NO_AT_BRIDGE=1` and private XDG folders, in its own process
//!   group, which is signalled away afterwards (and on Ctrl+C).
//! - The app starts from a signed-in profile with a warm cache: the demo organization on
//!   a real server in this process (`account_server::seed`), then desktop-core's
//!   `SyncEngine::sign_in` into the data folder with the app's keyring entry
//!   (`KeyringTokenStore::for_data_dir`). The server keeps running during the launches.
//!   The keyring is the kernel session keyring, so the program re-executes itself once
//!   inside `keyctl session -`, without the caller's D-Bus, display and runtime folder (the
//!   token never reaches the person's own Secret Service).
//! - First paint: from spawning the launch to reading the line `first-paint` on its stdout
//!   (both binaries print it when their page calls `ui_painted`, two animation frames after
//!   rendering).
//! - Memory: PSS (`/proc/<pid>/smaps_rollup`) of the app's process and all its
//!   descendants (WebKitWebProcess, WebKitNetworkProcess, …) after idling. Then Ctrl+W
//!   (the window is focused and the key sent through XTEST with xdotool), a check that the
//!   window and the WebKit processes are gone, idling again, and PSS again.
//! - Launches alternate between the targets, after one unmeasured warm-up each; medians
//!   with min–max over the launches.
//! - The minimal window is also launched with `MINIMAL_WINDOW_GPU=off`: painting without
//!   GPU compositing, as the app does on Linux (see src-tauri/src/window.rs). Its figures
//!   are printed beside the app's for comparison; the targets stay against Tauri's
//!   defaults.
//!
//! Environment: `DESKTOP_BENCH_RUNS` (launches of each, default 7),
//! `DESKTOP_BENCH_IDLE_SECS` (idle before each memory reading, default 10),
//! `DESKTOP_BENCH_TIMEOUT_SECS` (longest wait for a paint, default 60),
//! `DESKTOP_BENCH_BIN_DIR` (where the binaries are, default `$CARGO_TARGET_DIR/release`),
//! `DESKTOP_BENCH_ARTIFACTS` (a folder to keep logs, screenshots and `smaps` in).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};

/// The line both binaries print once their page has painted.
pub const PAINT_MARKER: &str = "first-paint";
/// The app's binary (src-tauri, package `account-desktop`).
pub const APP_BIN: &str = "account-settings";
/// The yardstick's binary (crates/minimal-window).
pub const MINIMAL_BIN: &str = "minimal-window";
/// The yardstick again, painting without GPU compositing as the app does on Linux.
const MINIMAL_NO_GPU: &str = "minimal-no-gpu";
/// Who the app is signed in as: the demo organization's owner (sees every section).
const DEMO_EMAIL: &str = "owner@demo.example";

/// Targets printed next to the ratios.
const PAINT_TARGET: f64 = 1.10;
const OPEN_MEMORY_TARGET: f64 = 1.10;
const TRAY_MEMORY_TARGET: f64 = 0.40;

/// Set in the re-executed program (inside `keyctl session -`, with a clean environment).
const CHILD_MARK: &str = "DESKTOP_BENCH_INNER";
/// Variables that would let the program or the apps reach the caller's session.
const SESSION_VARS: &[&str] = &[
    "DBUS_SESSION_BUS_ADDRESS",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_RUNTIME_DIR",
];

// ------------------------------------------------------------------ options

/// What to run, from the environment.
#[derive(Debug, Clone)]
pub struct Options {
    /// Measured launches of each binary (`DESKTOP_BENCH_RUNS`, default 7).
    pub runs: usize,
    /// Idle time before each memory reading (`DESKTOP_BENCH_IDLE_SECS`, default 10).
    pub idle: Duration,
    /// Longest wait for a paint or a window to close (`DESKTOP_BENCH_TIMEOUT_SECS`, 60).
    pub timeout: Duration,
    /// Where the two release binaries are (`DESKTOP_BENCH_BIN_DIR` to override).
    pub release_dir: PathBuf,
    /// `DESKTOP_BENCH_ARTIFACTS`: a folder to keep the launches' logs in (else they go
    /// with the temporary folder), and screenshots of each binary's first measured launch
    /// at first paint and before Ctrl+W, and their processes' `smaps` with the window open.
    pub artifacts: Option<PathBuf>,
}

fn env_number(name: &str, default: f64) -> Result<f64> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| anyhow!("{name}={v}: expected a number")),
        Err(_) => Ok(default),
    }
}

impl Options {
    pub fn from_env() -> Result<Self> {
        let runs = env_number("DESKTOP_BENCH_RUNS", 7.0)?.round() as usize;
        ensure!(runs >= 1, "DESKTOP_BENCH_RUNS must be at least 1");
        Ok(Self {
            runs,
            idle: Duration::from_secs_f64(env_number("DESKTOP_BENCH_IDLE_SECS", 10.0)?),
            timeout: Duration::from_secs_f64(env_number("DESKTOP_BENCH_TIMEOUT_SECS", 60.0)?),
            release_dir: release_dir()?,
            artifacts: std::env::var_os("DESKTOP_BENCH_ARTIFACTS")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        })
    }
}

/// `DESKTOP_BENCH_BIN_DIR` when set (binaries built with another profile), else
/// `$CARGO_TARGET_DIR/release`, else the release folder holding this program
/// (`<target>/release/deps/desktop-<hash>` under `cargo bench`).
fn release_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("DESKTOP_BENCH_BIN_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        if dir.is_absolute() {
            return Ok(dir.join("release"));
        }
    }
    let exe = std::env::current_exe().context("locating this program")?;
    exe.ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "release"))
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow!("set CARGO_TARGET_DIR: cannot tell where the release binaries are"))
}

// ------------------------------------------------------------------ /proc

/// Reading the process tree and its memory from `/proc` (Linux).
pub mod procs {
    use std::path::PathBuf;

    /// Direct children of `pid` (of all its threads).
    pub fn children(pid: i32) -> Vec<i32> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return Vec::new();
        };
        let mut out: Vec<i32> = tasks
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
            .flat_map(|list| {
                list.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect::<Vec<i32>>()
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every descendant of `pid`, `pid` excluded, parents before children.
    pub fn descendants(pid: i32) -> Vec<i32> {
        let mut out = Vec::new();
        let mut queue = children(pid);
        while let Some(p) = queue.first().copied() {
            queue.remove(0);
            if out.contains(&p) {
                continue;
            }
            out.push(p);
            queue.extend(children(p));
        }
        out
    }

    /// The process's name (`comm`, at most 15 bytes).
    pub fn comm(pid: i32) -> Option<String> {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .ok()
            .map(|s| s.trim_end().to_owned())
    }

    pub fn exe(pid: i32) -> Option<PathBuf> {
        std::fs::read_link(format!("/proc/{pid}/exe")).ok()
    }

    /// The state letter of `/proc/<pid>/stat` (after the parenthesized name).
    pub fn parse_state(stat: &str) -> Option<char> {
        stat.rsplit_once(')')?.1.trim_start().chars().next()
    }

    /// Exists and is not a zombie.
    pub fn alive(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| parse_state(&s))
            .is_some_and(|s| s != 'Z' && s != 'X')
    }

    /// The `Pss:` line of a `smaps_rollup`, in KiB.
    pub fn parse_pss_kib(smaps_rollup: &str) -> Option<u64> {
        smaps_rollup.lines().find_map(|l| {
            let rest = l.strip_prefix("Pss:")?;
            let mut words = rest.split_whitespace();
            let n = words.next()?.parse().ok()?;
            (words.next()? == "kB").then_some(n)
        })
    }

    /// Processes outside `ours` that map WebKit's library: they share its pages, which
    /// lowers everyone's PSS.
    pub fn others_mapping_webkit(ours: &[i32]) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        let me = i32::try_from(std::process::id()).unwrap_or(0);
        let mut out: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| *pid != me && !ours.contains(pid))
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/maps"))
                    .is_ok_and(|maps| maps.contains("libwebkit2gtk"))
            })
            .map(|pid| format!("{} ({pid})", comm(pid).unwrap_or_default()))
            .collect();
        out.sort();
        out
    }

    pub fn pss_kib(pid: i32) -> Option<u64> {
        parse_pss_kib(&std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?)
    }
}

/// One process of a footprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessMemory {
    pub pid: i32,
    /// `main` for the measured process itself, else its `comm`.
    pub name: String,
    pub pss_kib: u64,
}

/// The PSS of a process and its live descendants, read at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footprint {
    pub processes: Vec<ProcessMemory>,
    /// Other processes on the machine mapping WebKit at the time (they lower the PSS).
    pub others: Vec<String>,
}

impl Footprint {
    pub fn read(root: i32) -> Self {
        let processes = std::iter::once(root)
            .chain(procs::descendants(root))
            .filter(|&pid| procs::alive(pid))
            .filter_map(|pid| {
                let pss_kib = procs::pss_kib(pid)?;
                let name = if pid == root {
                    "main".to_owned()
                } else {
                    procs::comm(pid).unwrap_or_else(|| "?".to_owned())
                };
                Some(ProcessMemory { pid, name, pss_kib })
            })
            .collect::<Vec<ProcessMemory>>();
        let ours: Vec<i32> = processes.iter().map(|p| p.pid).collect();
        Self {
            others: procs::others_mapping_webkit(&ours),
            processes,
        }
    }

    pub fn total_kib(&self) -> u64 {
        self.processes.iter().map(|p| p.pss_kib).sum()
    }

    /// PSS summed by process name.
    pub fn by_name(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for p in &self.processes {
            *out.entry(p.name.clone()).or_default() += p.pss_kib;
        }
        out
    }

    /// Names of the WebKit processes in it.
    pub fn webkit(&self) -> Vec<String> {
        self.processes
            .iter()
            .filter(|p| p.name.starts_with("WebKit"))
            .map(|p| format!("{} ({})", p.name, p.pid))
            .collect()
    }
}

// ------------------------------------------------------------------ statistics

/// Median (mean of the two middle values for an even count), min and max.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Summary {
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Self {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }

    /// `median (min–max)` with `decimals`.
    pub fn show(&self, decimals: usize) -> String {
        format!(
            "{:.d$} ({:.d$}–{:.d$})",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

/// `1.04× (≤ 1.10×: ok)`, or `OVER` past the target.
pub fn verdict(ratio: f64, target: f64) -> String {
    let mark = if ratio <= target { "ok" } else { "OVER" };
    format!("{ratio:.2}× (≤ {target:.2}×: {mark})")
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// ------------------------------------------------------------------ processes

/// Process groups to signal if the program is interrupted.
static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// The work folder, removed if the program is interrupted.
static WORK_DIR: OnceLock<PathBuf> = OnceLock::new();

fn groups() -> std::sync::MutexGuard<'static, Vec<i32>> {
    GROUPS.lock().unwrap_or_else(|p| p.into_inner())
}

fn signal_group(pgid: i32, signal: rustix::process::Signal) {
    // Never 0 or 1: kill(0) / kill(-1) would reach far more than our own group.
    if pgid > 1
        && let Some(pid) = rustix::process::Pid::from_raw(pgid)
    {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

fn signal_process(pid: i32, signal: rustix::process::Signal) {
    if pid > 1
        && let Some(p) = rustix::process::Pid::from_raw(pid)
    {
        let _ = rustix::process::kill_process(p, signal);
    }
}

/// On Ctrl+C or SIGTERM: stops every group started, removes the work folder, exits.
fn install_interrupt_handler(rt: &tokio::runtime::Runtime) {
    rt.spawn(async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminated = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated => {}
        }
        eprintln!("desktop bench interrupted: stopping the launched apps and Xvfb");
        let started: Vec<i32> = groups().clone();
        for &g in &started {
            signal_group(g, rustix::process::Signal::TERM);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        for &g in &started {
            signal_group(g, rustix::process::Signal::KILL);
        }
        if let Some(dir) = WORK_DIR.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
        std::process::exit(130);
    });
}

fn child_pid(child: &Child) -> Result<i32> {
    i32::try_from(child.id()).context("process id out of range")
}

/// Waits for `child` up to `limit`; true when it exited.
fn wait_exit(child: &mut Child, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if Instant::now() >= deadline => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Stops a process group led by `child`: SIGTERM, then SIGKILL after 5 s; then any
/// descendant seen before that is still there (one that left the group).
fn stop_group(child: &mut Child) {
    let Ok(pgid) = child_pid(child) else { return };
    let before: Vec<(i32, Option<String>)> = procs::descendants(pgid)
        .into_iter()
        .map(|p| (p, procs::comm(p)))
        .collect();
    signal_group(pgid, rustix::process::Signal::TERM);
    if !wait_exit(child, Duration::from_secs(5)) {
        signal_group(pgid, rustix::process::Signal::KILL);
        let _ = child.kill();
        let _ = child.wait();
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left: Vec<i32> = before
            .iter()
            .filter(|(p, name)| procs::alive(*p) && procs::comm(*p) == *name)
            .map(|(p, _)| *p)
            .collect();
        if left.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            for p in left {
                signal_process(p, rustix::process::Signal::KILL);
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    groups().retain(|&g| g != pgid);
}

/// Runs a short command, fails after `limit`; returns its stdout.
fn run_quick(cmd: &mut Command, limit: Duration) -> Result<(bool, String)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("running {cmd:?}"))?;
    let mut stdout = child.stdout.take().context("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    if !wait_exit(&mut child, limit) {
        let _ = child.kill();
        let _ = child.wait();
        bail!("{cmd:?} did not finish within {limit:?}");
    }
    let ok = child.wait()?.success();
    let out = reader.join().map_err(|_| anyhow!("reading {cmd:?}"))?;
    Ok((ok, out))
}

/// The X server every launch draws on.
#[derive(Debug)]
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts Xvfb on a free display numbered 100 or more (away from the low numbers that
    /// `-displayfd` alone and `xvfb-run` hand out, so a run beside other Xvfb users cannot
    /// meet them on one display); Xvfb's messages go to `log`.
    fn start(log: &Path) -> Result<Self> {
        let first = 100 + std::process::id() % 800;
        let mut tried = Vec::new();
        for n in (first..first + 40).map(|n| 100 + (n - 100) % 900) {
            let taken = Path::new(&format!("/tmp/.X{n}-lock")).exists()
                || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists();
            if taken {
                continue;
            }
            tried.push(n);
            if let Some(xvfb) = Self::start_on(n, log)? {
                return Ok(xvfb);
            }
        }
        bail!(
            "Xvfb could not start on any of the displays {tried:?} (see {})",
            log.display()
        )
    }

    /// `None` when display `n` turned out to be taken.
    fn start_on(n: u32, log: &Path) -> Result<Option<Self>> {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new("Xvfb")
            .arg(format!(":{n}"))
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .context("starting Xvfb (apt-get install xvfb)")?;
        groups().push(child_pid(&child)?);
        let mut xvfb = Self {
            child,
            display: format!(":{n}"),
        };
        let stdout = xvfb.child.stdout.take().context("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Keep draining, so Xvfb never writes into a closed pipe.
            for _ in lines {}
        });
        // Xvfb writes the display number once it accepts connections; it exits (closing
        // the pipe) when the display is taken.
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(number) if number.trim() == n.to_string() => Ok(Some(xvfb)),
            Ok(other) => bail!("Xvfb :{n} reported display {other:?}"),
            Err(RecvTimeoutError::Disconnected) => Ok(None),
            Err(RecvTimeoutError::Timeout) => bail!("Xvfb :{n} did not report ready in 15 s"),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        stop_group(&mut self.child);
    }
}

/// Something to launch.
#[derive(Debug)]
struct Target {
    label: &'static str,
    /// The copy that runs.
    exe: PathBuf,
    /// Extra environment (the app's data folder and server).
    env: Vec<(&'static str, OsString)>,
    /// Whether the process is expected to keep no WebKit process once its window closed.
    sheds_webkit: bool,
    built_bytes: u64,
    stripped_bytes: u64,
}

/// One launch in its own `dbus-run-session` and process group.
#[derive(Debug)]
struct Launch {
    child: Child,
    started: Instant,
    paints: mpsc::Receiver<Instant>,
    log: PathBuf,
    exe: PathBuf,
    stopped: bool,
}

/// Environment common to every launch.
#[derive(Debug)]
struct Session {
    display: String,
    xdg: PathBuf,
}

impl Launch {
    fn start(target: &Target, session: &Session, log: PathBuf) -> Result<Self> {
        let stderr =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut cmd = Command::new("dbus-run-session");
        cmd.arg("--").arg(&target.exe);
        for var in SESSION_VARS {
            cmd.env_remove(var);
        }
        for (var, sub) in [
            ("XDG_DATA_HOME", "data"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_STATE_HOME", "state"),
            ("XDG_RUNTIME_DIR", "runtime"),
        ] {
            cmd.env(var, session.xdg.join(sub));
        }
        cmd.env("DISPLAY", &session.display)
            .env("GDK_BACKEND", "x11")
            .env("NO_AT_BRIDGE", "1")
            .envs(target.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .process_group(0);
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .context("starting dbus-run-session (apt-get install dbus)")?;
        groups().push(child_pid(&child)?);
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, paints) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.trim() == PAINT_MARKER {
                    let _ = tx.send(Instant::now());
                }
            }
        });
        Ok(Self {
            child,
            started,
            paints,
            log,
            exe: target.exe.clone(),
            stopped: false,
        })
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n    ");
        format!("\n  its log ({}):\n    {tail}", self.log.display())
    }

    /// Launch → the `first-paint` line.
    fn wait_paint(&mut self, timeout: Duration) -> Result<Duration> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.paints.recv_timeout(Duration::from_millis(100)) {
                Ok(at) => return Ok(at.duration_since(self.started)),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    if let Some(status) = self.child.try_wait()? {
                        bail!(
                            "{} ended ({status}) before printing {PAINT_MARKER}{}",
                            self.exe.display(),
                            self.log_tail()
                        );
                    }
                    if Instant::now() >= deadline {
                        bail!(
                            "{} printed no {PAINT_MARKER} within {timeout:?}{}",
                            self.exe.display(),
                            self.log_tail()
                        );
                    }
                }
            }
        }
    }

    /// The measured process: the descendant of `dbus-run-session` running the binary.
    fn main_pid(&self) -> Result<i32> {
        let root = child_pid(&self.child)?;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(pid) = procs::descendants(root)
                .into_iter()
                .find(|&p| procs::exe(p).as_deref() == Some(self.exe.as_path()))
            {
                return Ok(pid);
            }
            if Instant::now() >= deadline {
                bail!("no process runs {} under {root}", self.exe.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if !self.stopped {
            self.stopped = true;
            stop_group(&mut self.child);
        }
    }
}

impl Drop for Launch {
    fn drop(&mut self) {
        self.stop();
    }
}

// ------------------------------------------------------------------ the window

fn xdotool(display: &str, args: &[&str]) -> Result<(bool, String)> {
    run_quick(
        Command::new("xdotool").args(args).env("DISPLAY", display),
        Duration::from_secs(10),
    )
    .context("xdotool (apt-get install xdotool)")
}

/// The visible X windows of `pid`.
fn windows_of(display: &str, pid: i32) -> Result<Vec<String>> {
    let (_, out) = xdotool(
        display,
        &["search", "--onlyvisible", "--pid", &pid.to_string()],
    )?;
    Ok(out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Presses Ctrl+W in `pid`'s window: focuses it, then types through XTEST (a synthetic
/// `XSendEvent` key, `xdotool key --window`, is not acted on).
fn press_ctrl_w(display: &str, pid: i32) -> Result<()> {
    let windows = windows_of(display, pid)?;
    let window = windows
        .last()
        .ok_or_else(|| anyhow!("process {pid} shows no window"))?;
    xdotool(display, &["windowfocus", "--sync", window])?;
    let (ok, _) = xdotool(display, &["key", "--clearmodifiers", "ctrl+w"])?;
    ensure!(ok, "xdotool key ctrl+w failed");
    Ok(())
}

/// What closing the window left.
#[derive(Debug, Clone)]
struct Closed {
    took: Duration,
    /// WebKit processes still running when the wait ended.
    webkit_left: Vec<String>,
}

/// Waits until `pid`'s window is gone and its web process ended — and, when
/// `all_webkit`, every WebKit process (the app is built to keep none).
fn wait_closed(display: &str, pid: i32, all_webkit: bool, timeout: Duration) -> Result<Closed> {
    let started = Instant::now();
    loop {
        ensure!(
            procs::alive(pid),
            "process {pid} ended when its window closed: it should stay in the tray"
        );
        let window_gone = windows_of(display, pid)?.is_empty();
        let webkit: Vec<String> = procs::descendants(pid)
            .into_iter()
            .filter(|&p| procs::alive(p))
            .filter_map(|p| procs::comm(p).map(|c| (p, c)))
            .filter(|(_, c)| c.starts_with("WebKit"))
            .map(|(p, c)| format!("{c} ({p})"))
            .collect();
        let waiting_for = webkit
            .iter()
            .filter(|c| all_webkit || c.starts_with("WebKitWebProces"))
            .count();
        if window_gone && waiting_for == 0 {
            return Ok(Closed {
                took: started.elapsed(),
                webkit_left: webkit,
            });
        }
        if started.elapsed() >= timeout {
            ensure!(
                window_gone,
                "the window of {pid} is still open {timeout:?} after Ctrl+W"
            );
            return Ok(Closed {
                took: started.elapsed(),
                webkit_left: webkit,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ------------------------------------------------------------------ one launch

#[derive(Debug, Clone)]
struct Sample {
    paint: Duration,
    open: Footprint,
    closed: Footprint,
    close: Closed,
}

/// Saves the whole screen as a PNG (ImageMagick's `import`); a failure is only reported.
fn screenshot(display: &str, path: &Path) {
    let saved = run_quick(
        Command::new("import")
            .args(["-display", display, "-window", "root"])
            .arg(path),
        Duration::from_secs(20),
    );
    match saved {
        Ok((true, _)) => {}
        Ok((false, _)) => eprintln!("desktop bench: import failed for {}", path.display()),
        Err(e) => eprintln!("desktop bench: no screenshot (apt-get install imagemagick): {e:#}"),
    }
}

/// Copies each process's `/proc/<pid>/smaps` (where the memory is, mapping by mapping).
fn keep_smaps(footprint: &Footprint, dir: &Path, label: &str) {
    for p in &footprint.processes {
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{}/smaps", p.pid)) {
            let _ = std::fs::write(
                dir.join(format!("{label}-{}-{}.smaps", p.name, p.pid)),
                text,
            );
        }
    }
}

fn measure(
    target: &Target,
    session: &Session,
    opts: &Options,
    log: PathBuf,
    shots: Option<&Path>,
) -> Result<Sample> {
    let mut launch = Launch::start(target, session, log)?;
    let paint = launch.wait_paint(opts.timeout)?;
    let pid = launch.main_pid()?;
    if let Some(dir) = shots {
        screenshot(
            &session.display,
            &dir.join(format!("{}-first-paint.png", target.label)),
        );
    }
    std::thread::sleep(opts.idle);
    let open = Footprint::read(pid);
    if let Some(dir) = shots {
        screenshot(
            &session.display,
            &dir.join(format!("{}-idle.png", target.label)),
        );
        keep_smaps(&open, dir, target.label);
    }
    press_ctrl_w(&session.display, pid)?;
    // The app may take its time to shed WebKit; the yardstick keeps its network process.
    let wait = if target.sheds_webkit {
        opts.timeout.min(Duration::from_secs(15))
    } else {
        Duration::from_secs(10)
    };
    let close = wait_closed(&session.display, pid, target.sheds_webkit, wait)?;
    std::thread::sleep(opts.idle);
    ensure!(
        procs::alive(pid),
        "{} ended while idle in the tray{}",
        target.label,
        launch.log_tail()
    );
    let closed = Footprint::read(pid);
    launch.stop();
    Ok(Sample {
        paint,
        open,
        closed,
        close,
    })
}

// ------------------------------------------------------------------ setup

/// The demo organization on a real server (port 0, SQLite in `dir`).
async fn start_server(dir: &Path) -> Result<account_server::App> {
    let config = account_server::testing::config(dir);
    let app =
        account_server::App::spawn(config, Arc::new(account_server::clock::SystemClock)).await?;
    account_server::seed::seed_demo(&app.services).await?;
    Ok(app)
}

/// Signs the profile in `data_dir` in, as the app would: the cache filled, the token in
/// the app's keyring entry for that folder.
async fn sign_in(server: &str, data_dir: &Path) -> Result<()> {
    use desktop_core::TokenStore;
    let tokens = Arc::new(desktop_core::KeyringTokenStore::for_data_dir(data_dir));
    let config = desktop_core::EngineConfig::new(
        data_dir.to_owned(),
        account_client::ClientConfig::new(server)?,
    );
    let engine = desktop_core::SyncEngine::open(config, tokens.clone()).await?;
    engine
        .sign_in(
            DEMO_EMAIL,
            &secrecy::SecretString::from(account_server::seed::DEMO_PASSWORD),
        )
        .await
        .context("signing the profile in (the keyring needs `keyctl session -`)")?;
    drop(engine);
    let stored = tokio::task::spawn_blocking(move || tokens.get()).await??;
    ensure!(
        stored.is_some(),
        "the token is not in the keyring after signing in"
    );
    ensure!(
        data_dir.join(desktop_core::engine::CACHE_FILE).is_file(),
        "no cache in {} after signing in",
        data_dir.display()
    );
    Ok(())
}

/// Copies `name` out of the release folder; returns the copy, its size and the size of a
/// stripped copy.
fn prepare_binary(
    release: &Path,
    name: &str,
    bin_dir: &Path,
) -> Result<Option<(PathBuf, u64, u64)>> {
    let built = release.join(name);
    if !built.is_file() {
        return Ok(None);
    }
    let copy = bin_dir.join(name);
    std::fs::copy(&built, &copy).with_context(|| format!("copying {}", built.display()))?;
    let stripped = bin_dir.join(format!("{name}.stripped"));
    let (ok, _) = run_quick(
        Command::new("strip").arg("-o").arg(&stripped).arg(&copy),
        Duration::from_secs(60),
    )
    .context("strip (apt-get install binutils)")?;
    ensure!(ok, "strip {} failed", copy.display());
    let copy = copy.canonicalize()?;
    let built_bytes = std::fs::metadata(&copy)?.len();
    let stripped_bytes = std::fs::metadata(&stripped)?.len();
    Ok(Some((copy, built_bytes, stripped_bytes)))
}

/// Re-executes this program inside `keyctl session -` without the caller's session
/// variables. Returns only in the re-executed program.
fn isolate() -> Result<()> {
    if std::env::var_os(CHILD_MARK).is_some() {
        return Ok(());
    }
    let exe = std::env::current_exe().context("locating this program")?;
    let mut cmd = Command::new("keyctl");
    cmd.args(["session", "-"])
        .arg(exe)
        .args(std::env::args_os().skip(1));
    for var in SESSION_VARS {
        cmd.env_remove(var);
    }
    let status = cmd
        .env(CHILD_MARK, "1")
        .stdout(Stdio::inherit())
        .status()
        .context("running keyctl (apt-get install keyutils)")?;
    std::process::exit(status.code().unwrap_or(1));
}

// ------------------------------------------------------------------ report

fn paint_ms(samples: &[Sample]) -> Option<Summary> {
    Summary::of(
        &samples
            .iter()
            .map(|s| s.paint.as_secs_f64() * 1e3)
            .collect::<Vec<_>>(),
    )
}

fn open_mib(samples: &[Sample]) -> Option<Summary> {
    Summary::of(
        &samples
            .iter()
            .map(|s| mib(s.open.total_kib()))
            .collect::<Vec<_>>(),
    )
}

fn closed_mib(samples: &[Sample]) -> Option<Summary> {
    Summary::of(
        &samples
            .iter()
            .map(|s| mib(s.closed.total_kib()))
            .collect::<Vec<_>>(),
    )
}

/// Median PSS by process name, over the launches (a name missing in a launch counts 0).
fn breakdown(footprints: &[&Footprint]) -> String {
    let mut names: Vec<String> = footprints
        .iter()
        .flat_map(|f| f.by_name().into_keys())
        .collect();
    names.sort();
    names.dedup();
    names
        .iter()
        .filter_map(|name| {
            let values: Vec<f64> = footprints
                .iter()
                .map(|f| mib(f.by_name().get(name).copied().unwrap_or(0)))
                .collect();
            Summary::of(&values).map(|s| format!("{name} {:.1}", s.median))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn row(label: &str, app: &str, minimal: &str, ratio: &str) {
    println!("  {label:<31} {app:<24} {minimal:<24} {ratio}");
}

fn mib_bytes(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// What the machine was doing when the run started (the figures are noisy on a busy one).
fn load_note() -> String {
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    format!("load average {load} on {cpus} CPUs at the start")
}

/// What the run measured, as printed.
#[derive(Debug)]
struct Results<'a> {
    app: Option<(&'a Target, &'a [Sample])>,
    minimal: (&'a Target, &'a [Sample]),
    minimal_no_gpu: &'a [Sample],
}

fn report(opts: &Options, display: &str, load: &str, results: &Results<'_>) {
    let (mt, ms) = results.minimal;
    let show = |s: Option<Summary>, d: usize| s.map_or_else(|| "-".to_owned(), |s| s.show(d));
    let (m_paint, m_open, m_closed) = (paint_ms(ms), open_mib(ms), closed_mib(ms));
    println!();
    println!(
        "desktop: the app beside a minimal Tauri window built the same way (Xvfb {display}, each launch in dbus-run-session; {load})"
    );
    println!(
        "  median (min–max) of {} launches each, alternating, after one warm-up; memory = PSS of the process and its WebKit processes after {} s idle",
        opts.runs,
        opts.idle.as_secs_f64()
    );
    row("", APP_BIN, MINIMAL_BIN, "app / minimal (target)");
    let Some((at, a)) = results.app else {
        row("launch → first paint, ms", "-", &show(m_paint, 0), "");
        row("memory, window open, MiB", "-", &show(m_open, 1), "");
        row(
            "binary, stripped, MiB",
            "-",
            &format!("{:.2}", mib_bytes(mt.stripped_bytes)),
            "",
        );
        println!(
            "  no {APP_BIN} in {}: the minimal window alone",
            opts.release_dir.display()
        );
        print_details(None, ms, results.minimal_no_gpu, &show(m_closed, 1));
        return;
    };
    let (a_paint, a_open, a_closed) = (paint_ms(a), open_mib(a), closed_mib(a));
    let ratio = |x: Option<Summary>, y: Option<Summary>, target: f64| match (x, y) {
        (Some(x), Some(y)) if y.median > 0.0 => verdict(x.median / y.median, target),
        _ => "-".to_owned(),
    };
    row(
        "launch → first paint, ms",
        &show(a_paint, 0),
        &show(m_paint, 0),
        &ratio(a_paint, m_paint, PAINT_TARGET),
    );
    row(
        "memory, window open, MiB",
        &show(a_open, 1),
        &show(m_open, 1),
        &ratio(a_open, m_open, OPEN_MEMORY_TARGET),
    );
    row(
        "memory, closed to the tray, MiB",
        &show(a_closed, 1),
        "(its window open, above)",
        &ratio(a_closed, m_open, TRAY_MEMORY_TARGET),
    );
    row(
        "binary, stripped, MiB",
        &format!("{:.2}", mib_bytes(at.stripped_bytes)),
        &format!("{:.2}", mib_bytes(mt.stripped_bytes)),
        &format!(
            "{:.2}×",
            at.stripped_bytes as f64 / mt.stripped_bytes.max(1) as f64
        ),
    );
    row(
        "binary, as built, MiB",
        &format!("{:.2}", mib_bytes(at.built_bytes)),
        &format!("{:.2}", mib_bytes(mt.built_bytes)),
        "",
    );
    // The targets are against Tauri's defaults, above; the app paints without GPU
    // compositing on Linux, so here is the yardstick doing the same, for comparison.
    let ns = results.minimal_no_gpu;
    let plain = |x: Option<Summary>, y: Option<Summary>| match (x, y) {
        (Some(x), Some(y)) if y.median > 0.0 => format!("{:.2}×", x.median / y.median),
        _ => "-".to_owned(),
    };
    println!(
        "  the minimal window also painting without GPU compositing (MINIMAL_WINDOW_GPU=off), as the app does on Linux:"
    );
    row("", APP_BIN, MINIMAL_NO_GPU, "app / it");
    row(
        "launch → first paint, ms",
        &show(a_paint, 0),
        &show(paint_ms(ns), 0),
        &plain(a_paint, paint_ms(ns)),
    );
    row(
        "memory, window open, MiB",
        &show(a_open, 1),
        &show(open_mib(ns), 1),
        &plain(a_open, open_mib(ns)),
    );
    print_details(Some(a), ms, ns, &show(m_closed, 1));
}

/// Where the memory is, by process, and how closing the window went.
fn print_details(
    app: Option<&[Sample]>,
    minimal: &[Sample],
    minimal_no_gpu: &[Sample],
    minimal_closed: &str,
) {
    let by = |samples: &[Sample], closed: bool| {
        breakdown(
            &samples
                .iter()
                .map(|s| if closed { &s.closed } else { &s.open })
                .collect::<Vec<_>>(),
        )
    };
    println!("  median MiB by process:");
    if let Some(a) = app {
        println!("    {APP_BIN}, window open: {}", by(a, false));
        println!("    {APP_BIN}, in the tray: {}", by(a, true));
    }
    println!("    {MINIMAL_BIN}, window open: {}", by(minimal, false));
    if !minimal_no_gpu.is_empty() {
        println!(
            "    {MINIMAL_NO_GPU}, window open: {}",
            by(minimal_no_gpu, false)
        );
    }
    println!(
        "    {MINIMAL_BIN} after Ctrl+W (plain Tauri keeping its process, for comparison): {minimal_closed} MiB: {}",
        by(minimal, true)
    );
    let all: Vec<&Footprint> = app
        .unwrap_or_default()
        .iter()
        .chain(minimal)
        .flat_map(|s| [&s.open, &s.closed])
        .collect();
    let shared: Vec<&&Footprint> = all.iter().filter(|f| !f.others.is_empty()).collect();
    if !shared.is_empty() {
        let mut names: Vec<String> = shared
            .iter()
            .flat_map(|f| {
                f.others
                    .iter()
                    .map(|o| o.split(" (").next().unwrap_or(o).to_owned())
            })
            .collect();
        names.sort();
        names.dedup();
        println!(
            "  NOTE: {}/{} memory readings were taken while other processes mapped WebKit ({}): they share its pages, which lowers PSS; measure on an otherwise idle machine",
            shared.len(),
            all.len(),
            names.join(", ")
        );
        let alone = |samples: &[Sample], closed: bool| {
            let values: Vec<f64> = samples
                .iter()
                .map(|s| if closed { &s.closed } else { &s.open })
                .filter(|f| f.others.is_empty())
                .map(|f| mib(f.total_kib()))
                .collect();
            Summary::of(&values).map_or_else(
                || "-".to_owned(),
                |s| format!("{} MiB (n={})", s.show(1), s.n),
            )
        };
        let mut line = String::new();
        if let Some(a) = app {
            line = format!(
                "{APP_BIN} window open {}, in the tray {}; ",
                alone(a, false),
                alone(a, true)
            );
        }
        println!(
            "  readings with WebKit nowhere else: {line}{MINIMAL_BIN} window open {}",
            alone(minimal, false)
        );
    }
    if let Some(a) = app {
        let shed = a.iter().filter(|s| s.close.webkit_left.is_empty()).count();
        let took: Vec<f64> = a.iter().map(|s| s.close.took.as_secs_f64() * 1e3).collect();
        let left = a
            .iter()
            .find(|s| !s.close.webkit_left.is_empty())
            .map(|s| format!("; STILL RUNNING: {}", s.close.webkit_left.join(", ")))
            .unwrap_or_default();
        println!(
            "  {APP_BIN}, Ctrl+W → window and every WebKit process gone: {shed}/{} launches, in {} ms{left}",
            a.len(),
            Summary::of(&took).map_or_else(|| "-".to_owned(), |s| s.show(0)),
        );
    }
}

// ------------------------------------------------------------------ main

/// The whole benchmark (the `desktop` bench's `main`).
pub fn run() -> Result<()> {
    isolate()?;
    let opts = Options::from_env()?;
    let work = tempfile::Builder::new()
        .prefix("desktop-bench-")
        .tempdir()?;
    let _ = WORK_DIR.set(work.path().to_owned());
    let bin_dir = work.path().join("bin");
    let xdg = work.path().join("xdg");
    let logs = opts
        .artifacts
        .clone()
        .unwrap_or_else(|| work.path().join("logs"));
    for dir in [&bin_dir, &logs] {
        std::fs::create_dir_all(dir)?;
    }
    for sub in ["data", "config", "cache", "state", "runtime"] {
        std::fs::create_dir_all(xdg.join(sub))?;
    }
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(xdg.join("runtime"), std::fs::Permissions::from_mode(0o700))?;
    }

    let release = &opts.release_dir;
    let build_hint = "cargo build --release --features account-desktop/custom-protocol,minimal-window/custom-protocol -p account-desktop -p minimal-window";
    let (m_exe, m_built, m_stripped) = prepare_binary(release, MINIMAL_BIN, &bin_dir)?
        .ok_or_else(|| anyhow!("no {MINIMAL_BIN} in {}: {build_hint}", release.display()))?;
    let minimal_no_gpu = Target {
        label: MINIMAL_NO_GPU,
        exe: m_exe.clone(),
        env: vec![("MINIMAL_WINDOW_GPU", OsString::from("off"))],
        sheds_webkit: false,
        built_bytes: m_built,
        stripped_bytes: m_stripped,
    };
    let minimal = Target {
        label: MINIMAL_BIN,
        exe: m_exe,
        env: Vec::new(),
        sheds_webkit: false,
        built_bytes: m_built,
        stripped_bytes: m_stripped,
    };
    let app_binary = prepare_binary(release, APP_BIN, &bin_dir)?;
    if app_binary.is_none() {
        eprintln!(
            "desktop bench: no {APP_BIN} in {} ({build_hint}); measuring the minimal window alone",
            release.display()
        );
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    install_interrupt_handler(&rt);
    let server_dir = work.path().join("server");
    std::fs::create_dir_all(&server_dir)?;
    let server = rt.block_on(start_server(&server_dir))?;
    let url = format!("http://{}", server.addr);

    let app = match app_binary {
        Some((exe, built_bytes, stripped_bytes)) => {
            let data_dir = work.path().join("profile");
            std::fs::create_dir_all(&data_dir)?;
            rt.block_on(sign_in(&url, &data_dir))?;
            Some(Target {
                label: APP_BIN,
                exe,
                env: vec![
                    ("ACCOUNT_SETTINGS_DATA_DIR", data_dir.into_os_string()),
                    ("ACCOUNT_SETTINGS_SERVER", OsString::from(&url)),
                ],
                sheds_webkit: true,
                built_bytes,
                stripped_bytes,
            })
        }
        None => None,
    };

    let load = load_note();
    let xvfb = Xvfb::start(&logs.join("xvfb.log"))?;
    let session = Session {
        display: xvfb.display.clone(),
        xdg,
    };
    let targets: Vec<&Target> = app.iter().chain([&minimal, &minimal_no_gpu]).collect();

    // Warm-up: page cache, WebKit's caches, the app's cache after its first sync.
    for t in &targets {
        let log = logs.join(format!("{}-warmup.log", t.label));
        let mut launch = Launch::start(t, &session, log)?;
        let paint = launch.wait_paint(opts.timeout)?;
        std::thread::sleep(Duration::from_secs(2));
        launch.stop();
        eprintln!(
            "desktop bench: {} warm-up, first paint {:.0} ms",
            t.label,
            paint.as_secs_f64() * 1e3
        );
    }

    let mut samples: BTreeMap<&str, Vec<Sample>> = BTreeMap::new();
    for round in 0..opts.runs {
        // Alternate which binary goes first.
        let mut order = targets.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        for t in order {
            let log = logs.join(format!("{}-{round}.log", t.label));
            let shots = opts.artifacts.as_deref().filter(|_| round == 0);
            let s = measure(t, &session, &opts, log, shots)
                .with_context(|| format!("{} launch {}", t.label, round + 1))?;
            eprintln!(
                "desktop bench: {} {}/{}: first paint {:.0} ms, window open {:.1} MiB, closed {:.1} MiB (closing took {:.0} ms{}{})",
                t.label,
                round + 1,
                opts.runs,
                s.paint.as_secs_f64() * 1e3,
                mib(s.open.total_kib()),
                mib(s.closed.total_kib()),
                s.close.took.as_secs_f64() * 1e3,
                if s.close.webkit_left.is_empty() {
                    String::new()
                } else {
                    format!("; WebKit left: {}", s.close.webkit_left.join(", "))
                },
                if s.open.others.is_empty() && s.closed.others.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; other WebKit users on the machine: {}",
                        s.open.others.len().max(s.closed.others.len())
                    )
                }
            );
            samples.entry(t.label).or_default().push(s);
        }
    }

    let empty = Vec::new();
    let results = Results {
        app: app
            .as_ref()
            .map(|a| (a, samples.get(APP_BIN).unwrap_or(&empty).as_slice())),
        minimal: (
            &minimal,
            samples.get(MINIMAL_BIN).unwrap_or(&empty).as_slice(),
        ),
        minimal_no_gpu: samples.get(MINIMAL_NO_GPU).unwrap_or(&empty).as_slice(),
    };
    report(&opts, &session.display, &load, &results);

    drop(xvfb);
    rt.block_on(server.stop())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_is_read_from_smaps_rollup() {
        let text = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:              464052 kB\nPss:              90406 kB\nPss_Dirty:         60000 kB\n";
        assert_eq!(procs::parse_pss_kib(text), Some(90406));
        assert_eq!(procs::parse_pss_kib("Rss: 1 kB\n"), None);
    }

    #[test]
    fn process_state_skips_the_parenthesized_name() {
        assert_eq!(procs::parse_state("42 (a) b) Z 1 2"), Some('Z'));
        assert_eq!(procs::parse_state("7 (WebKitWebProces) S 6"), Some('S'));
    }

    #[test]
    fn summaries_take_the_middle_and_the_extremes() {
        let s = Summary::of(&[3.0, 1.0, 2.0]).expect("values");
        assert_eq!((s.median, s.min, s.max, s.n), (2.0, 1.0, 3.0, 3));
        let even = Summary::of(&[4.0, 1.0, 2.0, 3.0]).expect("values");
        assert_eq!(even.median, 2.5);
        assert!(Summary::of(&[]).is_none());
        assert_eq!(s.show(1), "2.0 (1.0–3.0)");
    }

    #[test]
    fn verdicts_compare_with_the_target() {
        assert!(verdict(1.05, 1.10).ends_with("ok)"));
        assert!(verdict(1.20, 1.10).ends_with("OVER)"));
    }

    #[test]
    fn footprints_sum_by_name() {
        let f = Footprint {
            processes: vec![
                ProcessMemory {
                    pid: 1,
                    name: "main".into(),
                    pss_kib: 100,
                },
                ProcessMemory {
                    pid: 2,
                    name: "WebKitWebProces".into(),
                    pss_kib: 50,
                },
                ProcessMemory {
                    pid: 3,
                    name: "WebKitWebProces".into(),
                    pss_kib: 25,
                },
            ],
            others: Vec::new(),
        };
        assert_eq!(f.total_kib(), 175);
        assert_eq!(f.by_name().get("WebKitWebProces"), Some(&75));
        assert_eq!(f.webkit().len(), 2);
    }
}
