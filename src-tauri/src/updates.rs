//! Updates, signed: the app asks the update endpoint at start and every 24 hours, tells
//! the page what is available (version and notes), and installs only when the person
//! says so; then it restarts as the new version.
//!
//! - Endpoint: `ACCOUNT_SETTINGS_UPDATES` (a URL with `{{target}}`, `{{arch}}` and
//!   `{{current_version}}`, or `off`); by default the account server's
//!   `/v1/desktop/updates/{{target}}/{{arch}}/{{current_version}}` (see the server's
//!   `releases`), so an organization's own server decides which version its people get.
//! - Integrity: every bundle is checked against the public key built into the app
//!   (`plugins.updater.pubkey` in tauri.conf.json) before anything is installed; the
//!   private key never leaves the release process. A bundle that fails is refused with
//!   [`UiCode::UpdateRefused`] and nothing changes.
//! - Transport: https, except to a loopback address (the local server of `make run`
//!   and of the tests). The plugin's own https rule is turned off in the config because
//!   this one replaces it: the plugin's would also refuse loopback.
//! - Data: a check downloads the manifest alone (a few hundred bytes). The bundle is
//!   downloaded only once the person chose to install, with its size shown, so a check
//!   on a metered connection costs nothing worth asking about.
//! - Installing: the plugin hands the bundle to the OS installer (`dpkg -i`/`rpm -U`
//!   through pkexec or sudo on Linux, the NSIS/MSI installer on Windows, the `.app`
//!   replaced on macOS); then the app restarts. The running instance gives up its
//!   single-instance claim first, so the new one starts without waiting.

use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, Url};
use tauri_plugin_updater::UpdaterExt;
use tokio::sync::Mutex;

use crate::error::{UiCode, UiError, UiResult};
use crate::settings::ServerAddress;

/// The first check waits this long after start: off the first paint and the sign-in.
const FIRST_CHECK_DELAY: Duration = Duration::from_secs(10);
/// Between two checks.
const CHECK_EVERY: Duration = Duration::from_secs(24 * 60 * 60);
/// One check or download may not hang for ever on a silent server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable that overrides the endpoint (or turns checks `off`).
pub const ENDPOINT_ENV: &str = "ACCOUNT_SETTINGS_UPDATES";

/// What the page shows about updates.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePayload {
    /// This app's version.
    pub current: String,
    /// A newer version the endpoint offers, with its notes.
    pub available: Option<AvailablePayload>,
    /// Checks are turned off (`ACCOUNT_SETTINGS_UPDATES=off`).
    pub disabled: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AvailablePayload {
    pub version: String,
    pub notes: String,
    /// RFC 3339, when the endpoint gave it.
    pub date: Option<String>,
}

/// Download progress, as `update-progress` events.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressPayload {
    pub downloaded: u64,
    pub total: Option<u64>,
}

/// Where checks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Off,
    Url(Url),
}

impl Endpoint {
    /// From `ACCOUNT_SETTINGS_UPDATES` when set, else the account server's.
    pub fn choose(env: Option<&str>, server: &ServerAddress) -> Result<Self, UiError> {
        let text = match env.map(str::trim) {
            Some("off") => return Ok(Self::Off),
            Some(url) if !url.is_empty() => url.to_owned(),
            _ => format!(
                "{}/v1/desktop/updates/{{{{target}}}}/{{{{arch}}}}/{{{{current_version}}}}",
                server.as_str().trim_end_matches('/')
            ),
        };
        let url = Url::parse(&text).map_err(|e| {
            UiError::new(
                UiCode::UpdateRefused,
                format!("{ENDPOINT_ENV}: \"{text}\" is not a URL ({e})"),
            )
        })?;
        allowed_transport(&url)?;
        Ok(Self::Url(url))
    }
}

/// https, or plain http to this computer only.
pub fn allowed_transport(url: &Url) -> Result<(), UiError> {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    if url.scheme() == "https" || (url.scheme() == "http" && loopback) {
        Ok(())
    } else {
        Err(UiError::new(
            UiCode::UpdateRefused,
            format!("updates come over https only (or http to this computer), not {url}"),
        ))
    }
}

/// The update state the app holds (managed by Tauri).
#[derive(Default)]
pub struct Updates {
    found: Mutex<Option<tauri_plugin_updater::Update>>,
}

impl std::fmt::Debug for Updates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Updates(..)")
    }
}

fn endpoint_now(server: &ServerAddress) -> Result<Endpoint, UiError> {
    Endpoint::choose(std::env::var(ENDPOINT_ENV).ok().as_deref(), server)
}

/// Checks at start (after [`FIRST_CHECK_DELAY`]) and every [`CHECK_EVERY`], on the
/// server in use at each check.
pub fn spawn_checks<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(FIRST_CHECK_DELAY).await;
        loop {
            if let Err(e) = check(&app).await {
                tracing::warn!(code = e.code.as_str(), error = %e.message, "the update check failed");
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
}

/// Asks the endpoint once; a newer version is kept and announced to the page.
pub async fn check<R: Runtime>(app: &AppHandle<R>) -> UiResult<UpdatePayload> {
    let server = app.state::<crate::desktop::Desktop>().server().await;
    let endpoint = endpoint_now(&server)?;
    let Endpoint::Url(url) = endpoint else {
        return Ok(status(app).await);
    };
    let updater = app
        .updater_builder()
        .endpoints(vec![url])
        .and_then(|b| b.timeout(REQUEST_TIMEOUT).build())
        .map_err(|e| failed("preparing the update check", &e))?;
    let found = updater
        .check()
        .await
        .map_err(|e| failed("checking for updates", &e))?;
    if let Some(update) = &found {
        tracing::info!(version = %update.version, "an update is available");
    }
    *app.state::<Updates>().found.lock().await = found;
    let payload = status(app).await;
    if payload.available.is_some() {
        let _ = app.emit("update-available", payload.clone());
    }
    Ok(payload)
}

/// What is known now, without asking.
pub async fn status<R: Runtime>(app: &AppHandle<R>) -> UpdatePayload {
    let server = app.state::<crate::desktop::Desktop>().server().await;
    let updates = app.state::<Updates>();
    let found = updates.found.lock().await;
    UpdatePayload {
        current: app.package_info().version.to_string(),
        available: found.as_ref().map(|u| AvailablePayload {
            version: u.version.clone(),
            notes: u.body.clone().unwrap_or_default(),
            date: u.date.and_then(|d| {
                d.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        }),
        disabled: matches!(endpoint_now(&server), Ok(Endpoint::Off)),
    }
}

/// Downloads the update found last, checks its signature, installs it and restarts.
/// Returns only on failure (the app still runs as it was).
pub async fn install<R: Runtime>(app: &AppHandle<R>) -> UiResult<()> {
    let update = app
        .state::<Updates>()
        .found
        .lock()
        .await
        .clone()
        .ok_or_else(|| UiError::new(UiCode::UpdateFailed, "no update to install: check again"))?;
    allowed_transport(&update.download_url)?;
    let version = update.version.clone();
    tracing::info!(%version, url = %update.download_url, "installing the update");
    let progress = app.clone();
    let mut downloaded: u64 = 0;
    update
        .download_and_install(
            move |chunk, total| {
                downloaded += chunk as u64;
                let _ = progress.emit("update-progress", ProgressPayload { downloaded, total });
            },
            || tracing::info!("update downloaded; installing"),
        )
        .await
        .map_err(|e| {
            let refused = matches!(
                e,
                tauri_plugin_updater::Error::Minisign(_)
                    | tauri_plugin_updater::Error::SignatureUtf8(_)
                    | tauri_plugin_updater::Error::Base64(_)
            );
            tracing::error!(error = %e, refused, %version, "the update was not installed");
            if refused {
                UiError::new(
                    UiCode::UpdateRefused,
                    format!("the update {version} is not signed by the app's publisher: {e}"),
                )
            } else {
                failed("installing the update", &e)
            }
        })?;
    tracing::info!(%version, "update installed; restarting");
    crate::prepare_restart();
    app.restart();
}

fn failed(doing: &str, e: &tauri_plugin_updater::Error) -> UiError {
    UiError::new(UiCode::UpdateFailed, format!("{doing}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(s: &str) -> ServerAddress {
        ServerAddress::parse(s).expect("server")
    }

    #[test]
    fn the_endpoint_is_the_servers_unless_the_environment_says_otherwise() {
        let https = server("https://accounts.example.com");
        assert_eq!(
            Endpoint::choose(None, &https).expect("default"),
            Endpoint::Url(
                Url::parse("https://accounts.example.com/v1/desktop/updates/{{target}}/{{arch}}/{{current_version}}")
                    .expect("url")
            )
        );
        assert_eq!(
            Endpoint::choose(Some("off"), &https).expect("off"),
            Endpoint::Off
        );
        assert_eq!(
            Endpoint::choose(Some("https://updates.example.com/{{target}}"), &https).expect("env"),
            Endpoint::Url(Url::parse("https://updates.example.com/{{target}}").expect("url"))
        );
        let error = Endpoint::choose(Some("not a url"), &https).expect_err("bad");
        assert!(error.message.contains(ENDPOINT_ENV), "{}", error.message);
    }

    #[test]
    fn plain_http_is_for_this_computer_only() {
        for ok in [
            "https://example.com/u",
            "http://127.0.0.1:8080/u",
            "http://[::1]/u",
            "http://localhost/u",
        ] {
            assert!(
                allowed_transport(&Url::parse(ok).expect("url")).is_ok(),
                "{ok}"
            );
        }
        for refused in [
            "http://example.com/u",
            "http://10.0.0.1/u",
            "ftp://127.0.0.1/u",
        ] {
            let e = allowed_transport(&Url::parse(refused).expect("url")).expect_err(refused);
            assert_eq!(e.code, UiCode::UpdateRefused);
        }
        let local = server("http://127.0.0.1:8080");
        assert!(Endpoint::choose(None, &local).is_ok());
        // (A server address is itself https or loopback: `ServerAddress` refuses others.)
        let e = Endpoint::choose(Some("http://updates.example.com/u"), &local).expect_err("env");
        assert_eq!(e.code, UiCode::UpdateRefused);
    }
}
