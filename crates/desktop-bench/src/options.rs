//! Options, the binaries and their folder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};

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

pub(crate) fn env_number(name: &str, default: f64) -> Result<f64> {
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
/// `$CARGO_TARGET_DIR/ship` (the profile that ships, which `make bench` builds), else the
/// `ship` folder beside the one holding this program (`<target>/release/deps/…` under
/// `cargo bench`).
/// The Cargo profile the app ships with (`[profile.ship]` of the workspace).
pub const SHIP_PROFILE: &str = "ship";

pub(crate) fn release_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("DESKTOP_BENCH_BIN_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        if dir.is_absolute() {
            return Ok(dir.join(SHIP_PROFILE));
        }
    }
    let exe = std::env::current_exe().context("locating this program")?;
    exe.ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "release"))
        .and_then(Path::parent)
        .map(|target| target.join(SHIP_PROFILE))
        .ok_or_else(|| anyhow!("set CARGO_TARGET_DIR: cannot tell where the release binaries are"))
}
