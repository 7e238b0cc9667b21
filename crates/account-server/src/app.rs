//! Start-up: open the database, build the services, start the background tasks, bind,
//! serve until told to stop.
//!
//! Background tasks of every instance: the event pump (the live streams' source), the
//! store's watcher (writes by other instances and the CLI), the delivery worker (unless
//! delivery is `hold`) and the retention job. They all end on the shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::trace::TraceLayer;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::service::Services;
use crate::store::Store;

/// A running server.
#[derive(Debug)]
pub struct App {
    pub addr: SocketAddr,
    pub services: Services,
    shutdown: Arc<watch::Sender<bool>>,
    /// `None` once stopped.
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for App {
    /// A server dropped without [`App::stop`] still stops: its tasks see the signal and
    /// end on their own.
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Work to finish before the first request is answered (the demo organization of
/// `serve --seed-demo`).
pub type BeforeServing =
    for<'a> fn(&'a Services) -> futures_util::future::BoxFuture<'a, anyhow::Result<()>>;

impl App {
    /// Opens the database, binds `config.listen` and starts serving in the background.
    pub async fn spawn(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Self::spawn_after(config, clock, None).await
    }

    /// Like [`App::spawn`], running `before` once the database is open and before the
    /// port is bound, so no request meets a half-prepared server.
    pub async fn spawn_after(
        config: Config,
        clock: Arc<dyn Clock>,
        before: Option<BeforeServing>,
    ) -> anyhow::Result<Self> {
        config.validate()?;
        crate::delivery::install_tls_provider();
        let store = Store::open(&config).await?;
        let services = Services::new(store, Arc::new(config), clock)?;
        if let Some(before) = before {
            before(&services).await?;
        }
        let listener = TcpListener::bind(services.config.listen).await?;
        let addr = listener.local_addr()?;
        // Shared with the services so long-lived responses (event streams) end on it too.
        let shutdown = Arc::clone(&services.shutdown);
        let mut tasks = vec![
            tokio::spawn(crate::service::events::run_pump(
                services.clone(),
                shutdown.subscribe(),
            )),
            services.store.watch_others(
                &services.instance,
                services.wakers.clone(),
                shutdown.subscribe(),
            ),
            crate::service::retention::spawn(services.clone(), shutdown.subscribe()),
        ];
        if let Some(worker) = crate::delivery::spawn_worker(services.clone(), shutdown.subscribe())?
        {
            tasks.push(worker);
        }
        let mut stop = shutdown.subscribe();
        let router = crate::routes::router(services.clone()).layer(TraceLayer::new_for_http());
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await
        });
        tracing::debug!(instance = %services.instance, engine = services.store.engine().as_str(), %addr, "started");
        Ok(Self {
            addr,
            services,
            shutdown,
            server: Some(server),
            tasks,
        })
    }

    pub async fn spawn_default(config: Config) -> anyhow::Result<Self> {
        Self::spawn(config, Arc::new(SystemClock)).await
    }

    /// Stops accepting requests, finishes those in flight, stops the background tasks.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            server.await??;
        }
        for task in std::mem::take(&mut self.tasks) {
            task.await?;
        }
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
