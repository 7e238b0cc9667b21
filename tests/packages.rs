//! The app as people install it: the .deb and .rpm that `tests/packages/bundles.sh` builds
//! (`make test` runs it first and names its folder in `PACKAGE_BUNDLES`), installed with
//! `dpkg -i`, started from `/usr/bin` under Xvfb, updated by its own updater to a newer
//! signed version served by the real server on 127.0.0.1, and removed.
//!
//! Needs root (dpkg; the updater installs through `sudo dpkg -i`) and what the desktop
//! journeys need. One test at a time: there is one installed package. Each test removes
//! the package it installed, whatever its outcome.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use account_server::seed::DEMO_PASSWORD;
use account_settings_e2e::Server;
use account_settings_e2e::desktop::{Desktop, UI_TIMEOUT, sign_in};
use anyhow::{Context as _, bail, ensure};

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const PACKAGE: &str = "account-settings";
const INSTALLED: &str = "/usr/bin/account-settings";
const OWNER: &str = "owner@demo.example";

/// What `bundles.sh` built.
struct Bundles {
    dir: PathBuf,
    old: String,
    new: String,
}

impl Bundles {
    fn find() -> anyhow::Result<Self> {
        let dir = std::env::var_os("PACKAGE_BUNDLES").map(PathBuf::from).context(
            "PACKAGE_BUNDLES is not set: run `make test`, or `tests/packages/bundles.sh <folder> <tauri-cli>` \
             and point PACKAGE_BUNDLES at the folder",
        )?;
        let read = |f: &str| -> anyhow::Result<String> {
            Ok(std::fs::read_to_string(dir.join(f))
                .with_context(|| format!("{}/{f} (from bundles.sh)", dir.display()))?
                .trim()
                .to_owned())
        };
        Ok(Self {
            old: read("old-version")?,
            new: read("new-version")?,
            dir,
        })
    }

    /// The one bundle of `version` whose name ends with `suffix`.
    fn bundle(&self, version: &str, suffix: &str) -> anyhow::Result<PathBuf> {
        let folder = self.dir.join(version);
        let found: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| folder.display().to_string())?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            other => bail!("{} holds {other:?} for *{suffix}", folder.display()),
        }
    }

    fn public_key(&self) -> PathBuf {
        self.dir.join("updater.key.pub")
    }
}

fn run(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {program}"))?;
    ensure!(
        out.status.success(),
        "{program} {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn installed_version() -> Option<String> {
    run("dpkg-query", &["-W", "-f=${Status} ${Version}", PACKAGE])
        .ok()
        .and_then(|s| s.strip_prefix("install ok installed ").map(str::to_owned))
}

/// The package installed for one test; removed when dropped.
struct Installed;

impl Installed {
    fn deb(deb: &Path) -> anyhow::Result<Self> {
        ensure!(
            rustix::process::geteuid().is_root(),
            "the package tests install with dpkg: run them as root"
        );
        // Whatever an earlier, interrupted run left.
        let _ = Command::new("dpkg").args(["--purge", PACKAGE]).output();
        run("dpkg", &["-i", &deb.to_string_lossy()]).context("installing the .deb")?;
        Ok(Self)
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", PACKAGE]).output();
    }
}

fn version_of(binary: &str) -> anyhow::Result<String> {
    Ok(run(binary, &["--version"])?.trim().to_owned())
}

async fn eventually<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = probe() {
            return Ok(found);
        }
        ensure!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn screenshot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(format!("{name}.png"))
}

/// Runs `body` against a started desktop; on failure, adds the app's log to the error.
async fn with_log<T>(d: &Desktop, outcome: anyhow::Result<T>) -> anyhow::Result<T> {
    outcome.map_err(|e| {
        let shot = screenshot("package-failure");
        let _ = d.screen_shot(&shot);
        e.context(format!(
            "screenshot: {}\n--- app / tauri-driver log ---\n{}",
            shot.display(),
            d.log_tail(60)
        ))
    })
}

#[test]
fn the_bundles_carry_the_full_package_metadata() -> anyhow::Result<()> {
    let bundles = Bundles::find()?;
    let deb = bundles.bundle(&bundles.old, ".deb")?;
    let info = run("dpkg-deb", &["--info", &deb.to_string_lossy()])?;
    for field in [
        format!("Package: {PACKAGE}"),
        format!("Version: {}", bundles.old),
        "Architecture: amd64".to_owned(),
        "Section: utils".to_owned(),
        "Priority: optional".to_owned(),
        "Maintainer: The Account Settings authors".to_owned(),
        "Homepage: https://accounts.example.com/desktop".to_owned(),
        "Description: Manage your account settings and watch your balance".to_owned(),
        "libwebkit2gtk-4.1-0".to_owned(),
        "libayatana-appindicator3-1".to_owned(),
        // Linked by the binary itself: the TLS stack and the keyring's D-Bus.
        "libssl3 | libssl3t64".to_owned(),
        "libdbus-1-3".to_owned(),
    ] {
        ensure!(
            info.contains(&field),
            "the .deb's control lacks {field:?}:\n{info}"
        );
    }
    ensure!(
        info.contains("raises a native alert"),
        "the long description:\n{info}"
    );
    let files = run("dpkg-deb", &["--contents", &deb.to_string_lossy()])?;
    for file in [
        "usr/bin/account-settings",
        "usr/share/applications/Account Settings.desktop",
        "usr/share/icons/hicolor/16x16/apps/account-settings.png",
        "usr/share/icons/hicolor/24x24/apps/account-settings.png",
        "usr/share/icons/hicolor/32x32/apps/account-settings.png",
        "usr/share/icons/hicolor/48x48/apps/account-settings.png",
        "usr/share/icons/hicolor/64x64/apps/account-settings.png",
        "usr/share/icons/hicolor/128x128/apps/account-settings.png",
        "usr/share/icons/hicolor/256x256/apps/account-settings.png",
        "usr/share/icons/hicolor/512x512/apps/account-settings.png",
        "usr/share/doc/account-settings/copyright",
    ] {
        ensure!(files.contains(file), "the .deb lacks {file}:\n{files}");
    }

    let rpm = bundles.bundle(&bundles.old, ".rpm")?;
    let rpm = rpm.to_string_lossy();
    let header = run("rpm", &["-qip", &rpm])?;
    for field in [
        "Name        : account-settings",
        "License     : MIT",
        "Summary     : Manage your account settings and watch your balance",
        "URL         : https://accounts.example.com/desktop",
        "Release     : 1",
    ] {
        ensure!(
            header.contains(field),
            "the .rpm's header lacks {field:?}:\n{header}"
        );
    }
    let requires = run("rpm", &["-qpR", &rpm])?;
    for dependency in [
        "libwebkit2gtk-4.1.so.0",
        "libgtk-3.so.0",
        "libayatana-appindicator-gtk3",
        "openssl-libs",
        "dbus-libs",
    ] {
        ensure!(
            requires.contains(dependency),
            "the .rpm does not require {dependency}:\n{requires}"
        );
    }
    let listed = run("rpm", &["-qpl", &rpm])?;
    for file in [
        "/usr/bin/account-settings",
        "/usr/share/applications/Account Settings.desktop",
        "/usr/share/icons/hicolor/16x16/apps/account-settings.png",
        "/usr/share/icons/hicolor/512x512/apps/account-settings.png",
    ] {
        ensure!(listed.contains(file), "the .rpm lacks {file}:\n{listed}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deb_installs_starts_from_usr_bin_and_is_removed() -> anyhow::Result<()> {
    let _turn = TURN.lock().await;
    let bundles = Bundles::find()?;
    let installed = Installed::deb(&bundles.bundle(&bundles.old, ".deb")?)?;
    ensure!(
        version_of(INSTALLED)? == format!("Account Settings {}", bundles.old),
        "the installed binary's version"
    );
    let entry = std::fs::read_to_string("/usr/share/applications/Account Settings.desktop")?;
    for line in [
        "Exec=account-settings",
        "Icon=account-settings",
        "Categories=Utility;",
        "Type=Application",
    ] {
        ensure!(
            entry.lines().any(|l| l == line),
            "the desktop entry lacks {line}:\n{entry}"
        );
    }

    let server_data = tempfile::tempdir()?;
    let server = Server::start(server_data.path())?;
    let app_data = tempfile::tempdir()?;
    let mut d =
        Desktop::start_binary(PathBuf::from(INSTALLED), app_data.path(), &server.base).await?;
    // Opening waits for the sign-in screen: the installed binary's first paint.
    let opened = d.open_app().await;
    let outcome = with_log(&d, opened).await;
    if outcome.is_ok() {
        d.screenshot(&screenshot("package-installed")).await?;
    }
    d.shutdown().await?;
    outcome?;

    drop(installed);
    ensure!(
        installed_version().is_none(),
        "the package is still installed"
    );
    ensure!(
        !Path::new(INSTALLED).exists(),
        "{INSTALLED} is still there after removal"
    );
    Ok(())
}

/// Publishes `bundles`' newer .deb (and .rpm) through the server's CLI, as an operator does.
fn publish(server: &Server, bundles: &Bundles) -> anyhow::Result<()> {
    let deb = bundles.bundle(&bundles.new, ".deb")?;
    let rpm = bundles.bundle(&bundles.new, ".rpm")?;
    let printed = server.cli(&[
        "release",
        "add",
        "--version",
        &bundles.new,
        "--notes",
        "The tray shows the balance sooner.",
        "--public-key",
        &bundles.public_key().to_string_lossy(),
        &format!("linux-x86_64-deb={}", deb.display()),
        &format!("linux-x86_64-rpm={}", rpm.display()),
    ])?;
    ensure!(
        printed.contains(&format!("published {}", bundles.new)),
        "{printed}"
    );
    Ok(())
}

/// Signs in, opens "This computer" and asks for updates; waits until `version` is offered.
async fn offered(d: &Desktop, version: &str) -> anyhow::Result<()> {
    sign_in(d, OWNER, DEMO_PASSWORD).await?;
    d.wait_js(
        "the update section",
        "return !!document.getElementById('update-check') && document.getElementById('update-current').textContent !== ''",
        UI_TIMEOUT,
    )
    .await?;
    d.scroll_to(Some("#update-section")).await?;
    d.click("#update-check").await?;
    d.wait_text("#update-headline", "the newer version offered", |t| {
        t.contains(version)
    })
    .await?;
    let notes = d.text("#update-notes").await?;
    ensure!(
        notes == "The tray shows the balance sooner.",
        "the notes shown: {notes:?}"
    );
    Ok(())
}

/// The older version installed and open, against a server offering what `releases`
/// holds; everything is removed when the value is dropped.
struct Staged {
    d: Desktop,
    server: Server,
    _installed: Installed,
    _folders: [tempfile::TempDir; 3],
}

impl Staged {
    async fn start(bundles: &Bundles, releases: tempfile::TempDir) -> anyhow::Result<Self> {
        let server_data = tempfile::tempdir()?;
        let releases_dir = releases.path().to_string_lossy().into_owned();
        let server = Server::start_with(
            server_data.path(),
            "127.0.0.1:0",
            &[("ACCOUNT_RELEASES_DIR", &releases_dir)],
        )?;
        let installed = Installed::deb(&bundles.bundle(&bundles.old, ".deb")?)?;
        let app_data = tempfile::tempdir()?;
        let mut d =
            Desktop::start_binary(PathBuf::from(INSTALLED), app_data.path(), &server.base).await?;
        let opened = d.open_app().await;
        with_log(&d, opened).await?;
        Ok(Self {
            d,
            server,
            _installed: installed,
            _folders: [releases, server_data, app_data],
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_installed_app_updates_itself_to_a_newer_signed_version() -> anyhow::Result<()> {
    let _turn = TURN.lock().await;
    let bundles = Bundles::find()?;
    let staged = Staged::start(&bundles, tempfile::tempdir()?).await?;
    publish(&staged.server, &bundles)?;
    let Staged {
        mut d,
        server: _server,
        _installed,
        _folders,
    } = staged;
    let steps = async {
        offered(&d, &bundles.new).await?;
        d.screenshot(&screenshot("update-offered")).await?;
        let before = d.app_pids();
        ensure!(before.len() == 1, "one app process before: {before:?}");
        d.click("#update-install").await?;
        let new_version = bundles.new.clone();
        eventually(
            "dpkg to say the new version is installed",
            Duration::from_secs(90),
            || (installed_version().as_deref() == Some(new_version.as_str())).then_some(()),
        )
        .await?;
        // The old process gave way to one started from the new binary.
        let restarted = eventually("the app to come back", Duration::from_secs(30), || {
            let now = d.app_pids();
            (now.len() == 1 && !before.contains(&now[0])).then(|| now[0])
        })
        .await?;
        let exe = std::fs::read_link(format!("/proc/{restarted}/exe"))?;
        ensure!(
            exe == Path::new(INSTALLED),
            "the restarted app runs {}",
            exe.display()
        );
        ensure!(
            version_of(INSTALLED)? == format!("Account Settings {}", bundles.new),
            "the binary now installed"
        );
        // …and it is up: still running a moment later (not a start that failed).
        tokio::time::sleep(Duration::from_secs(3)).await;
        ensure!(
            d.app_pids() == [restarted],
            "the restarted app exited: {:?}",
            d.app_pids()
        );
        anyhow::Ok(())
    }
    .await;
    let outcome = with_log(&d, steps).await;
    d.lose_app();
    let _ = d.terminate_app().await;
    d.shutdown().await?;
    outcome
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bundle_with_a_broken_signature_is_refused_and_nothing_changes() -> anyhow::Result<()> {
    let _turn = TURN.lock().await;
    let bundles = Bundles::find()?;
    // What a server that was broken into would publish: the newer bundle, changed after
    // it was signed (written straight into the folder: the CLI would refuse it).
    let releases = tempfile::tempdir()?;
    let folder = releases.path().join(&bundles.new);
    std::fs::create_dir_all(&folder)?;
    let deb = bundles.bundle(&bundles.new, ".deb")?;
    let mut bytes = std::fs::read(&deb)?;
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(folder.join("tampered.deb"), &bytes)?;
    let signature = std::fs::read_to_string(format!("{}.sig", deb.display()))?;
    std::fs::write(
        folder.join("release.json"),
        serde_json::to_vec(&serde_json::json!({
            "version": bundles.new,
            "notes": "The tray shows the balance sooner.",
            "pubDate": "2026-12-02T08:00:00Z",
            "platforms": { "linux-x86_64-deb": { "file": "tampered.deb", "signature": signature.trim() } }
        }))?,
    )?;
    let Staged {
        d,
        server: _server,
        _installed,
        _folders,
    } = Staged::start(&bundles, releases).await?;
    let steps = async {
        offered(&d, &bundles.new).await?;
        let before = d.app_pids();
        d.click("#update-install").await?;
        let refused = d
            .wait_text("#update-status", "the refusal", |t| t.contains("refused"))
            .await?;
        ensure!(refused.contains("not signed"), "the message: {refused}");
        d.scroll_to(Some("#update-status")).await?;
        d.screenshot(&screenshot("update-refused")).await?;
        ensure!(
            installed_version().as_deref() == Some(bundles.old.as_str()),
            "the installed version changed: {:?}",
            installed_version()
        );
        ensure!(
            d.app_pids() == before,
            "the app restarted: {before:?} → {:?}",
            d.app_pids()
        );
        ensure!(
            !d.is_shown("#update-progress").await?,
            "the progress bar stays after the refusal"
        );
        anyhow::Ok(())
    }
    .await;
    let outcome = with_log(&d, steps).await;
    d.shutdown().await?;
    outcome
}
