//! The live stream: one event pump per instance, and each session's view of it.
//!
//! - **The pump** ([`run_pump`]) owns the store's [`EventFeed`](crate::store::EventFeed).
//!   Woken by this instance's commits and by the store's watcher (other instances, the
//!   CLI), it reads what was committed, in id order, and hands each event to the
//!   streams of its organization over an in-memory channel. The database is read once
//!   per batch of events, however many streams are open.
//! - **The hub** ([`EventHub`]) holds the feed's position ("settled": every event up to
//!   it has been handed out, and no smaller id can still appear) and one broadcast
//!   channel per organization that has a stream open.
//! - **A stream** ([`Services::open_stream`]) subscribes first, then reads the history
//!   it missed from the table up to the settled position, then follows the channel.
//!   Ids at or below what it already sent are skipped, so the overlap between the two
//!   is harmless. A stream that falls behind its channel reads the table again.
//!
//! Resuming (`Last-Event-ID`): everything after the id that the session may see is sent,
//! whichever instance issued the id. An id this database never issued, an unreadable
//! one, or one older than the kept history gets a `resync` event instead: the client
//! fetches the account again.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use account_model::dto::StreamEvent;
use tokio::sync::{broadcast, watch};

use super::Services;
use super::auth::Caller;
use crate::error::AppResult;
use crate::store::{EventScope, StoredEvent};

/// Events read from the store per step of the pump, and from the history per page.
const BATCH: i64 = 500;
/// Events an organization's channel holds for a stream that is slow to read them.
const CHANNEL_CAPACITY: usize = 1024;
/// How often a stream checks that its session is still live (it expires when idle;
/// revocation is an event and ends the stream at once).
const LIVENESS_EVERY: Duration = Duration::from_secs(60);

/// The settled position and the per-organization channels of one instance.
#[derive(Debug)]
pub struct EventHub {
    /// `None` until the pump has opened the feed.
    settled: watch::Sender<Option<i64>>,
    channels: Mutex<HashMap<i64, broadcast::Sender<Arc<StoredEvent>>>>,
}

impl Default for EventHub {
    fn default() -> Self {
        Self {
            settled: watch::channel(None).0,
            channels: Mutex::new(HashMap::new()),
        }
    }
}

impl EventHub {
    fn subscribe(&self, organization_id: i64) -> broadcast::Receiver<Arc<StoredEvent>> {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        channels
            .entry(organization_id)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    fn publish(&self, event: StoredEvent) {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(channel) = channels.get(&event.organization_id) {
            let organization_id = event.organization_id;
            if channel.send(Arc::new(event)).is_err() {
                // Nobody of that organization is listening any more.
                channels.remove(&organization_id);
            }
        }
    }

    /// The settled position, once the pump has started.
    pub fn settled(&self) -> Option<i64> {
        *self.settled.borrow()
    }

    /// Waits until the pump has started; the position then.
    async fn ready(&self) -> i64 {
        let mut rx = self.settled.subscribe();
        loop {
            if let Some(position) = *rx.borrow_and_update() {
                return position;
            }
            if rx.changed().await.is_err() {
                return 0;
            }
        }
    }
}

/// Reads committed events and hands them to the streams until `shutdown`.
pub async fn run_pump(services: Services, mut shutdown: watch::Receiver<bool>) {
    let hub = Arc::clone(&services.events);
    let mut feed = loop {
        match services.store.event_feed().await {
            Ok(feed) => break feed,
            Err(e) => {
                tracing::error!(error = %e, "the event feed could not start; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
    };
    hub.settled.send_replace(Some(feed.position()));
    let mut pause = Duration::ZERO;
    loop {
        match feed.next(BATCH).await {
            Ok(batch) => {
                let any = !batch.events.is_empty();
                for event in batch.events {
                    // Whatever instance wrote it: copies of what it changed are stale.
                    services.cache.forget(event.organization_id, event.user_id);
                    hub.publish(event);
                }
                if any || hub.settled() != Some(feed.position()) {
                    hub.settled.send_replace(Some(feed.position()));
                }
                pause = if batch.more {
                    // More is waiting now (a full batch), or soon (a transaction still
                    // committing below an event already visible).
                    if any {
                        Duration::ZERO
                    } else {
                        (pause * 2).clamp(Duration::from_millis(1), Duration::from_millis(50))
                    }
                } else {
                    Duration::ZERO
                };
                if batch.more {
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => continue,
                        _ = shutdown.changed() => return,
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "reading events failed; retrying in a second");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = shutdown.changed() => return,
                }
            }
        }
        tokio::select! {
            _ = services.wakers.events.notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Where a stream starts, from the request's `Last-Event-ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// No header: from now on.
    Now,
    /// After this id.
    After(i64),
    /// A header that is not an event id this server issues: the client resyncs.
    Unreadable,
}

impl Resume {
    pub fn from_header(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            None => Self::Now,
            Some(raw) => match raw.parse::<i64>() {
                Ok(id) if id >= 0 && raw.bytes().all(|b| b.is_ascii_digit()) => Self::After(id),
                _ => Self::Unreadable,
            },
        }
    }
}

/// One session's live events; see the module doc.
#[derive(Debug)]
pub struct EventStream {
    services: Services,
    scope: EventScope,
    /// The last id looked at (sent, or not this session's to see).
    last: i64,
    queue: VecDeque<(i64, StreamEvent)>,
    channel: broadcast::Receiver<Arc<StoredEvent>>,
    /// True when the stream must read the table before following the channel again.
    behind: bool,
    done: bool,
    next_liveness_check: tokio::time::Instant,
    shutdown: watch::Receiver<bool>,
}

impl Services {
    /// Opens the caller's event stream.
    pub async fn open_stream(&self, caller: &Caller, resume: Resume) -> AppResult<EventStream> {
        let scope = EventScope {
            organization_id: caller.user.organization_id,
            user_id: caller.user.id,
            session_id: caller.session_id.clone(),
        };
        let channel = self.events.subscribe(scope.organization_id);
        let settled = self.events.ready().await;
        let mut queue = VecDeque::new();
        let last = match resume {
            Resume::Now => settled,
            Resume::Unreadable => {
                queue.push_back((settled, StreamEvent::Resync));
                settled
            }
            Resume::After(id) => {
                let (latest, oldest) = self.store.read().await?.event_bounds().await?;
                // Never issued by this database (it was recreated), or older than the
                // kept history: the client must fetch the account again.
                if id > latest || oldest.is_some_and(|oldest| oldest > id.saturating_add(1)) {
                    queue.push_back((settled, StreamEvent::Resync));
                    settled
                } else {
                    id
                }
            }
        };
        Ok(EventStream {
            services: self.clone(),
            scope,
            last,
            queue,
            channel,
            behind: true,
            done: false,
            next_liveness_check: tokio::time::Instant::now() + LIVENESS_EVERY,
            shutdown: self.shutdown.subscribe(),
        })
    }
}

impl EventStream {
    /// Takes `event` if it is new and this session's to see; ends the stream on its
    /// own revocation.
    fn take(&mut self, event: &StoredEvent) {
        if event.id <= self.last || self.done {
            return;
        }
        self.last = event.id;
        if !self.scope.sees(event) {
            return;
        }
        self.queue.push_back((event.id, event.event.clone()));
        if event.event == StreamEvent::SessionRevoked
            && event.session_id.as_deref() == Some(self.scope.session_id.as_str())
        {
            self.done = true;
        }
    }

    /// Reads what was settled after `last` from the table.
    async fn catch_up(&mut self) -> AppResult<()> {
        let Some(settled) = self.services.events.settled() else {
            return Ok(());
        };
        while self.last < settled && !self.done {
            let page = self
                .services
                .store
                .read()
                .await?
                .visible_events(&self.scope, self.last, settled, BATCH)
                .await?;
            let full = page.len() as i64 == BATCH;
            for event in &page {
                self.take(event);
            }
            if !full {
                // Nothing more of this session's up to `settled`.
                self.last = self.last.max(settled);
            }
        }
        self.behind = false;
        Ok(())
    }

    async fn still_live(&mut self) -> AppResult<bool> {
        let cutoff = self.services.idle_cutoff();
        Ok(self
            .services
            .store
            .read()
            .await?
            .session_is_live(&self.scope.session_id, cutoff)
            .await?)
    }

    /// The next event (its id and what happened), or `None` when the stream ends.
    pub async fn next(&mut self) -> Option<(i64, StreamEvent)> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            if self.done || *self.shutdown.borrow() {
                return None;
            }
            if self.behind {
                if let Err(e) = self.catch_up().await {
                    tracing::error!(error = %e, "an event stream could not read its history");
                    return None;
                }
                continue;
            }
            if tokio::time::Instant::now() >= self.next_liveness_check {
                self.next_liveness_check = tokio::time::Instant::now() + LIVENESS_EVERY;
                match self.still_live().await {
                    Ok(true) => {}
                    Ok(false) => {
                        // Expired (revocations come as events): say so and end.
                        self.done = true;
                        return Some((self.last, StreamEvent::SessionRevoked));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "an event stream could not check its session");
                        return None;
                    }
                }
            }
            tokio::select! {
                received = self.channel.recv() => match received {
                    Ok(event) => self.take(&event),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.behind = true,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = tokio::time::sleep_until(self.next_liveness_check) => {}
                _ = self.shutdown.changed() => return None,
            }
        }
    }
}
