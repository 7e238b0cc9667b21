//! Account Settings, the desktop app: a Tauri shell around `desktop-core`.
//!
//! - [`commands`] are the page's only way in; they forward to the engine held by
//!   [`desktop::Desktop`].
//! - [`desktop`] owns the background work (live balance, alerts, tray) that keeps
//!   running while the window is closed to the tray.
//! - [`window`] builds the window on demand and lets it be destroyed on close, so the
//!   tray-resident app holds no WebKit process.
//! - [`boot`] serves the page its starting data inside `index.html`; [`native_alert`]
//!   raises the low-balance notification ([`rust_only`] keeps the notification plugin's
//!   script out of the page where that plugin is used).
//! - One instance per data folder: a second launch opens the first one's window and exits
//!   ([`one_instance`] on Linux, `tauri-plugin-single-instance` elsewhere). `--tray` starts without opening the window (and is how the app
//!   re-executes itself into the tray when the window closes: see [`window`]).
//! - [`login_start`]: the app starts at login, tray only (turned on by the first sign-in
//!   on a device; the person's choice after that).
//!
//! - [`updates`]: signed updates from the account server, installed on the person's word.
//!
//! Configuration: `--data-dir=<folder>` or `ACCOUNT_SETTINGS_DATA_DIR` (data folder),
//! and in the environment `ACCOUNT_SETTINGS_SERVER` (server offered before the first
//! sign-in), `ACCOUNT_SETTINGS_LOG` (log filter, default `warn`),
//! `ACCOUNT_SETTINGS_UPDATES` (update endpoint, or `off`). `--version` prints the version.

pub mod boot;
pub mod commands;
pub mod desktop;
pub mod error;
pub mod login_start;
pub mod native_alert;
#[cfg(target_os = "linux")]
pub mod one_instance;
pub mod payload;
pub mod rust_only;
pub mod settings;
pub mod tray;
pub mod updates;
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
            prepare_restart();
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
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| format!("cannot create the data folder {}: {e}", data_dir.display()))?;
    #[cfg(target_os = "linux")]
    match one_instance::claim(&data_dir)
        .map_err(|e| format!("cannot check for a running instance: {e}"))?
    {
        one_instance::Claim::Primary(primary) => {
            let opener = handle.clone();
            primary.serve(move || {
                if let Err(e) = window::open(&opener) {
                    tracing::error!(error = %e, "opening the window for a second launch failed");
                }
            });
        }
        one_instance::Claim::Forwarded => {
            tracing::info!("the running instance opens its window");
            std::process::exit(0);
        }
    }
    // Off the start-up path: it writes a file (a registry value, a plist).
    let renew = handle.clone();
    std::thread::spawn(move || {
        use tauri_plugin_autostart::ManagerExt as _;
        login_start::refresh(&*renew.autolaunch());
    });
    let settings = Settings::load(&data_dir);
    let env_server = std::env::var("ACCOUNT_SETTINGS_SERVER").ok();
    let server =
        settings::initial_server(&settings, env_server.as_deref()).map_err(|e| e.message)?;
    app.manage(Desktop::open_in_background(
        &handle, data_dir, settings, server,
    ));
    app.manage(updates::Updates::default());
    updates::spawn_checks(&handle);
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

/// Before the app exits (Quit) or restarts (an update): windows closing then mean
/// exiting, and a launch from now on waits for this instance to be gone.
pub(crate) fn prepare_restart() {
    QUITTING.store(true, Ordering::SeqCst);
    #[cfg(target_os = "linux")]
    one_instance::closing();
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
    // Past the start-up, whether or not the tray can be built (see `Desktop::started`).
    app.state::<Desktop>().mark_started();
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

/// The log goes to stderr, filtered by `ACCOUNT_SETTINGS_LOG` (`warn` by default): a
/// level, or targets with levels (`account_desktop=debug,desktop_core=info,warn`). The
/// filter is `Targets`, not `EnvFilter`: the same syntax for what the app logs, without
/// the regex engine `EnvFilter` links for span and field matching.
fn init_logging() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let default = || Targets::new().with_default(LevelFilter::WARN);
    let (filter, refused) = match std::env::var("ACCOUNT_SETTINGS_LOG") {
        Ok(spec) => match spec.parse::<Targets>() {
            Ok(filter) => (filter, None),
            Err(e) => (default(), Some(format!("{spec:?}: {e}"))),
        },
        Err(_) => (default(), None),
    };
    // The builder's own level cap (INFO unless told) would hide the debug targets the
    // filter lets through: the cap is TRACE, and the filter decides.
    tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log sent to a file or the journal stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .finish()
        .with(filter)
        .init();
    if let Some(refused) = refused {
        tracing::warn!("ACCOUNT_SETTINGS_LOG {refused}; logging warnings and errors only");
    }
}

/// Builds and runs the app until Quit.
pub fn run() {
    let context = tauri::generate_context!();
    // `--version`: the version this binary is (what an update installed), before any
    // toolkit or instance check.
    if std::env::args().skip(1).any(|a| a == "--version") {
        let info = context.package_info();
        println!("{} {}", info.name, info.version);
        return;
    }
    init_logging();
    tracing::debug!("starting");
    let builder = tauri::Builder::default();
    #[cfg(not(target_os = "linux"))]
    let builder = builder
        // First, so a second instance exits before doing anything else.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Err(e) = window::open(app) {
                tracing::error!(error = %e, "focusing the window failed");
            }
        }))
        // Notifications are raised from Rust; the page has no use for the plugin's script.
        .plugin(rust_only::RustOnly(tauri_plugin_notification::init()));
    let app = builder
        .plugin(rust_only::RustOnly(window::state_plugin()))
        .plugin(rust_only::RustOnly(
            tauri_plugin_updater::Builder::new().build(),
        ))
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
            commands::update_status,
            commands::check_for_update,
            commands::install_update,
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
        .build(context);
    let app = match app {
        Ok(app) => app,
        Err(e) => {
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
