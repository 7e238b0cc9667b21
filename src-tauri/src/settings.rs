//! Where the app keeps its own few settings, and the server address as a type.
//!
//! - The data directory is `ACCOUNT_SETTINGS_DATA_DIR` when set (tests, several
//!   profiles), else the OS's app data folder. It holds the cache (`cache.sqlite3`) and
//!   `settings.json`. The session token is not in it: it is in the OS keyring.
//! - The server address the user signed in to is remembered in `settings.json`. Before
//!   the first sign-in the sign-in screen offers `ACCOUNT_SETTINGS_SERVER`, else
//!   [`DEFAULT_SERVER`].
//! - Whether this device starts the app at login (`startAtLogin`): absent until the
//!   first sign-in on the device decides it (see [`crate::login_start`]).
//! - A `settings.json` that cannot be read is reported (with its path and why) and set
//!   aside as `settings.json.invalid` the next time settings are saved, never silently
//!   overwritten.

use std::path::{Path, PathBuf};

use account_model::{ErrorCode, ParseError};
use serde::{Deserialize, Serialize};

/// The server offered before anything else was chosen: the local backend `make run`
/// starts.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

const FILE: &str = "settings.json";

/// Whether `host` (as a URL writes it: IPv6 in brackets) names this computer.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An `https` server root (or `http` on this computer), normalized without a trailing
/// slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddress(String);

impl ServerAddress {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim().trim_end_matches('/');
        let refuse = |why: &str| {
            ParseError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "\"{input}\" is not a server address: {why} (example: https://accounts.example.com)"
                ),
            )
        };
        if trimmed.is_empty() {
            return Err(refuse("it is empty"));
        }
        let config = account_client::ClientConfig::new(trimmed)
            .map_err(|_| refuse("use http:// or https:// and a host name"))?;
        let url = config.base_url();
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse("it has no host name"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refuse("it must not have ? or # parts"));
        }
        // The password and the session token travel to this address: in clear text only
        // where they never leave the computer.
        if url.scheme() == "http" && !url.host_str().is_some_and(is_loopback) {
            return Err(refuse(
                "plain http:// is only for a server on this computer (localhost, 127.0.0.1, \
                 ::1); use https:// for any other",
            ));
        }
        Ok(Self(url.as_str().trim_end_matches('/').to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_at_login: Option<bool>,
}

/// The settings file of one data directory.
#[derive(Debug)]
pub struct Settings {
    path: PathBuf,
    file: SettingsFile,
    /// The file on disk could not be read; keep it aside before writing a new one.
    unreadable: bool,
}

impl Settings {
    pub fn load(data_dir: &Path) -> Self {
        let path = data_dir.join(FILE);
        let (file, unreadable) = match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<SettingsFile>(&text) {
                Ok(file) => (file, false),
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "settings file unreadable; using defaults");
                    (SettingsFile::default(), true)
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (SettingsFile::default(), false),
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "settings file unreadable; using defaults");
                (SettingsFile::default(), true)
            }
        };
        Self {
            path,
            file,
            unreadable,
        }
    }

    /// The remembered server, when there is one and it is still a valid address.
    pub fn server(&self) -> Option<ServerAddress> {
        let raw = self.file.server.as_deref()?;
        ServerAddress::parse(raw)
            .inspect_err(|e| tracing::error!(path = %self.path.display(), error = %e.message, "ignoring the remembered server"))
            .ok()
    }

    /// Remembers `server`.
    pub fn remember_server(&mut self, server: &ServerAddress) -> std::io::Result<()> {
        self.file.server = Some(server.as_str().to_owned());
        self.save()
    }

    /// What the person chose for starting at login on this device; `None` before
    /// anything was decided.
    pub fn start_at_login(&self) -> Option<bool> {
        self.file.start_at_login
    }

    /// Remembers the start-at-login choice.
    pub fn remember_start_at_login(&mut self, enabled: bool) -> std::io::Result<()> {
        self.file.start_at_login = Some(enabled);
        self.save()
    }

    /// Writes the file atomically (temp file + rename), an unreadable one set aside first.
    fn save(&mut self) -> std::io::Result<()> {
        if self.unreadable && self.path.exists() {
            std::fs::rename(&self.path, self.path.with_extension("json.invalid"))?;
            self.unreadable = false;
        }
        let text = serde_json::to_string_pretty(&self.file).map_err(std::io::Error::other)?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// The server to offer: remembered, else from the environment, else the default.
/// An invalid `ACCOUNT_SETTINGS_SERVER` is an error: the person who set it wants to know.
pub fn initial_server(settings: &Settings, env: Option<&str>) -> Result<ServerAddress, ParseError> {
    if let Some(remembered) = settings.server() {
        return Ok(remembered);
    }
    match env {
        Some(raw) => ServerAddress::parse(raw).map_err(|e| {
            ParseError::new(e.code, format!("ACCOUNT_SETTINGS_SERVER: {}", e.message))
        }),
        None => ServerAddress::parse(DEFAULT_SERVER),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_normalized_or_refused_with_a_reason() {
        let ok = |s: &str| ServerAddress::parse(s).expect(s).as_str().to_owned();
        assert_eq!(
            ok(" https://accounts.example.com/ "),
            "https://accounts.example.com"
        );
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://localhost:8080/"), "http://localhost:8080");
        assert_eq!(ok("http://[::1]:8080"), "http://[::1]:8080");
        assert_eq!(ok("http://127.1.2.3"), "http://127.1.2.3");
        assert_eq!(ok("https://example.com/api/"), "https://example.com/api");
        assert_eq!(ok("https://10.0.0.5"), "https://10.0.0.5");
        for bad in [
            "",
            "accounts.example.com",
            "ftp://example.com",
            "https://example.com/?x=1",
            "http://accounts.example.com",
            "http://10.0.0.5:8080",
            "http://[2001:db8::1]",
            "http://localhost.example.com",
        ] {
            let e = ServerAddress::parse(bad).expect_err(bad);
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{bad}");
            assert!(e.message.contains("server address"), "{}", e.message);
        }
    }

    #[test]
    fn the_server_is_remembered_and_a_broken_file_is_kept_aside() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join(FILE), "{ not json").expect("write");
        let mut settings = Settings::load(dir.path());
        assert_eq!(settings.server(), None);
        let env = initial_server(&settings, Some("http://127.0.0.1:9999")).expect("env");
        assert_eq!(env.as_str(), "http://127.0.0.1:9999");
        let e = initial_server(&settings, Some("nope")).expect_err("invalid env");
        assert!(
            e.message.starts_with("ACCOUNT_SETTINGS_SERVER"),
            "{}",
            e.message
        );

        let chosen = ServerAddress::parse("https://accounts.example.com").expect("url");
        settings.remember_server(&chosen).expect("save");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("settings.json.invalid")).expect("kept"),
            "{ not json"
        );
        let again = Settings::load(dir.path());
        assert_eq!(again.server(), Some(chosen.clone()));
        assert_eq!(
            initial_server(&again, Some("http://127.0.0.1:9999")).expect("remembered"),
            chosen
        );
    }
}
