//! The settings window. It exists only while it is open, and closing it leaves no
//! WebKit behind.
//!
//! Why the app re-executes itself when the window closes (Linux): destroying the
//! webview ends WebKit's web process, but Tauri keeps the WebKit context — and with it
//! WebKit's network process, ~30 MB — alive for the app's whole life on Linux
//! (tauri#14626: WebKitGTK never closes a network process, so Tauri reuses it), and the
//! UI process keeps WebKit's and GTK's heaps. A tray-resident app must be light, so
//! once the window is destroyed the process replaces itself (`exec`, same PID) with
//! `account-settings --tray`: a fresh image that never starts WebKit until the window
//! is opened again. Nothing is lost by it: the account, the queued edits, the alert
//! state and the last event id are in the SQLite cache (every write is a committed
//! transaction, built to survive a crash at any point), the token is in the keyring,
//! and the new image resumes the event stream where the old one stopped. The single-
//! instance D-Bus name is released first, so the new image owns it again.
//!
//! Opening the window again (tray "Open settings", or a second launch) builds a new
//! webview that renders from the cache at once.
//!
//! Size, position and maximized state are remembered between launches
//! (`tauri-plugin-window-state`, in the OS's app config folder): restored when the window
//! is built, written when it closes to the tray and at Quit. Visibility is not part of
//! it, so a start into the tray (`--tray`, a login start) stays in the tray.
//!
//! Why the webview paints without GPU compositing (Linux): a one-page settings form gains
//! nothing from it, and it is most of what WebKit costs. Measured with WebKitGTK 2.50
//! (Xvfb, Mesa's software GL, the real page), the web process holds ~118 MiB without
//! it against ~224 MiB with it, and the first frame is on screen ~130 ms sooner. The
//! policy is set on the new webview before its page is created in the web process
//! (`with_webview` runs at once on the main thread, where windows are built).

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const LABEL: &str = "main";

/// The argument that starts the app without its window.
pub const TRAY_ONLY: &str = "--tray";

/// What is remembered of the window: never whether it was visible.
fn remembered() -> tauri_plugin_window_state::StateFlags {
    use tauri_plugin_window_state::StateFlags;
    StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED
}

/// The plugin that restores the window's size and position when it is built.
pub fn state_plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri_plugin_window_state::Builder::default()
        .with_state_flags(remembered())
        .build()
}

/// Writes the window's last size and position (called once it closed to the tray: the
/// process re-executes, so the plugin's own write at exit would never come).
pub fn remember_state<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_window_state::AppHandleExt as _;
    match app.save_window_state(remembered()) {
        Ok(()) => tracing::debug!("window size and position remembered"),
        Err(e) => tracing::warn!(error = %e, "could not remember the window's size and position"),
    }
}

/// Shows the window, building it when it does not exist, and gives it the focus.
pub fn open<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window(LABEL) {
        window.unminimize()?;
        window.show()?;
        return window.set_focus();
    }
    let window = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title("Account Settings")
        .inner_size(1024.0, 720.0)
        .min_inner_size(800.0, 600.0)
        .center()
        .on_web_resource_request({
            let app = app.clone();
            move |request, response| crate::boot::on_request(&app, &request, response)
        })
        .build()?;
    paint_without_compositing(&window)?;
    window.set_focus()
}

#[cfg(target_os = "linux")]
fn paint_without_compositing<R: Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = WebViewExt::settings(&webview.inner()) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    })
}

/// Elsewhere the system webview (WebView2, WKWebView) keeps its defaults: not measured.
#[cfg(not(target_os = "linux"))]
fn paint_without_compositing<R: Runtime>(_window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    Ok(())
}

/// Names the WebKit processes the old image started: they are still this process's
/// children after `exec`, and the new image must reap them when they exit.
#[cfg(target_os = "linux")]
const REAP_ENV: &str = "ACCOUNT_SETTINGS_REAP";

/// This process's WebKit children (of all its threads), from `/proc`.
#[cfg(target_os = "linux")]
fn webkit_children() -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<i32>>()
        })
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.starts_with("WebKit"))
        })
        .collect()
}

/// In the new image: waits for the old image's WebKit processes (they exit as soon as
/// they see their connection closed) so none lingers as a zombie.
#[cfg(target_os = "linux")]
pub fn reap_inherited_children() {
    let Ok(list) = std::env::var(REAP_ENV) else {
        return;
    };
    let pids: Vec<rustix::process::Pid> = list
        .split(',')
        .filter_map(|p| p.parse().ok())
        .filter_map(rustix::process::Pid::from_raw)
        .collect();
    if pids.is_empty() {
        return;
    }
    std::thread::spawn(move || {
        for pid in pids {
            if let Err(e) =
                rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty())
            {
                tracing::debug!(error = %e, pid = pid.as_raw_nonzero().get(), "reaping an old WebKit process");
            }
        }
    });
}

#[cfg(not(target_os = "linux"))]
pub fn reap_inherited_children() {}

/// Called once the window was destroyed and the app stays in the tray: replaces the
/// process with a tray-only image (see the module doc). Returns only when that failed;
/// the app then carries on as it is.
#[cfg(target_os = "linux")]
pub fn shed_webkit<R: Runtime>(_app: &AppHandle<R>) {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            tracing::warn!(error = %e, "cannot find my own binary; staying as I am");
            return;
        }
    };
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != TRAY_ONLY)
        .collect();
    let webkit: Vec<String> = webkit_children().iter().map(i32::to_string).collect();
    let error = std::process::Command::new(exe)
        .args(args)
        .arg(TRAY_ONLY)
        .env(REAP_ENV, webkit.join(","))
        .exec();
    tracing::error!(%error, "re-executing into the tray failed; staying as I am");
}

/// Elsewhere WebKit (macOS) and WebView2 (Windows) end their processes with the last
/// webview: nothing to do.
#[cfg(not(target_os = "linux"))]
pub fn shed_webkit<R: Runtime>(_app: &AppHandle<R>) {}
