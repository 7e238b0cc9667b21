//! The instance's one LISTEN connection: how writes made through other instances (and
//! the CLI) wake this one's event pump and delivery worker.
//!
//! The connection is its own, not from the pool, and is named in `pg_stat_activity`
//! (`account-server listener <instance>`). When it drops (a restart, a failover,
//! `pg_terminate_backend`) it is opened again with backoff, and on every (re)connect
//! both are woken once: whatever was committed while nobody listened is read from the
//! tables then. Notifications only ever wake; nothing is read from their payload.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{EVENTS_CHANNEL, OUTBOX_CHANNEL};
use crate::store::Wakers;

pub fn application_name(instance: &str) -> String {
    format!("account-server listener {instance}")
}

/// Listens until `shutdown`; reconnects after any failure.
pub(super) async fn run(
    mut config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    instance: String,
    wakers: Wakers,
    fallback: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    config.application_name(application_name(&instance));
    let mut pause = Duration::from_millis(50);
    loop {
        match listen(&config, &tls, &wakers, fallback, &mut shutdown).await {
            Ok(()) => return,
            Err(e) => tracing::warn!(
                error = %e,
                retry_in_ms = pause.as_millis() as u64,
                "the LISTEN connection to PostgreSQL dropped; reconnecting"
            ),
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => return,
        }
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

fn wake_all(wakers: &Wakers) {
    wakers.events.notify_one();
    wakers.outbox.notify_one();
}

/// One connection's life: `Ok` on shutdown, `Err` (why) when the connection ended.
async fn listen(
    config: &tokio_postgres::Config,
    tls: &MakeRustlsConnect,
    wakers: &Wakers,
    fallback: Duration,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), String> {
    let why = |e: tokio_postgres::Error| crate::store::postgres_message(&e);
    let (client, mut connection) = config.connect(tls.clone()).await.map_err(why)?;
    let (tx, mut notifications) = mpsc::unbounded_channel::<String>();
    // Polling the connection drives it and yields the notifications.
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message? {
                AsyncMessage::Notification(n) => {
                    let _ = tx.send(n.channel().to_owned());
                }
                AsyncMessage::Notice(notice) => {
                    tracing::debug!(notice = %notice, "PostgreSQL notice on the LISTEN connection");
                }
                _ => {}
            }
        }
        Ok::<(), tokio_postgres::Error>(())
    });
    let listening = client
        .batch_execute(&format!("LISTEN {EVENTS_CHANNEL}; LISTEN {OUTBOX_CHANNEL}"))
        .await;
    if let Err(e) = listening {
        driver.abort();
        return Err(why(e));
    }
    tracing::info!("listening for changes made through other instances");
    // Anything committed while this instance was not listening.
    wake_all(wakers);
    let outcome = loop {
        tokio::select! {
            channel = notifications.recv() => match channel.as_deref() {
                Some(EVENTS_CHANNEL) => wakers.events.notify_one(),
                Some(OUTBOX_CHANNEL) => wakers.outbox.notify_one(),
                Some(_) => {}
                // The driver ended: the connection closed or failed.
                None => break None,
            },
            _ = tokio::time::sleep(fallback) => wake_all(wakers),
            _ = shutdown.changed() => break Some(()),
        }
    };
    match outcome {
        Some(()) => {
            driver.abort();
            Ok(())
        }
        None => match driver.await {
            Ok(Err(e)) => Err(why(e)),
            Ok(Ok(())) => Err("the server closed the connection".to_owned()),
            Err(e) => Err(e.to_string()),
        },
    }
}
