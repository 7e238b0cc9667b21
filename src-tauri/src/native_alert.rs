//! The native desktop notification, per OS.
//!
//! - Linux: `org.freedesktop.Notifications.Notify` on the session bus, sent with libdbus
//!   (the `dbus` crate the keyring's Secret Service backend already links). Why not the
//!   notification plugin here: on Linux it brings two more D-Bus stacks (zbus 5 and zbus 6
//!   through notify-rust) and the async-io/blocking executors under them, ~1.5 MiB of the
//!   binary, and an executor thread that wakes twice a second for ever, in an app that
//!   sits in the tray all day. It also swallows delivery errors; this reports them.
//! - Windows and macOS: `tauri-plugin-notification` (WinRT toasts under the
//!   AppUserModelID the installer registers; `NSUserNotification`).

use tauri::{AppHandle, Runtime};

/// A notification ready to be shown: its title and text, already in the person's language.
#[derive(Debug, Clone)]
pub struct Alert {
    pub title: String,
    pub body: String,
}

/// How long the notification server may take to answer before the call counts as failed.
#[cfg(target_os = "linux")]
const NOTIFY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The icon's name in the icon theme: what the package installs (the binary's name).
#[cfg(target_os = "linux")]
const ICON: &str = "account-settings";

/// Shows `alert`, off the calling thread (a D-Bus round trip may wait on a busy server);
/// a failure is logged with what the notification server said.
pub fn show<R: Runtime>(app: &AppHandle<R>, alert: Alert) {
    #[cfg(target_os = "linux")]
    {
        let app_name = app.package_info().name.clone();
        tauri::async_runtime::spawn_blocking(move || {
            if let Err(e) = notify(&app_name, &alert) {
                tracing::error!(error = %e, "the desktop notification failed");
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    {
        use tauri_plugin_notification::NotificationExt;
        if let Err(e) = app
            .notification()
            .builder()
            .title(alert.title)
            .body(alert.body)
            .show()
        {
            tracing::error!(error = %e, "the desktop notification failed");
        }
    }
}

/// One `Notify` call; answers the notification's id.
#[cfg(target_os = "linux")]
fn notify(app_name: &str, alert: &Alert) -> Result<u32, dbus::Error> {
    use dbus::arg::{PropMap, Variant};
    let connection = dbus::blocking::Connection::new_session()?;
    let server = connection.with_proxy(
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        NOTIFY_TIMEOUT,
    );
    let mut hints = PropMap::new();
    // The .desktop entry the package installs: servers group and badge by it.
    hints.insert("desktop-entry".into(), Variant(Box::new(ICON.to_owned())));
    // "normal": a low balance matters, but is not an emergency that stays on screen.
    hints.insert("urgency".into(), Variant(Box::new(1u8)));
    let actions: Vec<&str> = Vec::new();
    let (id,): (u32,) = server.method_call(
        "org.freedesktop.Notifications",
        "Notify",
        (
            app_name,
            0u32,
            ICON,
            alert.title.as_str(),
            alert.body.as_str(),
            actions,
            hints,
            // The server's default time on screen.
            -1i32,
        ),
    )?;
    Ok(id)
}
