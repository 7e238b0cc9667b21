//! Live updates: the server's event stream fed into the engine, with a conditional
//! `GET` poll while the stream is not connected.
//!
//! Contract of [`SyncEngine::run_events`]:
//! - Resumes the stream after the last event id handled (kept in the cache, so an app
//!   restart resumes too): the server replays what happened while disconnected, or
//!   sends `resync` (then the engine refreshes) when that is beyond its kept history.
//!   A (re)connection sends the edits queued meanwhile; one without an id to resume
//!   from fetches the account once (see `caught_up`). The app's start and a sign-in
//!   make the one full refresh; connecting adds no second one.
//! - `balance_changed` (and the server's `low_balance_alert`, which carries the
//!   balance) update the cached balance at once; `account_changed` with a version newer
//!   than the cached one, and `resync`, trigger a refresh. Our own edits also produce
//!   `account_changed`, but their version is already cached, so they cost nothing.
//! - An event's id is stored after the event was handled: a crash in between replays
//!   it, and every handler is idempotent.
//! - While the stream is down the account is polled with a conditional `GET`, no more
//!   often than [`EventsConfig::poll_every`], each wait stretched by a random 0–50 % so
//!   that many desktops do not poll in lockstep. Polling stops when the stream is back.
//! - [`SyncState`](super::SyncState) stays truthful: online while events or answers
//!   arrive, offline when the server is unreachable, syncing during a refresh.
//! - It runs until `shutdown` resolves, or until the server ends the session (revoked
//!   or no longer valid): then the token is deleted, [`Change::SessionEnded`] is
//!   published, and it returns [`EventsEnded::SessionEnded`].

use std::future::Future;
use std::time::Duration;

use account_client::{EventStreamConfig, StreamEnd, StreamItem};
use account_model::dto::{BalanceView, StreamEvent};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::{Change, Connectivity, SyncEngine};
use crate::error::CoreError;

/// How live updates are received.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    pub stream: EventStreamConfig,
    /// The shortest wait between two polls while the stream is down (60 s).
    pub poll_every: Duration,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            stream: EventStreamConfig::default(),
            poll_every: Duration::from_secs(60),
        }
    }
}

/// Why [`SyncEngine::run_events`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsEnded {
    /// `shutdown` resolved.
    Shutdown,
    /// The server ended the session: the user must sign in again.
    SessionEnded,
}

/// The wait before the next poll: `every` stretched by a random factor in [1, 1.5).
fn poll_wait(every: Duration) -> Duration {
    every.mul_f64(rand::thread_rng().gen_range(1.0..1.5))
}

impl SyncEngine {
    /// Receives live updates until `shutdown` resolves or the session ends.
    pub async fn run_events<F>(
        &self,
        config: EventsConfig,
        shutdown: F,
    ) -> Result<EventsEnded, CoreError>
    where
        F: Future<Output = ()>,
    {
        let token = self.token().await?;
        let last = self.db(|c| c.last_event_id()).await?;
        let mut stream = self
            .inner
            .client
            .events(token.clone(), last, config.stream.clone());
        tokio::pin!(shutdown);
        let mut live = false;
        let mut next_poll = Instant::now() + poll_wait(config.poll_every);
        loop {
            tokio::select! {
                _ = &mut shutdown => {
                    stream.shutdown().await;
                    self.set_live(false);
                    return Ok(EventsEnded::Shutdown);
                }
                _ = tokio::time::sleep_until(next_poll), if !live => {
                    self.poll(&token).await;
                    next_poll = Instant::now() + poll_wait(config.poll_every);
                }
                item = stream.next() => {
                    let Some(item) = item else {
                        self.set_live(false);
                        return Ok(EventsEnded::Shutdown);
                    };
                    match item {
                        StreamItem::Connected { resumed_after } => {
                            live = true;
                            self.caught_up(&token, resumed_after).await;
                            self.set_live(true);
                        }
                        StreamItem::Event { id, event } => {
                            self.on_event(event).await;
                            if let Some(id) = id
                                && let Err(e) = self.db(move |c| c.set_last_event_id(id)).await
                            {
                                tracing::warn!(error = %e, "could not remember the last event id");
                            }
                        }
                        StreamItem::Disconnected { reason, retry_in } => {
                            tracing::debug!(?reason, ?retry_in, "live updates interrupted");
                            if live {
                                live = false;
                                self.set_live(false);
                                next_poll = Instant::now() + poll_wait(config.poll_every);
                            }
                            if reason.is_unreachable() {
                                self.mark(Connectivity::Offline, None);
                            }
                        }
                        StreamItem::Ended(StreamEnd::Shutdown) => {
                            self.set_live(false);
                            return Ok(EventsEnded::Shutdown);
                        }
                        StreamItem::Ended(end) => {
                            self.set_live(false);
                            tracing::info!(?end, "the server ended the session");
                            self.session_ended(&token).await;
                            return Ok(EventsEnded::SessionEnded);
                        }
                    }
                }
            }
        }
    }

    /// What a (re)connection needs to miss nothing. Resumed after a stored id, the
    /// server replays every event since (or sends `resync`), so only edits queued while
    /// disconnected are sent (no request at all when there are none). Opened without
    /// one, what changed before the stream began is fetched: a conditional `GET` of the
    /// account (sessions and members come with the app's own refresh, which the start
    /// and a sign-in already made).
    async fn caught_up(&self, token: &SecretString, resumed_after: Option<i64>) {
        let result = match resumed_after {
            Some(_) => {
                self.mark(Connectivity::Online, None);
                self.flush_queue().await.map(drop)
            }
            None => self
                .refresh_account(token)
                .await
                .map(|account| self.mark(Connectivity::Online, account.synced_at)),
        };
        if let Err(e) = result {
            tracing::debug!(error = %e, "catching up after connecting failed");
        }
    }

    fn set_live(&self, live: bool) {
        self.inner.state.send_if_modified(|s| {
            let changed = s.live != live;
            s.live = live;
            changed
        });
    }

    async fn on_event(&self, event: StreamEvent) {
        let result = match event {
            StreamEvent::BalanceChanged {
                amount_minor,
                currency,
            } => self
                .ingest_balance(BalanceView {
                    amount_minor,
                    currency,
                })
                .await
                .map(drop),
            StreamEvent::LowBalanceAlert {
                balance_minor,
                currency,
                ..
            } => self
                .ingest_balance(BalanceView {
                    amount_minor: balance_minor,
                    currency,
                })
                .await
                .map(drop),
            StreamEvent::AccountChanged { version } => match self.db(|c| c.account()).await {
                Ok(Some(cached)) if cached.server_version >= version => Ok(()),
                Ok(_) => self.refresh().await.map(drop),
                Err(e) => Err(e),
            },
            StreamEvent::Resync => self.refresh().await.map(drop),
            // The stream ends right after it; the end is handled there.
            StreamEvent::SessionRevoked => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "handling a live event failed");
        }
    }

    /// One fallback poll: flush queued edits, conditional `GET` of the account.
    async fn poll(&self, token: &SecretString) {
        self.inner
            .state
            .send_modify(|s| s.connectivity = Connectivity::Syncing);
        match self.refresh_account(token).await {
            Ok(account) => self.mark(Connectivity::Online, account.synced_at),
            Err(e) => {
                tracing::debug!(error = %e, "poll failed");
                let connectivity = if e.is_offline() {
                    Connectivity::Offline
                } else {
                    Connectivity::Online
                };
                self.mark(connectivity, None);
            }
        }
    }

    /// Forgets the dead token (unless the user signed in again meanwhile) and tells the
    /// app. The cache stays: the same user signing in again keeps their queued edits.
    async fn session_ended(&self, token: &SecretString) {
        let current = self.stored_token().await.ok().flatten();
        if current.is_some_and(|t| t.expose_secret() == token.expose_secret()) {
            let tokens = self.inner.tokens.clone();
            match tokio::task::spawn_blocking(move || tokens.delete()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "could not delete the dead token"),
                Err(e) => tracing::warn!(error = %e, "could not delete the dead token"),
            }
        }
        self.publish(Change::SessionEnded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_wait_at_least_the_interval_and_at_most_half_as_long_again() {
        let every = Duration::from_secs(60);

        let waits: Vec<Duration> = (0..200).map(|_| poll_wait(every)).collect();

        assert!(waits.iter().all(|w| *w >= every && *w < every.mul_f64(1.5)));
        assert!(
            waits.iter().any(|w| *w != waits[0]),
            "the waits are jittered"
        );
    }

    #[test]
    fn the_default_poll_interval_is_a_minute() {
        assert_eq!(EventsConfig::default().poll_every, Duration::from_secs(60));
    }
}
