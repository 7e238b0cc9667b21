//! The consumer of the live event stream (`GET /v1/events`, server-sent events).
//!
//! Contract:
//! - [`Client::events`] starts one background task per stream and hands back an
//!   [`EventStream`]: a receiver of [`StreamItem`]s. Besides the typed events (with the
//!   server's event id), the task reports when it connected and when the connection was
//!   lost, so the desktop can tell the user whether live updates are flowing and fall
//!   back to polling while they are not.
//! - A dropped connection, a server that is down, a 5xx or any other non-401 refusal
//!   leads to a reconnect after an exponential backoff with ±50 % jitter (so a restarted
//!   server is not hit by every desktop at the same instant). The backoff starts over
//!   once a connection delivered something.
//! - Every reconnect sends `Last-Event-ID` with the last id seen, so the server replays
//!   what was missed (or sends `resync` when its history no longer reaches back).
//! - The server sends a heartbeat comment every `heartbeat` (15 s by default). Nothing
//!   at all for [`EventStreamConfig::dead_after`] (2.5 heartbeats by default) means the
//!   connection is dead even if TCP has not noticed (a sleeping laptop, a NAT that
//!   forgot the flow): the task drops it and reconnects.
//! - The stream ends for good, with a final [`StreamItem::Ended`], on `session_revoked`
//!   or a 401 (the token is no longer valid: reconnecting cannot help), or when
//!   [`EventStream::shutdown`] is called or the stream is dropped.
//! - Events whose `data` does not parse (a newer server's new event type) are skipped
//!   and logged, not fatal: the stream stays useful across server upgrades.

use std::fmt;
use std::time::Duration;

use account_model::ErrorBody;
use account_model::dto::StreamEvent;
use rand::Rng;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{mpsc, watch};

use crate::client::Client;
use crate::error::Refusal;

/// How the stream consumer waits, notices dead connections and backs off.
#[derive(Debug, Clone)]
pub struct EventStreamConfig {
    /// The server's heartbeat interval (its `limits.heartbeat_secs`).
    pub heartbeat: Duration,
    /// Silence (no event, no heartbeat) after which the connection counts as dead.
    pub dead_after: Duration,
    /// Wait before the first reconnect; doubled per further failure, with ±50 % jitter.
    pub backoff: Duration,
    /// Upper bound of one reconnect wait (before jitter).
    pub max_backoff: Duration,
    /// Items buffered for a slow consumer before the task waits for it.
    pub buffer: usize,
}

impl EventStreamConfig {
    /// The server's heartbeat interval; dead after 2.5 heartbeats of silence.
    pub fn with_heartbeat(heartbeat: Duration) -> Self {
        Self {
            heartbeat,
            dead_after: heartbeat.mul_f64(2.5),
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            buffer: 64,
        }
    }
}

impl Default for EventStreamConfig {
    /// The server's default heartbeat of 15 s.
    fn default() -> Self {
        Self::with_heartbeat(Duration::from_secs(15))
    }
}

/// Why the stream ended for good.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEnd {
    /// The server said this session was revoked (signed out elsewhere, password changed).
    SessionRevoked,
    /// The server answered 401: the token is not (or no longer) valid.
    Unauthenticated(Box<Refusal>),
    /// [`EventStream::shutdown`] was called, or the stream was dropped.
    Shutdown,
}

/// What the consumer reports.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// A connection is open. `resumed_after` is the `Last-Event-ID` it was opened with.
    Connected { resumed_after: Option<i64> },
    /// An event and its id (the server sends an id with every event but the
    /// `session_revoked` it synthesizes for an expired session).
    Event { id: Option<i64>, event: StreamEvent },
    /// The connection was lost or could not be made; the next attempt is in `retry_in`.
    Disconnected {
        reason: Disconnect,
        retry_in: Duration,
    },
    /// The last item: the stream is over.
    Ended(StreamEnd),
}

/// Why a connection was lost.
#[derive(Debug, Clone, PartialEq)]
pub enum Disconnect {
    /// The server was not reached (refused, unreachable, timed out).
    Unreachable(String),
    /// The server answered something other than a stream (5xx, a non-401 refusal).
    Refused { status: u16, message: String },
    /// The connection broke or the server closed it.
    Closed(String),
    /// Nothing arrived for [`EventStreamConfig::dead_after`].
    Silent,
}

impl Disconnect {
    /// True when the server itself could not be reached (the app is offline).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::Silent)
    }
}

/// A running stream consumer. Dropping it stops the background task.
pub struct EventStream {
    items: mpsc::Receiver<StreamItem>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl EventStream {
    /// The next item; `None` after [`StreamItem::Ended`] was delivered.
    pub async fn next(&mut self) -> Option<StreamItem> {
        self.items.recv().await
    }

    /// Stops the task and waits until it is gone (its connection closed).
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Client {
    /// Starts consuming `/v1/events` with `token`, resuming after `last_event_id` when
    /// given. Must be called inside a tokio runtime.
    pub fn events(
        &self,
        token: SecretString,
        last_event_id: Option<i64>,
        config: EventStreamConfig,
    ) -> EventStream {
        let (tx, items) = mpsc::channel(config.buffer.max(1));
        let (stop, stopped) = watch::channel(false);
        let consumer = Consumer {
            http: self.stream_http(),
            url: self.url("v1/events"),
            response_timeout: self.config().timeout,
            token,
            last_id: last_event_id,
            config,
            tx,
            stopped,
        };
        let task = tokio::spawn(consumer.run());
        EventStream {
            items,
            stop,
            task: Some(task),
        }
    }
}

/// What one connection ended in.
enum Outcome {
    /// Lost; reconnect. `delivered` says whether anything arrived on it.
    Lost {
        reason: Disconnect,
        delivered: bool,
    },
    End(StreamEnd),
}

struct Consumer {
    http: crate::client::Http,
    url: reqwest::Url,
    response_timeout: Duration,
    token: SecretString,
    last_id: Option<i64>,
    config: EventStreamConfig,
    tx: mpsc::Sender<StreamItem>,
    stopped: watch::Receiver<bool>,
}

impl Consumer {
    async fn run(mut self) {
        let mut failures: u32 = 0;
        loop {
            let stop = stop_signal(self.stopped.clone());
            let outcome = tokio::select! {
                outcome = self.connect_once() => outcome,
                _ = stop => Outcome::End(StreamEnd::Shutdown),
            };
            let (reason, delivered) = match outcome {
                Outcome::End(end) => {
                    let _ = self.tx.send(StreamItem::Ended(end)).await;
                    return;
                }
                Outcome::Lost { reason, delivered } => (reason, delivered),
            };
            failures = if delivered { 1 } else { failures + 1 };
            let retry_in = backoff(&self.config, failures);
            tracing::debug!(?reason, ?retry_in, "event stream lost; reconnecting");
            if !self
                .emit(StreamItem::Disconnected { reason, retry_in })
                .await
            {
                return;
            }
            let stop = stop_signal(self.stopped.clone());
            tokio::select! {
                _ = tokio::time::sleep(retry_in) => {}
                _ = stop => {
                    let _ = self.tx.send(StreamItem::Ended(StreamEnd::Shutdown)).await;
                    return;
                }
            }
        }
    }

    /// Sends an item unless the consumer is gone or shutting down; false when it is.
    async fn emit(&self, item: StreamItem) -> bool {
        if *self.stopped.borrow() {
            let _ = self.tx.send(StreamItem::Ended(StreamEnd::Shutdown)).await;
            return false;
        }
        self.tx.send(item).await.is_ok()
    }

    /// One connection: open, read until it ends, report what it ended in.
    async fn connect_once(&mut self) -> Outcome {
        let http = match self.http.get() {
            Ok(http) => http,
            Err(e) => return lost(Disconnect::Unreachable(e.to_string()), false),
        };
        let mut req = http
            .get(self.url.clone())
            .bearer_auth(self.token.expose_secret())
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .header(reqwest::header::CACHE_CONTROL, "no-cache");
        if let Some(id) = self.last_id {
            req = req.header("last-event-id", id.to_string());
        }
        let sent = tokio::time::timeout(self.response_timeout, req.send()).await;
        let mut response = match sent {
            Err(_) => {
                return lost(Disconnect::Unreachable("no answer in time".into()), false);
            }
            Ok(Err(e)) => {
                let reason = if e.is_connect() || e.is_timeout() {
                    Disconnect::Unreachable(e.to_string())
                } else {
                    Disconnect::Closed(e.to_string())
                };
                return lost(reason, false);
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if status != StatusCode::OK {
            let body = tokio::time::timeout(self.response_timeout, response.bytes())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            let parsed = serde_json::from_slice::<ErrorBody>(&body).ok();
            if status == StatusCode::UNAUTHORIZED {
                let refusal = match parsed {
                    Some(body) => Refusal::from_body(status.as_u16(), body),
                    None => Refusal {
                        status: status.as_u16(),
                        code: account_model::ErrorCode::Unauthenticated,
                        message: "the session is not valid".into(),
                        retry_after_seconds: None,
                        details: None,
                    },
                };
                return Outcome::End(StreamEnd::Unauthenticated(Box::new(refusal)));
            }
            let message = parsed
                .map(|b| b.message)
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            return lost(
                Disconnect::Refused {
                    status: status.as_u16(),
                    message,
                },
                false,
            );
        }
        if !self
            .emit(StreamItem::Connected {
                resumed_after: self.last_id,
            })
            .await
        {
            return Outcome::End(StreamEnd::Shutdown);
        }
        let mut parser = SseParser::default();
        let mut delivered = false;
        loop {
            let chunk = tokio::time::timeout(self.config.dead_after, response.chunk()).await;
            let bytes = match chunk {
                Err(_) => return lost(Disconnect::Silent, delivered),
                Ok(Err(e)) => return lost(Disconnect::Closed(e.to_string()), delivered),
                Ok(Ok(None)) => {
                    return lost(
                        Disconnect::Closed("the server ended the stream".into()),
                        delivered,
                    );
                }
                Ok(Ok(Some(bytes))) => bytes,
            };
            delivered = true;
            let events = parser.push(&bytes);
            if parser.overflowed {
                return lost(
                    Disconnect::Closed(format!(
                        "the server sent an event longer than {MAX_EVENT_BYTES} bytes"
                    )),
                    delivered,
                );
            }
            for raw in events {
                let event: StreamEvent = match serde_json::from_str(&raw.data) {
                    Ok(event) => event,
                    Err(e) => {
                        tracing::warn!(event = %raw.event, error = %e, "skipping an event this client does not understand");
                        if let Some(id) = raw.id {
                            self.last_id = Some(id);
                        }
                        continue;
                    }
                };
                if let Some(id) = raw.id {
                    self.last_id = Some(id);
                }
                let revoked = event == StreamEvent::SessionRevoked;
                if !self.emit(StreamItem::Event { id: raw.id, event }).await {
                    return Outcome::End(StreamEnd::Shutdown);
                }
                if revoked {
                    return Outcome::End(StreamEnd::SessionRevoked);
                }
            }
        }
    }
}

fn lost(reason: Disconnect, delivered: bool) -> Outcome {
    Outcome::Lost { reason, delivered }
}

/// Resolves when `stop` turns true or its sender is gone.
async fn stop_signal(mut stop: watch::Receiver<bool>) {
    while !*stop.borrow_and_update() {
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// `backoff · 2^(failures-1)`, capped, then scaled by a random factor in [0.5, 1.5).
fn backoff(config: &EventStreamConfig, failures: u32) -> Duration {
    let exp = config
        .backoff
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    exp.min(config.max_backoff)
        .mul_f64(rand::thread_rng().gen_range(0.5..1.5))
}

/// The longest event [`SseParser`] keeps, pending line and data together.
const MAX_EVENT_BYTES: usize = 1 << 20;

/// One dispatched server-sent event, before its data is decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawEvent {
    id: Option<i64>,
    event: String,
    data: String,
}

/// An incremental parser of the `text/event-stream` format (WHATWG HTML, "Server-sent
/// events"): lines end in LF, CRLF or CR; a blank line dispatches; `data` lines are
/// joined with LF; lines starting with `:` are comments (heartbeats). Bytes are kept
/// until a line is complete, so a UTF-8 character split across chunks survives.
///
/// What it keeps is bounded: an event (its pending line and the data lines gathered so
/// far) longer than [`MAX_EVENT_BYTES`] stops the parser, and the stream treats it as a
/// broken connection. The server's events are well under a kilobyte; without the bound
/// a broken or hostile server could grow the app's memory with one endless line.
#[derive(Debug, Default)]
struct SseParser {
    buf: Vec<u8>,
    /// An event went over [`MAX_EVENT_BYTES`]: nothing more is parsed.
    overflowed: bool,
    /// A CR ended the last line; a LF at the start of the next chunk belongs to it.
    after_cr: bool,
    id: Option<i64>,
    event: String,
    data: Option<String>,
    heartbeats: u64,
}

impl SseParser {
    fn push(&mut self, bytes: &[u8]) -> Vec<RawEvent> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.overflowed {
                break;
            }
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.buf);
                    if let Some(event) = self.line(&String::from_utf8_lossy(&line)) {
                        out.push(event);
                    }
                }
                _ => {
                    self.buf.push(b);
                    let gathered = self.data.as_ref().map_or(0, String::len);
                    self.overflowed = self.buf.len() + gathered > MAX_EVENT_BYTES;
                }
            }
        }
        out
    }

    fn line(&mut self, line: &str) -> Option<RawEvent> {
        if line.is_empty() {
            let data = self.data.take();
            let event = std::mem::take(&mut self.event);
            let id = self.id.take();
            // A block with only comments (or only an id) dispatches nothing.
            return data.map(|data| RawEvent {
                id,
                event: if event.is_empty() {
                    "message".into()
                } else {
                    event
                },
                data,
            });
        }
        if line.starts_with(':') {
            self.heartbeats += 1;
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "event" => self.event = value.to_owned(),
            "id" => self.id = value.trim().parse().ok(),
            _ => {}
        }
        None
    }
}

/// What a fresh parser makes of `chunks` received in order on one connection: each
/// dispatched event as `(id, event, data)`, and the heartbeats counted. The fuzz
/// targets' way in (`fuzz/`, feature `fuzzing`), so the parser itself stays private.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub fn parse_sse<'a>(
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<(Option<i64>, String, String)>, u64) {
    let mut parser = SseParser::default();
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(
            parser
                .push(chunk)
                .into_iter()
                .map(|e| (e.id, e.event, e.data)),
        );
    }
    (events, parser.heartbeats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_event_is_parsed_with_its_id_name_and_data() {
        let mut p = SseParser::default();

        let events = p.push(b"id: 7\nevent: resync\ndata: {\"type\":\"resync\"}\n\n");

        assert_eq!(
            events,
            vec![RawEvent {
                id: Some(7),
                event: "resync".into(),
                data: "{\"type\":\"resync\"}".into()
            }]
        );
    }

    #[test]
    fn events_split_across_chunks_and_utf8_characters_split_across_chunks_survive() {
        let mut p = SseParser::default();
        let whole = "id:3\nevent:x\ndata:caf\u{e9}\n\n".as_bytes();
        let split = whole.len() - 4; // inside the two bytes of "é"

        let first = p.push(&whole[..split]);
        let second = p.push(&whole[split..]);

        assert!(first.is_empty());
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].data, "caf\u{e9}");
        assert_eq!(second[0].id, Some(3));
    }

    #[test]
    fn crlf_and_cr_line_endings_are_accepted_even_when_crlf_is_split() {
        let mut p = SseParser::default();

        let mut events = p.push(b"data: a\r");
        events.extend(p.push(b"\ndata: b\r\r"));

        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "a\nb");
        assert_eq!(events[0].event, "message");
    }

    #[test]
    fn an_event_longer_than_the_bound_stops_the_parser() {
        let mut p = SseParser::default();
        // Data lines that each fit, gathering into one event over the bound.
        let line = format!("data: {}\n", "x".repeat(MAX_EVENT_BYTES / 4));
        let mut events = Vec::new();
        for _ in 0..5 {
            events.extend(p.push(line.as_bytes()));
        }
        assert!(
            p.overflowed,
            "five quarter-megabyte data lines are one event over 1 MiB"
        );
        events.extend(p.push(b"\n\nid: 1\ndata: {}\n\n"));
        assert!(
            events.is_empty(),
            "nothing is dispatched once over the bound"
        );

        // One endless line, chunk by chunk.
        let mut p = SseParser::default();
        let chunk = vec![b'a'; 64 * 1024];
        let mut pushed = 0;
        while !p.overflowed {
            assert!(p.push(&chunk).is_empty());
            pushed += chunk.len();
            assert!(pushed <= MAX_EVENT_BYTES + chunk.len(), "the bound holds");
        }
        assert!(p.buf.len() <= MAX_EVENT_BYTES + 1);

        // An event just under it still arrives.
        let mut p = SseParser::default();
        let data = "y".repeat(MAX_EVENT_BYTES - 16);
        let events = p.push(format!("data: {data}\n\n").as_bytes());
        assert!(!p.overflowed);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, data);
    }

    #[test]
    fn comment_lines_count_as_heartbeats_and_dispatch_nothing() {
        let mut p = SseParser::default();

        let events = p.push(b":\n\n: keep-alive\n\n");

        assert!(events.is_empty());
        assert_eq!(p.heartbeats, 2);
    }

    #[test]
    fn the_id_of_one_event_does_not_leak_into_the_next() {
        let mut p = SseParser::default();

        let events = p.push(b"id: 1\ndata: a\n\ndata: b\n\n");

        assert_eq!(events[0].id, Some(1));
        assert_eq!(events[1].id, None);
    }

    #[test]
    fn reconnect_backoff_doubles_is_capped_and_jittered() {
        let config = EventStreamConfig {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            ..EventStreamConfig::default()
        };

        for _ in 0..50 {
            let first = backoff(&config, 1).as_millis();
            let third = backoff(&config, 3).as_millis();
            let many = backoff(&config, 40).as_millis();
            assert!((50..150).contains(&first), "{first}");
            assert!((200..600).contains(&third), "{third}");
            assert!((200..600).contains(&many), "{many}");
        }
    }

    #[test]
    fn the_default_dead_connection_limit_is_two_and_a_half_heartbeats() {
        let config = EventStreamConfig::with_heartbeat(Duration::from_secs(2));

        assert_eq!(config.dead_after, Duration::from_secs(5));
        assert_eq!(
            EventStreamConfig::default().dead_after,
            Duration::from_millis(37_500)
        );
    }
}
