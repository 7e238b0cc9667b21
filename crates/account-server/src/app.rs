//! Start-up: open the database, build the services, bind, serve until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::trace::TraceLayer;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::service::Services;
use crate::store::Db;

/// A running server.
#[derive(Debug)]
pub struct App {
    pub addr: SocketAddr,
    pub services: Services,
    shutdown: Arc<watch::Sender<bool>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
    poller: tokio::task::JoinHandle<()>,
}

impl App {
    /// Opens the database, binds `config.listen` and starts serving in the background.
    pub async fn spawn(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        config.validate()?;
        crate::outbox::install_tls_provider();
        let db = Db::open(&config.database_path).await?;
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let services = Services::new(db, Arc::new(config), clock)?;
        // Shared with the services so long-lived responses (event streams) end on it too.
        let shutdown = Arc::clone(&services.shutdown);
        let mut stop = shutdown.subscribe();
        let worker = crate::outbox::spawn_worker(services.clone(), shutdown.subscribe())?;
        let poller = spawn_event_poller(services.clone(), shutdown.subscribe());
        let router = crate::routes::router(services.clone()).layer(TraceLayer::new_for_http());
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await
        });
        Ok(Self {
            addr,
            services,
            shutdown,
            server,
            worker,
            poller,
        })
    }

    pub async fn spawn_default(config: Config) -> anyhow::Result<Self> {
        Self::spawn(config, Arc::new(SystemClock)).await
    }

    /// Stops accepting requests, finishes those in flight, stops the worker.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.server.await??;
        if let Some(worker) = self.worker {
            worker.await?;
        }
        self.poller.await?;
        Ok(())
    }

    /// Serves until SIGINT/SIGTERM.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        ctrl_c.await?;
        tracing::info!("shutting down");
        self.stop().await
    }
}

/// Wakes the event streams for events written by other processes (the CLI's
/// `balance adjust` and `emit`), which cannot notify this one directly.
fn spawn_event_poller(
    services: Services,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            services.events_changed();
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {}
                _ = shutdown.changed() => return,
            }
        }
    })
}
