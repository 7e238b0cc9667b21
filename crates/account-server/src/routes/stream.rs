//! `GET /v1/events`: the live event stream of one session, as server-sent events.
//!
//! Each event carries its id; a client that reconnects with `Last-Event-ID` gets every
//! event after it (or a `resync` event when that is not possible; see
//! [`crate::service::events`]). Comment lines every `heartbeat_secs` let both ends
//! notice a dead connection. When the session is revoked the stream sends
//! `session_revoked` and ends.

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
use crate::service::events::Resume;

fn sse(id: i64, event: &StreamEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    Event::default()
        .id(id.to_string())
        .event(event.name())
        .data(data)
}

/// The caller's live events (server-sent events). Send `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/v1/events", tag = "events", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "resume after this event id")),
    responses((status = 200, content_type = "text/event-stream",
               description = "Server-sent events that do not end while the session lives. Each event's `data:` is one StreamEvent as JSON (the schema here), its `event:` the StreamEvent's `type`, its `id:` the id to resume after; comment lines are heartbeats.",
               body = StreamEvent),
              (status = 401, body = ErrorBody)))]
pub async fn stream_events(
    State(services): State<Services>,
    Auth(caller): Auth,
    headers: HeaderMap,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let resume = Resume::from_header(
        headers
            .get("last-event-id")
            .map(|v| v.to_str().unwrap_or("\u{fffd}")),
    );
    let stream = services.open_stream(&caller, resume).await?;
    let heartbeat = Duration::from_secs(services.config.limits.heartbeat_secs);
    let events = futures_util::stream::unfold(stream, |mut stream| async move {
        let (id, event) = stream.next().await?;
        Some((Ok(sse(id, &event)), stream))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(heartbeat)))
}
