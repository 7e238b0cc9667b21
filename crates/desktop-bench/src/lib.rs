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
//! `DESKTOP_BENCH_BIN_DIR` (where the binaries are, default `$CARGO_TARGET_DIR/ship`),
//! `DESKTOP_BENCH_ARTIFACTS` (a folder to keep logs, screenshots and `smaps` in).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

mod measure;
mod options;
mod processes;
pub mod procfs;
mod report;
mod setup;
mod stats;
mod window;

pub(crate) use measure::*;
pub use options::*;
pub(crate) use processes::*;
pub use procfs::*;
pub(crate) use report::*;
pub(crate) use setup::*;
pub use stats::*;
pub(crate) use window::*;

/// The line both binaries print once their page has painted.
pub const PAINT_MARKER: &str = "first-paint";
/// The app's binary (src-tauri, package `account-desktop`).
pub const APP_BIN: &str = "account-settings";
/// The yardstick's binary (crates/minimal-window).
pub const MINIMAL_BIN: &str = "minimal-window";
/// The yardstick again, painting without GPU compositing as the app does on Linux.
pub(crate) const MINIMAL_NO_GPU: &str = "minimal-no-gpu";
/// Who the app is signed in as: the demo organization's owner (sees every section).
pub(crate) const DEMO_EMAIL: &str = "owner@demo.example";

/// Targets printed next to the ratios.
pub(crate) const PAINT_TARGET: f64 = 1.10;
pub(crate) const OPEN_MEMORY_TARGET: f64 = 1.10;
pub(crate) const TRAY_MEMORY_TARGET: f64 = 0.40;
/// The stripped app against the minimal window, same profile (stretch: 1.5×).
pub(crate) const SIZE_TARGET: f64 = 2.0;
/// Wakeups per second in the tray, every thread of the app counted.
pub(crate) const TRAY_WAKEUPS_TARGET: f64 = 0.5;

/// Set in the re-executed program (inside `keyctl session -`, with a clean environment).
pub(crate) const CHILD_MARK: &str = "DESKTOP_BENCH_INNER";
/// Variables that would let the program or the apps reach the caller's session.
pub(crate) const SESSION_VARS: &[&str] = &[
    "DBUS_SESSION_BUS_ADDRESS",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_RUNTIME_DIR",
];

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
    let build_hint = "cargo build --profile ship --features account-desktop/custom-protocol,minimal-window/custom-protocol -p account-desktop -p minimal-window";
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
