//! The desktop app's updater: the update manifest for an installed app, and the bundles
//! it downloads. Public (an app checks before anyone signs in); what it serves is public
//! too, and signed by a key the server does not hold (see `crate::releases`).

use std::collections::BTreeMap;

use account_model::{ErrorBody, ErrorCode};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::releases::{self, Arch, Os};
use crate::service::Services;

/// Where the bundles are served, under the server's public address.
pub const RELEASES_PATH: &str = "/v1/desktop/releases";

/// A newer release for the asking app's platform, in the Tauri updater's format.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpdateManifest {
    /// The release's version (semver).
    pub version: String,
    /// What changed, as the operator wrote it.
    pub notes: String,
    /// When it was published (RFC 3339).
    pub pub_date: String,
    /// One entry per bundle of this OS and architecture, by `{os}-{arch}-{installer}`.
    pub platforms: BTreeMap<String, UpdateBundle>,
}

/// One downloadable bundle.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpdateBundle {
    pub url: String,
    /// The bundle's minisign signature (base64), checked by the app before installing.
    pub signature: String,
}

fn bad(what: &str, value: &str, why: String) -> AppError {
    AppError::new(
        ErrorCode::InvalidRequest,
        format!("the {what} \"{value}\" is not usable: {why}"),
    )
}

/// The newest release above `current_version` for this OS and architecture, or 204 when
/// the app is up to date (or no release folder is configured).
#[utoipa::path(get, path = "/v1/desktop/updates/{target}/{arch}/{current_version}", tag = "desktop",
    params(("target" = Os, Path, description = "the app's OS"),
           ("arch" = Arch, Path, description = "the app's CPU architecture"),
           // Semantic Versioning 2.0's own pattern (semver.org), numbers kept below 10^18 so
           // every match fits the `semver` crate's 64-bit parts.
           ("current_version" = String, Path, pattern = r"^(0|[1-9]\d{0,17})\.(0|[1-9]\d{0,17})\.(0|[1-9]\d{0,17})(?:-((?:0|[1-9]\d{0,17}|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d{0,17}|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", description = "the installed app's version (semver 2.0, each number below 10^18)")),
    responses((status = 200, body = UpdateManifest), (status = 204, description = "no newer release for this platform"),
              (status = 422, body = ErrorBody)))]
pub async fn desktop_update(
    State(s): State<Services>,
    Path((target, arch, current)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let os: Os = target.parse().map_err(|e| bad("target", &target, e))?;
    let arch_: Arch = arch.parse().map_err(|e| bad("arch", &arch, e))?;
    let current = semver::Version::parse(&current)
        .map_err(|e| bad("current_version", &current, e.to_string()))?;
    let Some(dir) = s.config.releases_dir.clone() else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let listed = tokio::task::spawn_blocking(move || releases::list(&dir))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("reading the releases: {e}")))?
        .map_err(|e| AppError::internal(anyhow::anyhow!("reading the releases: {e}")))?;
    let Some((release, bundles)) = releases::newest_for(&listed, os, arch_, &current) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let base = public_base(&s, &headers);
    let platforms = bundles
        .into_iter()
        .map(|(platform, bundle)| {
            let url = format!(
                "{base}{RELEASES_PATH}/{}/{}",
                release.version,
                account_model::url::path_segment(&bundle.file)
            );
            (
                platform.to_string(),
                UpdateBundle {
                    url,
                    signature: bundle.signature.clone(),
                },
            )
        })
        .collect();
    Ok(Json(UpdateManifest {
        version: release.version.to_string(),
        notes: release.notes.clone(),
        pub_date: release.pub_date.clone(),
        platforms,
    })
    .into_response())
}

/// `public_url` when configured (behind a proxy or TLS terminator it must be), else the
/// address the app reached this instance at.
fn public_base(s: &Services, headers: &HeaderMap) -> String {
    if let Some(url) = &s.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}
