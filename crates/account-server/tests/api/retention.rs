//! The retention job, on both engines with a manual clock: each kind of row goes when it
//! is past its time, and nothing still in use goes with it.

use account_model::Role;
use account_server::store::{EXPIRED_CODE_BODY, LockKey};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

engine_test! {
async fn sessions_counters_sends_codes_and_old_messages_go_when_past_their_time(engine) {
    let app = spawn_app_with(engine, |c| {
        c.limits.session_idle_days = 30;
        c.limits.failure_window_secs = 24 * 3600;
        c.retention.outbox_days = 30;
    })
    .await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let laptop = app.login("ana@example.com", PASSWORD).await;
    // A revoked session, a wrong-password counter, a code sent (and its message).
    app.request(Method::DELETE, "/v1/sessions/current", Some(&laptop), None).await;
    app.sign_in(json!({ "email": "ghost@example.com", "password": "not the right one at all" }))
        .await;
    let started = app.email_change(&ana.token, "new@example.com", PASSWORD).await;
    assert_eq!(started.status, StatusCode::ACCEPTED);

    let first = app.app.services.run_retention().await.expect("runs").expect("not locked");
    assert_eq!(first.sessions, 1, "the revoked session goes at once");
    assert_eq!(first.code_bodies + first.throttles + first.code_sends, 0, "the rest is young");

    // The code expires (10 minutes): its message body and the pending change go.
    app.clock.advance(Duration::minutes(11));
    let second = app.app.services.run_retention().await.expect("runs").expect("not locked");
    assert_eq!(second.code_bodies, 1);
    assert_eq!(second.pending_changes, 1);
    let code_mail = &app.outbox_kind("new@example.com", "email_change_code").await[0];
    assert_eq!(code_mail.body, EXPIRED_CODE_BODY);
    assert_eq!(code_mail.status, "failed", "never sent (delivery holds): never will be");
    assert!(app.account(&ana.token).await.body["pendingEmailChange"].is_null());

    // A day on: the counter's window and the daily cap's window are over.
    app.clock.advance(Duration::hours(25));
    let third = app.app.services.run_retention().await.expect("runs").expect("not locked");
    assert_eq!((third.throttles, third.code_sends), (1, 1));
    assert_eq!(app.account(&ana.token).await.status, StatusCode::OK, "a used session stays");

    // 31 days without use: ana's session expires; the old messages go.
    app.clock.advance(Duration::days(31));
    let fourth = app.app.services.run_retention().await.expect("runs").expect("not locked");
    assert_eq!(fourth.sessions, 1);
    assert!(fourth.outbox >= 1, "{fourth:?}");
    assert!(app.outbox("new@example.com").await.is_empty());
    assert_eq!(app.account(&ana.token).await.status, StatusCode::UNAUTHORIZED);
}
}

engine_test! {
async fn events_beyond_the_kept_history_go_and_resuming_from_them_resyncs(engine) {
    let app = spawn_app_with(engine, |c| c.retention.events_kept = 100).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let mut stream = app.events(&ana.token, None).await;
    app.adjust(-1, "first").await;
    let first = stream
        .next_named("balance_changed", std::time::Duration::from_secs(2))
        .await
        .expect("first")
        .id;
    for i in 0..150 {
        app.adjust(-1, &format!("k{i}")).await;
    }

    let pruned = app.app.services.run_retention().await.expect("runs").expect("not locked");

    assert!(pruned.events >= 50, "{pruned:?}");
    let mut resumed = app.events(&ana.token, first).await;
    let told = resumed.next(std::time::Duration::from_secs(2)).await.expect("an event");
    assert_eq!(told.event, "resync", "the events after it are gone");
}
}

engine_test! {
async fn idempotency_keys_are_honoured_for_their_days_then_forgotten(engine) {
    let app = spawn_app_with(engine, |c| c.retention.idempotency_days = 7).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let version = app.account(&ana.token).await.body["version"].clone();
    let send = |v: serde_json::Value| {
        app.client
            .patch(format!("{}/v1/account/preferences", app.base))
            .bearer_auth(&ana.token)
            .header("idempotency-key", "edit-1")
            .json(&json!({ "baseVersion": v, "language": "fr" }))
            .send()
    };
    assert_eq!(send(version.clone()).await.expect("sent").status(), StatusCode::OK);

    app.clock.advance(Duration::days(6));
    let kept = app.app.services.run_retention().await.expect("runs").expect("not locked");
    app.clock.advance(Duration::days(2));
    let gone = app.app.services.run_retention().await.expect("runs").expect("not locked");

    assert_eq!((kept.idempotency_keys, gone.idempotency_keys), (0, 1));
}
}

#[tokio::test]
async fn on_postgres_one_instance_at_a_time_runs_the_job() {
    let app = spawn_app(account_server::store::Engine::Postgres).await;
    let other = app.another_instance().await.expect("instance B");

    let mut holding = app.app.services.store.write().await.expect("tx");
    assert!(holding.try_lock(LockKey::Retention).await.expect("lock"));
    let skipped = other.services.run_retention().await.expect("runs");
    holding.commit().await.expect("A's run ends");
    let ran = other.services.run_retention().await.expect("runs");

    assert!(skipped.is_none(), "B skips while A runs it");
    assert!(ran.is_some(), "and runs it once A is done");
}
