use std::time::{Duration, Instant};

use account_model::Role;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

engine_test! {
async fn a_balance_change_reaches_a_connected_client_within_a_second(engine) {
    let app = spawn_app(engine).await;
    let member = app.user(Role::Member, "m@example.com").await;
    let mut stream = app.events(&member.token, None).await;

    let started = Instant::now();
    app.adjust(-1_234, "c1").await;
    let event = stream
        .next_named("balance_changed", Duration::from_secs(1))
        .await
        .expect("event within 1 s");

    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        event.data,
        json!({ "type": "balance_changed", "amountMinor": 8_766, "currency": "EUR" })
    );
    assert!(event.id.is_some());
}
}

engine_test! {
async fn a_client_that_reconnects_with_last_event_id_gets_what_it_missed(engine) {
    let app = spawn_app(engine).await;
    let member = app.user(Role::Member, "m@example.com").await;
    let mut stream = app.events(&member.token, None).await;
    app.adjust(-100, "c1").await;
    let seen = stream
        .next_named("balance_changed", Duration::from_secs(2))
        .await
        .expect("first");
    drop(stream);

    // Missed while disconnected: two balance changes and an account change.
    app.adjust(-200, "c2").await;
    app.preferences(&member.token, json!({ "baseVersion": app.account(&member.token).await.body["version"], "language": "it" })).await;
    app.adjust(-300, "c3").await;

    let mut resumed = app.events(&member.token, seen.id).await;
    let a = resumed
        .next(Duration::from_secs(2))
        .await
        .expect("missed 1");
    let b = resumed
        .next(Duration::from_secs(2))
        .await
        .expect("missed 2");
    let c = resumed
        .next(Duration::from_secs(2))
        .await
        .expect("missed 3");

    assert_eq!(a.data["amountMinor"], 9_700);
    assert_eq!(b.event, "account_changed");
    assert_eq!(c.data["amountMinor"], 9_400);
    assert!(a.id < b.id && b.id < c.id);
}
}

engine_test! {
async fn users_see_their_own_account_changes_and_their_organizations_balance_only(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let bob = app.user(Role::Member, "bob@example.com").await;
    let mut bobs = app.events(&bob.token, None).await;

    app.preferences(
        &ana.token,
        json!({ "baseVersion": app.account(&ana.token).await.body["version"], "language": "pt" }),
    )
    .await;
    app.adjust(-1, "c1").await;

    let first = bobs.next(Duration::from_secs(2)).await.expect("an event");
    assert_eq!(
        first.event, "balance_changed",
        "ana's account change is not bob's to see"
    );
}
}

engine_test! {
async fn revoking_a_session_ends_its_stream(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let laptop = app.login("ana@example.com", PASSWORD).await;
    let mut stream = app.events(&laptop, None).await;

    app.request(
        Method::POST,
        "/v1/sessions/revoke-others",
        Some(&ana.token),
        None,
    )
    .await;

    let revoked = stream
        .next_named("session_revoked", Duration::from_secs(2))
        .await
        .expect("told");
    assert_eq!(revoked.data, json!({ "type": "session_revoked" }));
    assert!(
        stream.next(Duration::from_secs(2)).await.is_none(),
        "the stream ended"
    );
    let again = app
        .client
        .get(format!("{}/v1/events", app.base))
        .bearer_auth(&laptop)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), reqwest::StatusCode::UNAUTHORIZED);
}
}

engine_test! {
async fn heartbeats_keep_an_idle_stream_visibly_alive(engine) {
    let app = spawn_app_with(engine, |c| c.limits.heartbeat_secs = 1).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let mut stream = app.events(&ana.token, None).await;

    assert!(
        stream.next(Duration::from_millis(2_500)).await.is_none(),
        "no events"
    );
    assert!(stream.heartbeats >= 2, "{} heartbeats", stream.heartbeats);
}
}

engine_test! {
async fn changes_made_by_another_process_reach_the_stream(engine) {
    let app = spawn_app(engine).await;
    let member = app.user(Role::Member, "m@example.com").await;
    let mut stream = app.events(&member.token, None).await;

    // A second set of services on the same file, as the CLI would open it: it cannot
    // notify this server, whose poller must find the event.
    let other = account_server::service::Services::new(
        account_server::store::Store::open(&app.config)
            .await
            .expect("store"),
        std::sync::Arc::new(app.config.clone()),
        std::sync::Arc::new(app.clock.clone()),
    )
    .expect("services");
    other
        .adjust_balance(app.org_id, -500, "cli-1", None)
        .await
        .expect("adjusted");

    let event = stream
        .next_named("balance_changed", Duration::from_secs(2))
        .await
        .expect("found by the poller");
    assert_eq!(event.data["amountMinor"], 9_500);
}
}

engine_test! {
async fn a_server_stops_promptly_while_streams_are_open(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let mut stream = app.events(&ana.token, None).await;
    let server = app.fixture.app;

    let stopped = tokio::time::timeout(Duration::from_secs(5), server.stop()).await;

    assert!(
        matches!(stopped, Ok(Ok(()))),
        "graceful shutdown did not wait for the stream"
    );
    assert!(
        stream.next(Duration::from_secs(2)).await.is_none(),
        "the stream ended"
    );
}
}

engine_test! {
async fn an_event_id_this_server_never_issued_asks_the_client_to_resync(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;

    for id in [i64::MAX, 1_000_000] {
        let mut stream = app.events(&ana.token, Some(id)).await;
        let first = stream.next(Duration::from_secs(2)).await.expect("an event");
        assert_eq!(first.event, "resync", "Last-Event-ID {id}");
    }
}
}

engine_test! {
async fn the_stream_is_what_the_document_says(engine) {
    // Served as text/event-stream; each event's `event:` is its data's `type`, its
    // `id:` a number that grows, its data one of the document's StreamEvent variants
    // with exactly that variant's fields; resuming after an id replays what followed.
    let app = spawn_app(engine).await;
    let owner = app.user(Role::Owner, "o@example.com").await;
    let document: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi.json")).expect("document");
    let content = &document["paths"]["/v1/events"]["get"]["responses"]["200"]["content"];
    assert!(content.get("text/event-stream").is_some(), "{content}");
    let variants = document["components"]["schemas"]["StreamEvent"]["oneOf"]
        .as_array()
        .expect("StreamEvent is a oneOf");

    let mut stream = app.events(&owner.token, None).await;
    assert!(stream.content_type().starts_with("text/event-stream"), "{}", stream.content_type());
    app.adjust(-100, "s1").await;
    let version = app.account(&owner.token).await.body["version"].as_i64().expect("version");
    let reply = app
        .preferences(&owner.token, json!({ "baseVersion": version, "language": "fr" }))
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);

    let mut seen = Vec::new();
    while seen.len() < 2 {
        let event = stream.next(Duration::from_secs(3)).await.expect("an event");
        seen.push(event);
    }
    let mut last = 0;
    for event in &seen {
        let id = event.id.expect("every event has an id");
        assert!(id > last, "ids grow: {id} after {last}");
        last = id;
        let kind = event.data["type"].as_str().expect("data has a type");
        assert_eq!(event.event, kind);
        let variant = variants
            .iter()
            .find(|v| v["properties"]["type"]["enum"][0] == kind)
            .unwrap_or_else(|| panic!("{kind} is not a documented StreamEvent"));
        let fields: std::collections::BTreeSet<&str> =
            event.data.as_object().expect("object").keys().map(String::as_str).collect();
        let documented: std::collections::BTreeSet<&str> = variant["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(fields, documented, "{kind}");
    }
    let names: Vec<&str> = seen.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["balance_changed", "account_changed"]);

    let mut resumed = app.events(&owner.token, seen[0].id).await;
    let replayed = resumed.next(Duration::from_secs(3)).await.expect("replayed");
    assert_eq!(replayed.id, seen[1].id);
    assert_eq!(replayed.data, seen[1].data);
}
}
