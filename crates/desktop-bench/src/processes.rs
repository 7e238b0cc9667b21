//! Child processes: process groups signalled away at the end (and on Ctrl+C), Xvfb, one launch of a target.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::*;

/// Process groups to signal if the program is interrupted.
pub(crate) static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// The work folder, removed if the program is interrupted.
pub(crate) static WORK_DIR: OnceLock<PathBuf> = OnceLock::new();

pub(crate) fn groups() -> std::sync::MutexGuard<'static, Vec<i32>> {
    GROUPS.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn signal_group(pgid: i32, signal: rustix::process::Signal) {
    // Never 0 or 1: kill(0) / kill(-1) would reach far more than our own group.
    if pgid > 1
        && let Some(pid) = rustix::process::Pid::from_raw(pgid)
    {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

pub(crate) fn signal_process(pid: i32, signal: rustix::process::Signal) {
    if pid > 1
        && let Some(p) = rustix::process::Pid::from_raw(pid)
    {
        let _ = rustix::process::kill_process(p, signal);
    }
}

/// On Ctrl+C or SIGTERM: stops every group started, removes the work folder, exits.
pub(crate) fn install_interrupt_handler(rt: &tokio::runtime::Runtime) {
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

pub(crate) fn child_pid(child: &Child) -> Result<i32> {
    i32::try_from(child.id()).context("process id out of range")
}

/// Waits for `child` up to `limit`; true when it exited.
pub(crate) fn wait_exit(child: &mut Child, limit: Duration) -> bool {
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
pub(crate) fn stop_group(child: &mut Child) {
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
pub(crate) fn run_quick(cmd: &mut Command, limit: Duration) -> Result<(bool, String)> {
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
pub(crate) struct Xvfb {
    pub(crate) child: Child,
    pub(crate) display: String,
}

impl Xvfb {
    /// Starts Xvfb on a free display numbered 100 or more (away from the low numbers that
    /// `-displayfd` alone and `xvfb-run` hand out, so a run beside other Xvfb users cannot
    /// meet them on one display); Xvfb's messages go to `log`.
    pub(crate) fn start(log: &Path) -> Result<Self> {
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
    pub(crate) fn start_on(n: u32, log: &Path) -> Result<Option<Self>> {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("creating {}", log.display()))?;
        let child = xvfb_launch::command(Some(n))
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .context("starting Xvfb (apt-get install xvfb)")?;
        groups().push(child_pid(&child)?);
        let mut xvfb = Self {
            child,
            display: format!(":{n}"),
        };
        // Xvfb reports the display once it accepts connections; it exits when the
        // display is taken.
        match xvfb_launch::wait_ready(&mut xvfb.child, Duration::from_secs(15)) {
            xvfb_launch::Ready::Display(reported) if reported == n => Ok(Some(xvfb)),
            xvfb_launch::Ready::Display(other) => bail!("Xvfb :{n} reported display {other}"),
            xvfb_launch::Ready::Exited => Ok(None),
            xvfb_launch::Ready::TimedOut => bail!("Xvfb :{n} did not report ready in 15 s"),
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
pub(crate) struct Target {
    pub(crate) label: &'static str,
    /// The copy that runs.
    pub(crate) exe: PathBuf,
    /// Extra environment (the app's data folder and server).
    pub(crate) env: Vec<(&'static str, OsString)>,
    /// Whether the process is expected to keep no WebKit process once its window closed.
    pub(crate) sheds_webkit: bool,
    pub(crate) built_bytes: u64,
    pub(crate) stripped_bytes: u64,
}

/// One launch in its own `dbus-run-session` and process group.
#[derive(Debug)]
pub(crate) struct Launch {
    pub(crate) child: Child,
    pub(crate) started: Instant,
    pub(crate) paints: mpsc::Receiver<Instant>,
    pub(crate) log: PathBuf,
    pub(crate) exe: PathBuf,
    pub(crate) stopped: bool,
}

/// Environment common to every launch.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) display: String,
    pub(crate) xdg: PathBuf,
}

impl Launch {
    pub(crate) fn start(target: &Target, session: &Session, log: PathBuf) -> Result<Self> {
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

    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n    ");
        format!("\n  its log ({}):\n    {tail}", self.log.display())
    }

    /// Launch → the `first-paint` line.
    pub(crate) fn wait_paint(&mut self, timeout: Duration) -> Result<Duration> {
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
    pub(crate) fn main_pid(&self) -> Result<i32> {
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

    pub(crate) fn stop(&mut self) {
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
