//! Test-only helper: a desktop process the crash tests kill with SIGKILL at each point
//! of the send path. Not part of the app.
//!
//! Usage: `desktop-core-crash-helper <data-dir> <server-url> <language>` with the
//! session token in `DESKTOP_CORE_HELPER_TOKEN`. It opens the engine on the data
//! directory (already signed in by the test), applies a language edit (queue + send),
//! prints `APPLIED <pending edits>` and then waits to be killed.

use std::sync::Arc;
use std::time::Duration;

use account_client::ClientConfig;
use account_model::Language;
use desktop_core::{EngineConfig, MemoryTokenStore, PreferencesEdit, RegionDefaults, SyncEngine};
use secrecy::SecretString;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, data_dir, server, language] = args.as_slice() else {
        return Err("usage: desktop-core-crash-helper <data-dir> <server-url> <language>".into());
    };
    let token = std::env::var("DESKTOP_CORE_HELPER_TOKEN")?;
    let language = Language::parse(language)?;
    let mut client = ClientConfig::new(server)?;
    // Long enough that the test, not a timeout, decides when this process ends.
    client.timeout = Duration::from_secs(60);
    client.retries = 0;
    let config = EngineConfig {
        data_dir: data_dir.into(),
        client,
        device_name: "crash helper".into(),
        region: RegionDefaults::from_os_values(None, None),
    };
    let tokens = Arc::new(MemoryTokenStore::with_token(SecretString::from(token)));
    let engine = SyncEngine::open(config, tokens).await?;
    let outcome = engine
        .apply_edit(PreferencesEdit::new().language(language))
        .await?;
    println!("APPLIED {}", outcome.account.pending_edits);
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}
