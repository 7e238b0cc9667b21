//! Desktop app releases: the folder the operator fills with `account-server release add`,
//! and the update manifests the app's updater reads from it.
//!
//! Why a folder and not the database: a release is a few files the operator publishes
//! (the signed bundles and their notes), shared by every instance the way static files
//! are (a network mount, or the same files copied to each host), and replaced by the
//! next release, not edited. Each release is a sub-folder named by its version:
//!
//! ```text
//! <releases_dir>/0.2.0/release.json                   version, notes, date, bundles
//! <releases_dir>/0.2.0/Account Settings_0.2.0_amd64.deb
//! ```
//!
//! `release add` checks every bundle's signature against the apps' public key before
//! anything is published (a bundle the apps would refuse never reaches them), writes the
//! folder under a hidden name and renames it into place, so a reader never sees half a
//! release. The apps verify the signature again before installing: the server is trusted
//! with availability, never with integrity.

mod platform;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

pub use platform::{Arch, Installer, Os, Platform};

/// The file in each release folder that describes it.
pub const RELEASE_FILE: &str = "release.json";

/// What went wrong publishing or reading releases, said so the operator can act on it.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ReleaseError + '_ {
    move |source| ReleaseError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One bundle of a release, as stored: its file (in the release folder) and signature.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StoredBundle {
    pub file: String,
    /// The minisign signature as the Tauri bundler writes it (`<bundle>.sig`: base64).
    pub signature: String,
}

/// `release.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub version: semver::Version,
    pub notes: String,
    /// RFC 3339.
    pub pub_date: String,
    pub platforms: BTreeMap<Platform, StoredBundle>,
}

/// A bundle named on the command line: `linux-x86_64-deb=path/to/file.deb`; its signature
/// is read from `path/to/file.deb.sig`.
#[derive(Debug, Clone)]
pub struct BundleArg {
    pub platform: Platform,
    pub path: PathBuf,
}

impl std::str::FromStr for BundleArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (platform, path) = s.split_once('=').ok_or_else(|| {
            format!("\"{s}\": write a bundle as <os>-<arch>-<installer>=<file>, e.g. linux-x86_64-deb=app.deb")
        })?;
        if path.is_empty() {
            return Err(format!("\"{s}\": the file is missing after '='"));
        }
        Ok(Self {
            platform: platform.parse()?,
            path: PathBuf::from(path),
        })
    }
}

/// The apps' updater public key, as `tauri.conf.json` holds it (base64 of a minisign
/// public key file), parsed once.
#[derive(Debug)]
pub struct PublicKey(minisign_verify::PublicKey);

impl PublicKey {
    /// From the key itself or from a file holding it (`tauri signer generate` writes
    /// `<key>.pub`).
    pub fn read(key_or_file: &str) -> Result<Self, ReleaseError> {
        let text = if Path::new(key_or_file).is_file() {
            std::fs::read_to_string(key_or_file).map_err(io(Path::new(key_or_file)))?
        } else {
            key_or_file.to_owned()
        };
        let decoded = decode_base64(text.trim()).ok_or_else(|| {
            ReleaseError::Invalid(
                "the public key is not base64 (as `tauri signer generate` writes it)".into(),
            )
        })?;
        minisign_verify::PublicKey::decode(&decoded)
            .map(Self)
            .map_err(|e| {
                ReleaseError::Invalid(format!("the public key is not a minisign key: {e}"))
            })
    }

    /// Whether `signature` (base64, as in a `.sig` file) signs `bytes` with this key.
    pub fn verify(&self, bytes: &[u8], signature: &str) -> Result<(), String> {
        let text = decode_base64(signature.trim())
            .ok_or("the signature is not base64 (as the Tauri bundler writes it)")?;
        let signature = minisign_verify::Signature::decode(&text)
            .map_err(|e| format!("the signature is not a minisign signature: {e}"))?;
        self.0
            .verify(bytes, &signature, true)
            .map_err(|e| format!("the signature does not match the public key: {e}"))
    }
}

fn decode_base64(text: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Publishes a release: checks the version is new and every bundle's signature, then
/// copies the bundles and `release.json` into `<dir>/<version>` in one rename.
pub fn add(
    dir: &Path,
    version: &semver::Version,
    notes: &str,
    pub_date: &str,
    key: &PublicKey,
    bundles: &[BundleArg],
) -> Result<Release, ReleaseError> {
    if bundles.is_empty() {
        return Err(ReleaseError::Invalid(
            "name at least one bundle (e.g. linux-x86_64-deb=app.deb)".into(),
        ));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let target = dir.join(version.to_string());
    if target.exists() {
        return Err(ReleaseError::Invalid(format!(
            "release {version} exists already ({}); a published version is never replaced: publish a newer one",
            target.display()
        )));
    }
    let mut platforms = BTreeMap::new();
    let mut files = Vec::new();
    for bundle in bundles {
        let bytes = std::fs::read(&bundle.path).map_err(io(&bundle.path))?;
        let sig_path = PathBuf::from(format!("{}.sig", bundle.path.display()));
        let signature = std::fs::read_to_string(&sig_path).map_err(io(&sig_path))?;
        key.verify(&bytes, &signature).map_err(|why| {
            ReleaseError::Invalid(format!(
                "{}: {why}; the apps would refuse this bundle",
                bundle.path.display()
            ))
        })?;
        let file = bundle
            .path
            .file_name()
            .and_then(|f| f.to_str())
            .filter(|f| !f.starts_with('.') && *f != RELEASE_FILE)
            .ok_or_else(|| {
                ReleaseError::Invalid(format!(
                    "{}: a bundle needs a plain file name",
                    bundle.path.display()
                ))
            })?
            .to_owned();
        if platforms.contains_key(&bundle.platform) {
            return Err(ReleaseError::Invalid(format!(
                "{} is named twice",
                bundle.platform
            )));
        }
        platforms.insert(
            bundle.platform,
            StoredBundle {
                file: file.clone(),
                signature: signature.trim().to_owned(),
            },
        );
        files.push((file, bytes));
    }
    let release = Release {
        version: version.clone(),
        notes: notes.trim().to_owned(),
        pub_date: pub_date.to_owned(),
        platforms,
    };
    let staging = dir.join(format!(".incoming-{version}-{}", std::process::id()));
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let written = (|| {
        for (file, bytes) in &files {
            let path = staging.join(file);
            std::fs::write(&path, bytes).map_err(io(&path))?;
        }
        let path = staging.join(RELEASE_FILE);
        let json = serde_json::to_vec_pretty(&release)
            .map_err(|e| ReleaseError::Invalid(format!("writing {RELEASE_FILE}: {e}")))?;
        std::fs::write(&path, json).map_err(io(&path))?;
        std::fs::rename(&staging, &target).map_err(io(&target))
    })();
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    written.map(|()| release)
}

/// Every published release, oldest first. Folders that are not releases (hidden ones
/// being written, stray files) are skipped; a damaged `release.json` is an error naming it.
pub fn list(dir: &Path) -> Result<Vec<Release>, ReleaseError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut releases = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') || semver::Version::parse(name).is_err() {
            continue;
        }
        let path = entry.path().join(RELEASE_FILE);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(&path)(e)),
        };
        let release: Release = serde_json::from_slice(&text).map_err(|e| {
            ReleaseError::Invalid(format!(
                "{}: not a release description: {e}",
                path.display()
            ))
        })?;
        releases.push(release);
    }
    releases.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(releases)
}

/// The newest release above `current` with a bundle for `os`/`arch`, and those bundles.
pub fn newest_for<'a>(
    releases: &'a [Release],
    os: Os,
    arch: Arch,
    current: &semver::Version,
) -> Option<(&'a Release, Vec<(&'a Platform, &'a StoredBundle)>)> {
    releases.iter().rev().find_map(|release| {
        if release.version <= *current {
            return None;
        }
        let bundles: Vec<_> = release
            .platforms
            .iter()
            .filter(|(p, _)| p.os == os && p.arch == arch)
            .collect();
        (!bundles.is_empty()).then_some((release, bundles))
    })
}

#[cfg(test)]
mod tests;
