//! The settings window. It exists only while it is open: closing it destroys the
//! webview, so no WebKit process stays alive while the app sits in the tray, and
//! opening it again builds a new one that renders from the cache at once.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const LABEL: &str = "main";

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
        .build()?;
    window.set_focus()
}
