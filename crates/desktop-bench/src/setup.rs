//! Setup: the signed-in profile, the binaries copied and stripped, the isolated session.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, ensure};

use crate::*;

/// The demo organization on a real server (port 0, SQLite in `dir`).
pub(crate) async fn start_server(dir: &Path) -> Result<account_server::App> {
    let config = account_server::testing::config(dir);
    let app =
        account_server::App::spawn(config, Arc::new(account_server::clock::SystemClock)).await?;
    account_server::seed::seed_demo(&app.services).await?;
    Ok(app)
}

/// Signs the profile in `data_dir` in, as the app would: the cache filled, the token in
/// the app's keyring entry for that folder.
pub(crate) async fn sign_in(server: &str, data_dir: &Path) -> Result<()> {
    use desktop_core::TokenStore;
    let tokens = Arc::new(desktop_core::KeyringTokenStore::for_data_dir(data_dir));
    let config = desktop_core::EngineConfig::new(
        data_dir.to_owned(),
        account_client::ClientConfig::new(server)?,
    );
    let engine = desktop_core::SyncEngine::open(config, tokens.clone()).await?;
    engine
        .sign_in(
            DEMO_EMAIL,
            &secrecy::SecretString::from(account_server::seed::DEMO_PASSWORD),
        )
        .await
        .context("signing the profile in (the keyring needs `keyctl session -`)")?;
    drop(engine);
    let stored = tokio::task::spawn_blocking(move || tokens.get()).await??;
    ensure!(
        stored.is_some(),
        "the token is not in the keyring after signing in"
    );
    ensure!(
        data_dir.join(desktop_core::engine::CACHE_FILE).is_file(),
        "no cache in {} after signing in",
        data_dir.display()
    );
    Ok(())
}

/// Copies `name` out of the release folder; returns the copy, its size and the size of a
/// stripped copy.
pub(crate) fn prepare_binary(
    release: &Path,
    name: &str,
    bin_dir: &Path,
) -> Result<Option<(PathBuf, u64, u64)>> {
    let built = release.join(name);
    if !built.is_file() {
        return Ok(None);
    }
    let copy = bin_dir.join(name);
    std::fs::copy(&built, &copy).with_context(|| format!("copying {}", built.display()))?;
    let stripped = bin_dir.join(format!("{name}.stripped"));
    let (ok, _) = run_quick(
        Command::new("strip").arg("-o").arg(&stripped).arg(&copy),
        Duration::from_secs(60),
    )
    .context("strip (apt-get install binutils)")?;
    ensure!(ok, "strip {} failed", copy.display());
    let copy = copy.canonicalize()?;
    let built_bytes = std::fs::metadata(&copy)?.len();
    let stripped_bytes = std::fs::metadata(&stripped)?.len();
    Ok(Some((copy, built_bytes, stripped_bytes)))
}

/// Re-executes this program inside `keyctl session -` without the caller's session
/// variables. Returns only in the re-executed program.
pub(crate) fn isolate() -> Result<()> {
    if std::env::var_os(CHILD_MARK).is_some() {
        return Ok(());
    }
    let exe = std::env::current_exe().context("locating this program")?;
    let mut cmd = Command::new("keyctl");
    cmd.args(["session", "-"])
        .arg(exe)
        .args(std::env::args_os().skip(1));
    for var in SESSION_VARS {
        cmd.env_remove(var);
    }
    let status = cmd
        .env(CHILD_MARK, "1")
        .stdout(Stdio::inherit())
        .status()
        .context("running keyctl (apt-get install keyutils)")?;
    std::process::exit(status.code().unwrap_or(1));
}
