//! Starting at login, into the tray: the app exists to watch the balance and alert when it
//! runs low, which it only does while it runs.
//!
//! - The OS entry (an XDG autostart file `~/.config/autostart/Account Settings.desktop` on
//!   Linux, the `Run` registry key on Windows, a LaunchAgent on macOS) is written and
//!   removed by `tauri-plugin-autostart`. It starts the app with `--tray` (no window, so no
//!   WebKit process: balance watching and alerts only) and, when the data folder was
//!   chosen at launch (`--data-dir` or `ACCOUNT_SETTINGS_DATA_DIR`), with
//!   `--data-dir=<folder>`, so a login start opens the same profile.
//! - Per device: the choice lives in this data folder's `settings.json`
//!   (`startAtLogin`), never on the server.
//! - Turned on by the first sign-in on a device. Once the person chose (either way, or by
//!   that first sign-in), the app never changes it again on its own: signing out, signing
//!   in again, or the entry removed from the OS's own settings leave it as it is.
//! - What the page shows is the OS entry itself (`is_enabled`), not the remembered choice:
//!   the OS's own settings can remove it.
//! - At each start an existing entry is written again, so it names this binary after the
//!   app moved or was updated; a missing one is not recreated.

use crate::error::{UiCode, UiError};
use crate::settings::Settings;

/// What the OS side does; the plugin's manager in the app, a fake in the tests below.
pub trait Launcher {
    fn enable(&self) -> Result<(), String>;
    fn disable(&self) -> Result<(), String>;
    fn is_enabled(&self) -> Result<bool, String>;
}

impl Launcher for tauri_plugin_autostart::AutoLaunchManager {
    fn enable(&self) -> Result<(), String> {
        tauri_plugin_autostart::AutoLaunchManager::enable(self).map_err(|e| e.to_string())
    }

    fn disable(&self) -> Result<(), String> {
        tauri_plugin_autostart::AutoLaunchManager::disable(self).map_err(|e| e.to_string())
    }

    fn is_enabled(&self) -> Result<bool, String> {
        tauri_plugin_autostart::AutoLaunchManager::is_enabled(self).map_err(|e| e.to_string())
    }
}

/// The arguments of a login start: tray only, and the data folder when one was chosen.
/// A folder whose path holds whitespace is left out (the entry's command line would
/// split it); such a login start then opens the OS's default data folder, and says so in
/// the log.
pub fn login_args(chosen_data_dir: Option<&std::path::Path>) -> Vec<String> {
    let mut args = vec![crate::window::TRAY_ONLY.to_owned()];
    if let Some(dir) = chosen_data_dir {
        let dir = dir.to_string_lossy();
        if dir.chars().any(char::is_whitespace) {
            tracing::warn!(%dir, "a data folder with spaces cannot be named in the login entry; a login start uses the default folder");
        } else {
            args.push(format!("{DATA_DIR_ARG}{dir}"));
        }
    }
    args
}

/// The command-line form of the data folder: `--data-dir=<folder>`.
pub const DATA_DIR_ARG: &str = "--data-dir=";

/// The data folder named on the command line, if any.
pub fn data_dir_from_args(args: impl IntoIterator<Item = String>) -> Option<std::path::PathBuf> {
    args.into_iter()
        .find_map(|a| a.strip_prefix(DATA_DIR_ARG).map(std::path::PathBuf::from))
        .filter(|dir| !dir.as_os_str().is_empty())
}

/// The plugin, registering `args` for login starts.
/// On macOS a LaunchAgent (a login item the person sees in System Settings, started by
/// launchd), not AppleScript (which asks for automation permission).
pub fn plugin<R: tauri::Runtime>(args: Vec<String>) -> tauri::plugin::TauriPlugin<R> {
    let builder = tauri_plugin_autostart::Builder::new().args(args);
    #[cfg(target_os = "macos")]
    let builder = builder.macos_launcher(tauri_plugin_autostart::MacosLauncher::LaunchAgent);
    builder.build()
}

fn failed(what: &str, e: impl std::fmt::Display) -> UiError {
    UiError::new(UiCode::LoginStartFailed, format!("{what}: {e}"))
}

/// After a successful sign-in: the first on this device turns starting at login on.
pub fn after_sign_in(launcher: &dyn Launcher, settings: &mut Settings) -> Result<(), UiError> {
    if settings.start_at_login().is_some() {
        return Ok(());
    }
    launcher
        .enable()
        .map_err(|e| failed("registering the login start", e))?;
    settings
        .remember_start_at_login(true)
        .map_err(|e| failed("remembering the login start", e))
}

/// The person's choice: applied to the OS and remembered. Returns what the OS now says.
pub fn choose(
    launcher: &dyn Launcher,
    settings: &mut Settings,
    enabled: bool,
) -> Result<bool, UiError> {
    if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    }
    .map_err(|e| failed("changing the login start", e))?;
    settings
        .remember_start_at_login(enabled)
        .map_err(|e| failed("remembering the login start", e))?;
    enabled_now(launcher)
}

/// Whether the OS will start the app at login.
pub fn enabled_now(launcher: &dyn Launcher) -> Result<bool, UiError> {
    launcher
        .is_enabled()
        .map_err(|e| failed("reading the login start", e))
}

/// At start: an entry that exists is written again so it names this binary.
pub fn refresh(launcher: &dyn Launcher) {
    match launcher.is_enabled() {
        Ok(true) => {
            if let Err(e) = launcher.enable() {
                tracing::warn!(error = %e, "could not renew the login start entry");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "could not read the login start entry"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    /// The OS side in memory: whether the entry exists, how often it was written.
    #[derive(Default)]
    struct FakeOs {
        entry: Cell<bool>,
        writes: Cell<u32>,
        fail: RefCell<Option<String>>,
    }

    impl Launcher for FakeOs {
        fn enable(&self) -> Result<(), String> {
            if let Some(e) = self.fail.borrow().clone() {
                return Err(e);
            }
            self.entry.set(true);
            self.writes.set(self.writes.get() + 1);
            Ok(())
        }
        fn disable(&self) -> Result<(), String> {
            self.entry.set(false);
            Ok(())
        }
        fn is_enabled(&self) -> Result<bool, String> {
            Ok(self.entry.get())
        }
    }

    #[test]
    fn the_first_sign_in_turns_it_on_and_later_ones_leave_the_choice_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let os = FakeOs::default();
        let mut settings = Settings::load(dir.path());

        after_sign_in(&os, &mut settings).expect("first sign-in");
        assert!(os.entry.get());
        assert_eq!(Settings::load(dir.path()).start_at_login(), Some(true));

        assert!(!choose(&os, &mut settings, false).expect("off"));
        // Signing in again (also after a restart) never turns it back on.
        let mut reloaded = Settings::load(dir.path());
        after_sign_in(&os, &mut reloaded).expect("second sign-in");
        assert!(!os.entry.get());
        assert_eq!(reloaded.start_at_login(), Some(false));

        // Removed from the OS's own settings after being on: not recreated either.
        assert!(choose(&os, &mut reloaded, true).expect("on"));
        os.entry.set(false);
        after_sign_in(&os, &mut reloaded).expect("third sign-in");
        refresh(&os);
        assert!(!os.entry.get());
    }

    #[test]
    fn a_start_renews_an_existing_entry_only() {
        let os = FakeOs::default();
        refresh(&os);
        assert_eq!(os.writes.get(), 0);
        os.entry.set(true);
        refresh(&os);
        assert_eq!(os.writes.get(), 1);
    }

    #[test]
    fn an_os_refusal_is_a_login_start_error_and_nothing_is_remembered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let os = FakeOs::default();
        *os.fail.borrow_mut() = Some("permission denied".to_owned());
        let mut settings = Settings::load(dir.path());
        let e = after_sign_in(&os, &mut settings).expect_err("refused");
        assert_eq!(e.code, UiCode::LoginStartFailed);
        assert!(e.message.contains("permission denied"), "{}", e.message);
        assert_eq!(Settings::load(dir.path()).start_at_login(), None);
        let e = choose(&os, &mut settings, true).expect_err("refused");
        assert_eq!(e.code, UiCode::LoginStartFailed);
        assert_eq!(Settings::load(dir.path()).start_at_login(), None);
    }

    #[test]
    fn login_starts_are_tray_only_and_name_a_chosen_data_folder() {
        assert_eq!(login_args(None), vec!["--tray"]);
        assert_eq!(
            login_args(Some(std::path::Path::new("/home/ana/profiles/work"))),
            vec!["--tray", "--data-dir=/home/ana/profiles/work"]
        );
        assert_eq!(
            login_args(Some(std::path::Path::new("/home/ana/My Profiles"))),
            vec!["--tray"]
        );
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            data_dir_from_args(args(&["app", "--tray", "--data-dir=/tmp/p"])),
            Some(std::path::PathBuf::from("/tmp/p"))
        );
        assert_eq!(data_dir_from_args(args(&["app", "--data-dir="])), None);
        assert_eq!(data_dir_from_args(args(&["app", "--tray"])), None);
    }
}
