//! The client's `text/event-stream` parser on any bytes from the server.
//! - Chunking does not matter: the stream parsed whole, byte by byte, or cut at one
//!   point gives the same events and heartbeats (a CRLF or a UTF-8 character split
//!   across network chunks survives).
//! - Written out again as SSE (`id:`, `event:`, one `data:` per line, a blank line), the
//!   events parse back to themselves, without heartbeats.
//! - A `data` that is a `StreamEvent` (what the consumer decodes; the `event:` field is
//!   only logged) survives its JSON round trip, and its `type` tag is its `name()`, the
//!   `event:` the server sends it under.
#![no_main]

use account_client::parse_sse;
use account_model::dto::StreamEvent;
use libfuzzer_sys::fuzz_target;

fn write_out(events: &[(Option<i64>, String, String)]) -> String {
    let mut out = String::new();
    for (id, event, data) in events {
        if let Some(id) = id {
            out.push_str(&format!("id: {id}\n"));
        }
        out.push_str(&format!("event: {event}\n"));
        for line in data.split('\n') {
            out.push_str(&format!("data: {line}\n"));
        }
        out.push('\n');
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let whole = parse_sse([data]);
    let bytes = parse_sse(data.chunks(1));
    assert_eq!(bytes, whole, "byte by byte differs from whole");
    let (left, right) = data.split_at(data.len() / 3);
    assert_eq!(parse_sse([left, right]), whole, "cut at {}", left.len());

    let (events, _) = &whole;
    let written = write_out(events);
    assert_eq!(
        &parse_sse([written.as_bytes()]),
        &(events.clone(), 0),
        "written out as {written:?}"
    );

    for (_, _, data) in events {
        if let Ok(event) = serde_json::from_str::<StreamEvent>(data) {
            let json = serde_json::to_value(&event).expect("an event serializes");
            assert_eq!(json["type"], event.name(), "{json}");
            let back: StreamEvent = serde_json::from_value(json).expect("reads back");
            assert_eq!(back, event);
        }
    }
});
