//! The yardstick of `make bench`: a bare Tauri 2 window, built exactly like the app
//! (same tauri version and features, same release command), so the app's first paint,
//! memory and size can be read against what Tauri itself costs.
//!
//! One 1024×720 window with a trivial page. The page calls `ui_painted` two animation
//! frames after it rendered, and the binary then prints the line `first-paint` on stdout
//! (the app's marker protocol). Ctrl+W closes the window through `close_window`; the
//! process then stays running without a window, as a tray-resident plain Tauri app would
//! (it has no tray: end it with SIGTERM).
//!
//! `MINIMAL_WINDOW_GPU=off` makes its webview paint without GPU compositing, as the app
//! does on Linux, so the benchmark can also show the app against that.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri::{RunEvent, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// The page rendered: the benchmark times launch → this line.
#[tauri::command]
fn ui_painted() {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "first-paint");
    let _ = out.flush();
}

/// Ctrl+W: destroys the window (the process stays).
#[tauri::command]
fn close_window(window: WebviewWindow) -> Result<(), String> {
    window.close().map_err(|e| e.to_string())
}

#[cfg(target_os = "linux")]
fn paint_without_compositing(window: &WebviewWindow) -> tauri::Result<()> {
    window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = WebViewExt::settings(&webview.inner()) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    })
}

#[cfg(not(target_os = "linux"))]
fn paint_without_compositing(_window: &WebviewWindow) -> tauri::Result<()> {
    Ok(())
}

fn main() {
    let app = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ui_painted, close_window])
        .setup(|app| {
            let window =
                WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
                    .title("Minimal Window")
                    .inner_size(1024.0, 720.0)
                    .center()
                    .build()?;
            if std::env::var("MINIMAL_WINDOW_GPU").is_ok_and(|v| v == "off") {
                paint_without_compositing(&window)?;
            }
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("minimal-window could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|_app, event| {
        // Closing the window keeps the process, like the app's tray; an explicit exit
        // code still exits.
        if let RunEvent::ExitRequested {
            api, code: None, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}
