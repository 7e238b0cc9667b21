//! `GET /v1/events`: the live event stream of one session, as server-sent events.
//!
//! Each event carries its id; a client that reconnects with `Last-Event-ID` gets every
//! event after it that is still in the kept history (or a `resync` event when some were
//! trimmed). Comment lines every `heartbeat_secs` let both ends notice a dead
//! connection. When the session is revoked the stream sends `session_revoked` and ends.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use account_model::ErrorBody;
use account_model::dto::StreamEvent;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use super::extract::Auth;
use crate::error::AppResult;
use crate::service::Services;
use crate::service::auth::Caller;
use crate::store::{events, sessions};

struct Cursor {
    services: Services,
    caller: Caller,
    last: i64,
    queue: VecDeque<Event>,
    done: bool,
    wake: tokio::sync::watch::Receiver<i64>,
    shutdown: tokio::sync::watch::Receiver<bool>,
}

fn sse(id: i64, event: &StreamEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    Event::default()
        .id(id.to_string())
        .event(event.name())
        .data(data)
}

impl Cursor {
    /// Fills the queue with what the session may see after `last`; false when there
    /// is nothing new.
    async fn fill(&mut self) -> bool {
        let (org, user, session, after) = (
            self.caller.user.organization_id,
            self.caller.user.id,
            self.caller.session_id.clone(),
            self.last,
        );
        let cutoff = self.services.idle_cutoff();
        let found = self
            .services
            .db
            .call(move |c| {
                Ok((
                    events::visible_after(c, org, user, &session, after, 100)?,
                    sessions::is_live(c, &session, cutoff)?,
                ))
            })
            .await;
        let (found, live) = match found {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "event stream query failed");
                self.done = true;
                return false;
            }
        };
        for stored in &found {
            self.last = stored.id;
            self.queue.push_back(sse(stored.id, &stored.event));
            if stored.event == StreamEvent::SessionRevoked
                && stored.session_id.as_deref() == Some(&self.caller.session_id)
            {
                self.done = true;
                return true;
            }
        }
        if !live && found.is_empty() {
            // Revoked without an event of ours (expired): say so and end.
            self.queue.push_back(
                Event::default()
                    .event("session_revoked")
                    .data(r#"{"type":"session_revoked"}"#),
            );
            self.done = true;
        }
        !self.queue.is_empty()
    }

    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some((Ok(event), self));
            }
            if self.done {
                return None;
            }
            if self.fill().await {
                continue;
            }
            if self.done {
                return None;
            }
            // Wait for news; look again now and then anyway (expiry, missed wake-ups).
            tokio::select! {
                _ = self.wake.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = self.shutdown.changed() => return None,
            }
            if *self.shutdown.borrow() {
                return None;
            }
        }
    }
}

/// The caller's live events (server-sent events). Send `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/v1/events", tag = "events", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "resume after this event id")),
    responses((status = 200, description = "text/event-stream of StreamEvent; `event:` is its type, `id:` its id", body = StreamEvent),
              (status = 401, body = ErrorBody)))]
pub async fn stream_events(
    State(services): State<Services>,
    Auth(caller): Auth,
    headers: HeaderMap,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let (latest, oldest) = services
        .db
        .call(|c| Ok((events::latest_id(c)?, events::oldest_id(c)?)))
        .await?;
    let mut queue = VecDeque::new();
    let last = match resume {
        Some(id) => {
            // An id from before the kept history, or one this database never issued
            // (it was recreated): the client must fetch the account again.
            if id > latest || oldest.is_some_and(|oldest| oldest > id.saturating_add(1)) {
                queue.push_back(sse(latest, &StreamEvent::Resync));
                latest
            } else {
                id
            }
        }
        None => latest,
    };
    let heartbeat = Duration::from_secs(services.config.limits.heartbeat_secs);
    let wake = services.events.subscribe();
    let shutdown = services.shutdown.subscribe();
    let cursor = Cursor {
        services,
        caller,
        last,
        queue,
        done: false,
        wake,
        shutdown,
    };
    let stream = futures_util::stream::unfold(cursor, Cursor::next);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(heartbeat)))
}
