//! The event-stream consumer against the real server: push latency, resume after a
//! server restart on the same port and database file, the end of a revoked session,
//! silence detection, shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use account_client::{Disconnect, EventStream, EventStreamConfig, StreamEnd, StreamItem};
use account_model::dto::StreamEvent;
use account_model::{ErrorCode, Role};
use account_server::App;
use account_server::service::Services;
use account_server::store::Store;
use secrecy::SecretString;

use crate::helpers::{client_for, nobody_listening, password, spawn_server, spawn_server_with};

/// Reconnects quickly, so tests of reconnection stay short.
fn quick() -> EventStreamConfig {
    EventStreamConfig {
        backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        ..EventStreamConfig::default()
    }
}

/// The next item within `within`, skipping nothing.
async fn next(stream: &mut EventStream, within: Duration) -> StreamItem {
    tokio::time::timeout(within, stream.next())
        .await
        .expect("an item in time")
        .expect("the stream has not ended")
}

/// The next event (skipping connection reports) within `within`.
async fn next_event(stream: &mut EventStream, within: Duration) -> (Option<i64>, StreamEvent) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let item = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("an event in time")
            .expect("the stream has not ended");
        if let StreamItem::Event { id, event } = item {
            return (id, event);
        }
    }
}

async fn connected(stream: &mut EventStream) -> Option<i64> {
    match next(stream, Duration::from_secs(5)).await {
        StreamItem::Connected { resumed_after } => resumed_after,
        other => panic!("expected a connection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_balance_change_arrives_as_a_typed_event_within_a_second() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let mut stream = server.client.events(token, None, quick());
    assert_eq!(connected(&mut stream).await, None);

    let started = Instant::now();
    server
        .app
        .services
        .adjust_balance(server.org_id, -1_234, "charge-1", None)
        .await
        .expect("adjusted");
    let (id, event) = next_event(&mut stream, Duration::from_secs(1)).await;
    let latency = started.elapsed();

    eprintln!("push latency (adjustment to typed event): {latency:?}");
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    assert!(id.is_some());
    assert!(matches!(
        event,
        StreamEvent::BalanceChanged { amount_minor: 8_766, ref currency } if currency.as_str() == "EUR"
    ));
    stream.shutdown().await;
}

#[tokio::test]
async fn the_stream_survives_a_server_restart_and_resumes_with_the_change_made_while_it_was_down() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let mut stream = server.client.events(token, None, quick());
    connected(&mut stream).await;
    server
        .app
        .services
        .adjust_balance(server.org_id, -100, "before", None)
        .await
        .expect("adjusted");
    let (seen, _) = next_event(&mut stream, Duration::from_secs(2)).await;
    let seen = seen.expect("an id");
    let account_server::testing::Fixture {
        app,
        clock,
        mut config,
        org_id,
        database: _database,
        ..
    } = server.fixture;
    // The restart binds the address the first server got, so the stream finds it.
    config.listen = app.addr;

    app.stop().await.expect("server stops");
    let lost = next(&mut stream, Duration::from_secs(5)).await;
    // While the server is down, a change is made on its database (as the CLI would).
    let offline = Services::new(
        Store::open(&config).await.expect("store"),
        Arc::new(config.clone()),
        Arc::new(clock.clone()),
    )
    .expect("services");
    offline
        .adjust_balance(org_id, -200, "while-down", None)
        .await
        .expect("adjusted while down");
    let restarted = App::spawn(config.clone(), Arc::new(clock))
        .await
        .expect("restarts on the same port");
    let resumed_after = loop {
        match next(&mut stream, Duration::from_secs(10)).await {
            StreamItem::Connected { resumed_after } => break resumed_after,
            StreamItem::Disconnected { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    let (id, event) = next_event(&mut stream, Duration::from_secs(2)).await;

    assert!(
        matches!(lost, StreamItem::Disconnected { .. }),
        "the drop is reported: {lost:?}"
    );
    assert_eq!(restarted.addr, config.listen);
    assert_eq!(resumed_after, Some(seen), "Last-Event-ID sent");
    assert!(id > Some(seen));
    assert!(
        matches!(
            event,
            StreamEvent::BalanceChanged {
                amount_minor: 9_700,
                ..
            }
        ),
        "{event:?}"
    );
    stream.shutdown().await;
    restarted.stop().await.expect("stops");
}

#[tokio::test]
async fn revoking_the_session_ends_the_stream_and_says_why() {
    let server = spawn_server().await;
    let laptop = server.signed_in(Role::Member, "ana@example.com").await;
    let mut stream = server.client.events(laptop, None, quick());
    connected(&mut stream).await;
    let phone = server
        .client
        .sign_in("ana@example.com", &password(), Some("phone"), None)
        .await
        .expect("second device")
        .token;

    server
        .client
        .revoke_other_sessions(&phone)
        .await
        .expect("revoked");
    let (_, event) = next_event(&mut stream, Duration::from_secs(2)).await;
    let end = next(&mut stream, Duration::from_secs(2)).await;

    assert_eq!(event, StreamEvent::SessionRevoked);
    assert_eq!(end, StreamItem::Ended(StreamEnd::SessionRevoked));
    assert!(stream.next().await.is_none(), "nothing after the end");
}

#[tokio::test]
async fn an_invalid_token_ends_the_stream_with_the_servers_refusal_instead_of_retrying() {
    let server = spawn_server().await;
    let mut stream = server
        .client
        .events(SecretString::from("not-a-real-token"), None, quick());

    let end = next(&mut stream, Duration::from_secs(5)).await;

    match end {
        StreamItem::Ended(StreamEnd::Unauthenticated(refusal)) => {
            assert_eq!(refusal.status, 401);
            assert_eq!(refusal.code, ErrorCode::Unauthenticated);
        }
        other => panic!("expected a 401 end, got {other:?}"),
    }
}

#[tokio::test]
async fn a_stream_silent_for_longer_than_its_limit_is_dropped_and_resumed() {
    // The server's heartbeat is far apart, so the client's 400 ms limit is exceeded.
    let server = spawn_server_with(|c| c.limits.heartbeat_secs = 60).await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let config = EventStreamConfig {
        dead_after: Duration::from_millis(400),
        ..quick()
    };
    // Resume after event 0: an id this server issued (ids start at 1), so no resync.
    let mut stream = server.client.events(token, Some(0), config);
    connected(&mut stream).await;

    let dropped = next(&mut stream, Duration::from_secs(3)).await;
    let again = connected(&mut stream).await;

    assert!(
        matches!(
            dropped,
            StreamItem::Disconnected {
                reason: Disconnect::Silent,
                ..
            }
        ),
        "{dropped:?}"
    );
    assert_eq!(again, Some(0), "the reconnect resumes where it was");
    stream.shutdown().await;
}

#[tokio::test]
async fn heartbeats_keep_an_idle_stream_connected() {
    let server = spawn_server_with(|c| c.limits.heartbeat_secs = 1).await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let mut stream = server.client.events(
        token,
        None,
        EventStreamConfig {
            ..EventStreamConfig::with_heartbeat(Duration::from_secs(1))
        },
    );
    connected(&mut stream).await;

    let quiet = tokio::time::timeout(Duration::from_millis(3_500), stream.next()).await;

    assert!(quiet.is_err(), "nothing to report: {quiet:?}");
    stream.shutdown().await;
}

#[tokio::test]
async fn with_the_server_down_the_consumer_keeps_retrying_and_reports_it_unreachable() {
    let (_bound, base) = nobody_listening();
    let client = client_for(&base);
    let mut stream = client.events(SecretString::from("t"), None, quick());

    let first = next(&mut stream, Duration::from_secs(5)).await;
    let second = next(&mut stream, Duration::from_secs(5)).await;

    for item in [first, second] {
        match item {
            StreamItem::Disconnected { reason, retry_in } => {
                assert!(reason.is_unreachable(), "{reason:?}");
                assert!(retry_in <= Duration::from_millis(300), "{retry_in:?}");
            }
            other => panic!("expected a failed attempt, got {other:?}"),
        }
    }
    let stopped = tokio::time::timeout(Duration::from_secs(2), stream.shutdown()).await;
    assert!(stopped.is_ok(), "shutdown is prompt");
}

#[tokio::test]
async fn shutting_down_ends_an_open_stream_promptly() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let mut stream = server.client.events(token, None, quick());
    connected(&mut stream).await;

    let stopped = tokio::time::timeout(Duration::from_secs(2), stream.shutdown()).await;

    assert!(stopped.is_ok(), "shutdown waited for an open stream");
}
