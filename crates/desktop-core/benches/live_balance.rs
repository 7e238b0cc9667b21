//! Push latency into the desktop core, printed, never asserted: a balance adjustment on
//! the real server (real HTTP on 127.0.0.1, real SQLite files on both sides) until the
//! engine has cached it and published `Change::Balance`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use account_client::ClientConfig;
use account_model::Role;
use account_server::App;
use account_server::clock::SystemClock;
use account_server::config::Config;
use desktop_core::{
    Change, EngineConfig, EventsConfig, MemoryTokenStore, RegionDefaults, SyncEngine,
};
use secrecy::SecretString;

use account_server::testing::{self, PASSWORD};
const SAMPLES: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        database_path: dir.path().join("account.db"),
        code_secret: Some(SecretString::from("benchmark code secret, long enough")),
        ..Config::default()
    };
    let app = App::spawn(config, Arc::new(SystemClock)).await?;
    let org = testing::create_organization(&app.services).await?;
    testing::add_user(&app.services, org, Role::Member, "bench@example.com", None).await?;

    let engine = SyncEngine::open(
        EngineConfig {
            data_dir: dir.path().join("desktop"),
            client: ClientConfig::new(&format!("http://{}", app.addr))?,
            device_name: "bench".into(),
            region: RegionDefaults::from_os_values(Some("en_US"), Some("UTC")),
        },
        Arc::new(MemoryTokenStore::new()),
    )
    .await?;
    engine
        .sign_in("bench@example.com", &SecretString::from(PASSWORD))
        .await?;
    let mut state = engine.subscribe_state();
    let mut changes = engine.subscribe_changes();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let live = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .run_events(EventsConfig::default(), async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    tokio::time::timeout(Duration::from_secs(10), state.wait_for(|s| s.live)).await??;

    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let started = Instant::now();
        let after = app
            .services
            .adjust_balance(org, -1, &format!("bench-{i}"), None)
            .await?
            .balance_after_minor;
        loop {
            match tokio::time::timeout(Duration::from_secs(5), changes.recv()).await?? {
                Change::Balance(b) if b.balance.amount_minor == after => break,
                _ => {}
            }
        }
        samples.push(started.elapsed());
    }
    let _ = stop.send(());
    live.await??;
    app.stop().await?;

    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "desktop push latency (adjustment → Change::Balance)  n={}  min {:.2} ms  median {:.2} ms  p95 {:.2} ms  max {:.2} ms",
        samples.len(),
        ms(pick(0.0)),
        ms(pick(0.5)),
        ms(pick(0.95)),
        ms(pick(1.0)),
    );
    Ok(())
}
