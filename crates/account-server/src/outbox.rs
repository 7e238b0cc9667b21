//! Delivery of the outbox.
//!
//! In [`DeliveryMode::Development`] a worker prints each due message (codes included)
//! to the console and marks it sent: that is how `make run` shows codes. In
//! [`DeliveryMode::Hold`] nothing is started and messages wait in the outbox for a
//! real transport; `account-server outbox` lists them either way.

use std::io::Write;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::to_millis;
use crate::config::DeliveryMode;
use crate::service::Services;
use crate::store::outbox::{self, OutboxMessage};

fn print(message: &OutboxMessage) {
    let mut out = std::io::stdout().lock();
    // A broken stdout must not stop delivery; the message stays in the outbox anyway.
    let _ = writeln!(
        out,
        "\n──── outgoing {} #{} to {} ({}) ────\n{}{}\n",
        message.channel,
        message.id,
        message.recipient,
        message.language,
        if message.subject.is_empty() {
            String::new()
        } else {
            format!("Subject: {}\n", message.subject)
        },
        message.body
    );
}

/// Starts the delivery worker for the configured mode; it stops when `shutdown` flips.
pub fn spawn_worker(
    services: Services,
    mut shutdown: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if services.config.delivery != DeliveryMode::Development {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            let now = to_millis(services.now());
            let delivered = services
                .db
                .write(move |tx| {
                    let due = outbox::claim_due(tx, now, 50)?;
                    for m in &due {
                        print(m);
                        outbox::mark_sent(tx, m.id, now)?;
                    }
                    Ok(due.len())
                })
                .await;
            if let Err(e) = delivered {
                tracing::error!(error = %e, "development delivery failed");
            }
            tokio::select! {
                _ = services.outbox_ready.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }))
}
