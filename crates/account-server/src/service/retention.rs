//! The retention job: nothing the server writes grows without bound.
//!
//! Every `retention.interval_secs` one instance (the one that wins the job's lock; the
//! others skip that round) deletes what is past its time: expired and revoked sessions,
//! wrong-password counters past their window, code sends past the daily cap's window,
//! pending changes whose code expired, the bodies of code messages once their code has
//! expired (a code must not sit in the database), events beyond the kept history, old
//! sent and failed messages, and idempotency keys past their days. Balance adjustments
//! are the organization's ledger and are kept.

use std::time::Duration;

use tokio::sync::watch;

use super::Services;
use crate::error::AppResult;
use crate::store::{LockKey, Pruned, Retention};

const DAY_MS: i64 = 24 * 3600 * 1000;

impl Services {
    fn retention_rules(&self) -> Retention {
        let (limits, kept) = (&self.config.limits, &self.config.retention);
        Retention {
            session_idle_cutoff: self.idle_cutoff(),
            throttle_window_ms: limits.failure_window_secs * 1000,
            code_send_window_ms: DAY_MS,
            code_ttl_ms: limits.code_ttl_secs * 1000,
            events_kept: kept.events_kept,
            outbox_kept_ms: kept.outbox_days * DAY_MS,
            idempotency_kept_ms: kept.idempotency_days * DAY_MS,
        }
    }

    /// One run of the job; `None` when another instance is running it right now.
    pub async fn run_retention(&self) -> AppResult<Option<Pruned>> {
        let rules = self.retention_rules();
        let mut tx = self.store.write().await?;
        if !tx.try_lock(LockKey::Retention).await? {
            return Ok(None);
        }
        let pruned = tx.prune(&rules, self.now_ms()).await?;
        self.commit(tx).await?;
        Ok(Some(pruned))
    }
}

/// Runs the job every `retention.interval_secs` until `shutdown`.
pub fn spawn(
    services: Services,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(services.config.retention.interval_secs);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => return,
            }
            match services.run_retention().await {
                Ok(Some(pruned)) if pruned.total() > 0 => {
                    tracing::info!(?pruned, "retention: removed what was past its time");
                }
                Ok(_) => {}
                // Tried again at the next interval; it gives way to requests (see the
                // engines' prune) rather than make them wait.
                Err(e) => tracing::warn!(error = %e, "retention run failed"),
            }
        }
    })
}
