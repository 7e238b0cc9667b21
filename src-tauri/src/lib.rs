//! Account Settings, the desktop app: a Tauri shell around `desktop-core`.
//!
//! - [`commands`] are the page's only way in; they forward to the engine held by
//!   [`desktop::Desktop`].
//! - [`desktop`] owns the background work (live balance, alerts, tray) that keeps
//!   running while the window is closed to the tray.
//! - [`window`] builds the window on demand and lets it be destroyed on close, so the
//!   tray-resident app holds no WebKit process.
//! - [`boot`] serves the page its starting data inside `index.html`; [`rust_only`]
//!   keeps the notification plugin's script out of the page.
//! - One instance per user: a second launch focuses the first (on Linux through the
//!   session bus) and exits. `--tray` starts without opening the window (and is how the app
//!   re-executes itself into the tray when the window closes: see [`window`]).
//! - [`login_start`]: the app starts at login, tray only (turned on by the first sign-in
//!   on a device; the person's choice after that).
//!
//! Configuration: `--data-dir=<folder>` or `ACCOUNT_SETTINGS_DATA_DIR` (data folder),
//! and in the environment `ACCOUNT_SETTINGS_SERVER` (server offered before the first
//! sign-in), `ACCOUNT_SETTINGS_LOG` (log filter, default `warn`).

pub mod boot;
pub mod commands;
pub mod desktop;
pub mod error;
pub mod login_start;
pub mod payload;
pub mod rust_only;
pub mod settings;
pub mod tray;
pub mod window;

use std::sync::atomic::{AtomicBool, Ordering};

use tauri::{AppHandle, Manager, RunEvent, Runtime, WindowEvent};

use crate::desktop::Desktop;
use crate::settings::Settings;
use crate::tray::Tray;

/// Set once the person chose Quit: windows closing then mean exiting, not the tray.
static QUITTING: AtomicBool = AtomicBool::new(false);

fn on_tray_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        tray::OPEN => {
            if let Err(e) = window::open(app) {
                tracing::error!(error = %e, "opening the window failed");
            }
        }
        tray::REFRESH => commands::refresh_in_background(app),
        tray::QUIT => {
            QUITTING.store(true, Ordering::SeqCst);
            app.exit(0);
        }
        _ => {}
    }
}

fn setup<R: Runtime>(app: &mut tauri::App<R>) -> Result<(), Box<dyn std::error::Error>> {
    tracing::debug!("setup");
    window::reap_inherited_children();
    let handle = app.handle().clone();
    let data_dir = match chosen_data_dir() {
        Some(dir) => dir,
        None => app.path().app_data_dir()?,
    };
    // Off the start-up path: it writes a file (a registry value, a plist).
    let renew = handle.clone();
    std::thread::spawn(move || {
        use tauri_plugin_autostart::ManagerExt as _;
        login_start::refresh(&*renew.autolaunch());
    });
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| format!("cannot create the data folder {}: {e}", data_dir.display()))?;
    let settings = Settings::load(&data_dir);
    let env_server = std::env::var("ACCOUNT_SETTINGS_SERVER").ok();
    let server =
        settings::initial_server(&settings, env_server.as_deref()).map_err(|e| e.message)?;
    app.manage(Desktop::open_in_background(
        &handle, data_dir, settings, server,
    ));
    if std::env::args().any(|a| a == window::TRAY_ONLY) {
        build_tray(&handle)?;
    } else {
        window::open(&handle)?;
        tracing::debug!("window built");
        // The page asks for the tray once its first frame is on screen (`ui_painted`);
        // this is for a page that never says so.
        let later = handle.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(TRAY_FALLBACK).await;
            build_tray_soon(&later);
        });
    }
    Ok(())
}

/// The data folder chosen at launch: `--data-dir=<folder>`, else
/// `ACCOUNT_SETTINGS_DATA_DIR`; `None` means the OS's app data folder.
fn chosen_data_dir() -> Option<std::path::PathBuf> {
    login_start::data_dir_from_args(std::env::args().skip(1)).or_else(|| {
        std::env::var_os("ACCOUNT_SETTINGS_DATA_DIR")
            .filter(|d| !d.is_empty())
            .map(std::path::PathBuf::from)
    })
}

/// When the tray is built without the page's word (see [`build_tray_soon`]).
const TRAY_FALLBACK: std::time::Duration = std::time::Duration::from_secs(3);

/// Builds the tray icon unless it exists. Main thread only (GTK).
fn build_tray<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    if app.try_state::<Tray<R>>().is_some() {
        return Ok(());
    }
    let engine = tauri::async_runtime::block_on(app.state::<Desktop>().engine());
    let view = tauri::async_runtime::block_on(desktop::tray_view(&engine));
    app.manage(Tray::build(app, &view, on_tray_menu)?);
    Ok(())
}

/// Builds the tray on the main thread, once. A launch with the window builds it after
/// the window's first frame, not before the window: it takes ~20 ms of the main
/// thread, and anything that holds the main thread before the first frame delays it.
/// The tray shows the cache's view when built, so nothing that changed before is lost.
pub(crate) fn build_tray_soon<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    let queued = app.run_on_main_thread(move || {
        if let Err(e) = build_tray(&handle) {
            tracing::error!(error = %e, "building the tray icon failed");
        }
    });
    if let Err(e) = queued {
        tracing::error!(error = %e, "could not schedule the tray icon");
    }
}

/// How many times a start is retried when the single-instance check meets an instance
/// that is just exiting (its bus name is still taken but it no longer answers).
#[cfg(target_os = "linux")]
const START_ATTEMPTS: u32 = 3;
#[cfg(target_os = "linux")]
const ATTEMPT_ENV: &str = "ACCOUNT_SETTINGS_START_ATTEMPT";

/// Relaunching right after Quit can find the old instance still holding its D-Bus name
/// but no longer answering (`NoReply`); the plugin then fails the start. A GTK event
/// loop cannot be built twice in one process, so the retry is a fresh image of the same
/// process, a moment later. Returns only when out of attempts (or elsewhere than Linux).
fn retry_start() {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let attempt: u32 = std::env::var(ATTEMPT_ENV)
            .ok()
            .and_then(|a| a.parse().ok())
            .unwrap_or(1);
        if attempt >= START_ATTEMPTS {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        tracing::warn!(
            attempt,
            "the previous instance is still exiting; starting again"
        );
        std::thread::sleep(std::time::Duration::from_millis(400));
        let error = std::process::Command::new(exe)
            .args(std::env::args().skip(1))
            .env(ATTEMPT_ENV, (attempt + 1).to_string())
            .exec();
        tracing::error!(%error, "starting again failed");
    }
}

/// The name `tauri_plugin_single_instance` registers its plugin under; Tauri reports a
/// plugin's failed setup with that name beside the plugin's own message.
const SINGLE_INSTANCE_PLUGIN: &str = "single-instance";

/// Whether the start failed in the single-instance check (the variant and the plugin's
/// name, not words of a message, which a plugin update may reword).
fn is_single_instance_failure(e: &tauri::Error) -> bool {
    matches!(e, tauri::Error::PluginInitialization(plugin, _) if plugin == SINGLE_INSTANCE_PLUGIN)
}

/// Builds and runs the app until Quit.
pub fn run() {
    // Reading the cached account parses and formats its phone number, and the first
    // use loads libphonenumber's metadata (~55 ms): on a spare core now, while the main
    // thread starts the toolkit, it is off every path the window waits for.
    std::thread::spawn(account_model::preload_phone_metadata);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ACCOUNT_SETTINGS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log sent to a file or the journal stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    tracing::debug!("starting");
    let app = tauri::Builder::default()
        // First, so a second instance exits before doing anything else.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Err(e) = window::open(app) {
                tracing::error!(error = %e, "focusing the window failed");
            }
        }))
        // Notifications are raised from Rust; the page has no use for the plugin's script.
        .plugin(rust_only::RustOnly(tauri_plugin_notification::init()))
        .plugin(rust_only::RustOnly(window::state_plugin()))
        .plugin(rust_only::RustOnly(login_start::plugin(
            login_start::login_args(chosen_data_dir().as_deref()),
        )))
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::reference_data,
            commands::sign_in,
            commands::sign_out,
            commands::refresh,
            commands::update_preferences,
            commands::password_strength,
            commands::change_password,
            commands::request_email_change,
            commands::resend_email_code,
            commands::confirm_email_change,
            commands::cancel_email_change,
            commands::request_phone_change,
            commands::resend_phone_code,
            commands::confirm_phone_change,
            commands::cancel_phone_change,
            commands::list_sessions,
            commands::revoke_session,
            commands::revoke_other_sessions,
            commands::list_members,
            commands::change_role,
            commands::device_settings,
            commands::set_start_at_login,
            commands::ui_painted,
            commands::close_window,
        ])
        .setup(|app| {
            // Tauri turns a setup error into a panic with a backtrace; what fails here is
            // the person's configuration (a data folder that cannot be created, a server
            // address that is not one), so it is said in one line, and the app exits 1.
            if let Err(e) = setup(app) {
                eprintln!("Account Settings could not start: {e}");
                std::process::exit(1);
            }
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            if is_single_instance_failure(&e) {
                retry_start();
            }
            eprintln!("Account Settings could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| match event {
        // Closing the last window keeps the app in the tray; only Quit (an explicit
        // exit code) ends it.
        RunEvent::ExitRequested {
            api, code: None, ..
        } => api.prevent_exit(),
        RunEvent::ExitRequested { code: Some(_), .. } => QUITTING.store(true, Ordering::SeqCst),
        RunEvent::WindowEvent {
            label,
            event: WindowEvent::Destroyed,
            ..
        } if label == window::LABEL && !QUITTING.load(Ordering::SeqCst) => {
            window::remember_state(app);
            window::shed_webkit(app);
        }
        _ => {}
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_single_instance_setup_is_told_from_other_start_failures() {
        use tauri::plugin::Plugin;
        let plugin = tauri_plugin_single_instance::init::<tauri::Wry, _>(|_, _, _| {});
        assert_eq!(plugin.name(), SINGLE_INSTANCE_PLUGIN);
        let failed =
            |name: &str| tauri::Error::PluginInitialization(name.to_owned(), "NoReply".to_owned());
        assert!(is_single_instance_failure(&failed(plugin.name())));
        assert!(!is_single_instance_failure(&failed("notification")));
        assert!(!is_single_instance_failure(
            &tauri::Error::FailedToReceiveMessage
        ));
    }
}
