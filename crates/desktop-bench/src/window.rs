//! The window through X11: finding it, Ctrl+W, waiting for it and its WebKit processes to go.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, ensure};

use crate::*;

pub(crate) fn xdotool(display: &str, args: &[&str]) -> Result<(bool, String)> {
    run_quick(
        Command::new("xdotool").args(args).env("DISPLAY", display),
        Duration::from_secs(10),
    )
    .context("xdotool (apt-get install xdotool)")
}

/// The visible X windows of `pid`.
pub(crate) fn windows_of(display: &str, pid: i32) -> Result<Vec<String>> {
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
pub(crate) fn press_ctrl_w(display: &str, pid: i32) -> Result<()> {
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
pub(crate) struct Closed {
    pub(crate) took: Duration,
    /// WebKit processes still running when the wait ended.
    pub(crate) webkit_left: Vec<String>,
}

/// Waits until `pid`'s window is gone and its web process ended — and, when
/// `all_webkit`, every WebKit process (the app is built to keep none).
pub(crate) fn wait_closed(
    display: &str,
    pid: i32,
    all_webkit: bool,
    timeout: Duration,
) -> Result<Closed> {
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
