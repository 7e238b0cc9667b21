use account_model::Role;
use account_model::{Channels, NoticeKind, PrefChange, Threshold};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

/// A billing user with the alert on at 50.00 EUR on email, SMS and desktop.
async fn billing_user(app: &TestApp, email: &str) -> i64 {
    let id = app
        .add_user(Role::Billing, email, Some("+34611000111"))
        .await;
    app.set_preferences(id, alert_on(5_000, &["email", "sms", "desktop"]))
        .await;
    id
}

/// The low-balance alert on at `threshold_minor`, on `channels`.
fn alert_on(threshold_minor: i64, channels: &[&str]) -> Vec<PrefChange> {
    vec![
        PrefChange::LowBalanceEnabled(true),
        PrefChange::LowBalanceThreshold(Threshold::parse(threshold_minor).expect("threshold")),
        PrefChange::LowBalanceChannels(
            Channels::parse(NoticeKind::LowBalance, channels).expect("channels"),
        ),
    ]
}

async fn alerts(app: &TestApp, to: &str) -> usize {
    app.outbox_kind(to, "low_balance").await.len()
}

engine_test! {
async fn a_crossing_alerts_once_per_channel_and_rearms_on_recovery(engine) {
    let app = spawn_app(engine).await;
    billing_user(&app, "bea@example.com").await;

    app.adjust(-6_000, "c1").await; // 100.00 → 40.00: crosses 50.00
    assert_eq!(alerts(&app, "bea@example.com").await, 1);
    assert_eq!(alerts(&app, "+34611000111").await, 1);
    let mail = &app.outbox_kind("bea@example.com", "low_balance").await[0];
    assert!(
        mail.body.contains("€40.00") && mail.body.contains("€50.00"),
        "{}",
        mail.body
    );

    app.adjust(-500, "c2").await; // still below
    app.adjust(200, "c3").await; // still below
    assert_eq!(
        alerts(&app, "bea@example.com").await,
        1,
        "nothing while it stays below"
    );

    app.adjust(1_300, "c4").await; // 50.00: at the threshold, re-armed
    assert_eq!(alerts(&app, "bea@example.com").await, 1);
    app.adjust(-1, "c5").await; // 49.99: a new crossing
    assert_eq!(alerts(&app, "bea@example.com").await, 2);
    assert_eq!(alerts(&app, "+34611000111").await, 2);
}
}

engine_test! {
async fn raising_the_threshold_above_the_balance_counts_as_a_crossing(engine) {
    let app = spawn_app(engine).await;
    billing_user(&app, "bea@example.com").await;
    let token = app.login("bea@example.com", crate::helpers::PASSWORD).await;
    let version = app.account(&token).await.body["version"].clone();

    let reply = app
        .preferences(
            &token,
            json!({ "baseVersion": version, "lowBalance": { "thresholdMinor": 20_000 } }),
        )
        .await;

    assert!(reply.status.is_success(), "{:?}", reply.body);
    assert_eq!(alerts(&app, "bea@example.com").await, 1);
    // Lowering it again below the balance re-arms; raising it again fires again.
    let v = reply.body["version"].clone();
    let lowered = app
        .preferences(
            &token,
            json!({ "baseVersion": v, "lowBalance": { "thresholdMinor": 1_000 } }),
        )
        .await;
    let v = lowered.body["version"].clone();
    app.preferences(
        &token,
        json!({ "baseVersion": v, "lowBalance": { "thresholdMinor": 30_000 } }),
    )
    .await;
    assert_eq!(alerts(&app, "bea@example.com").await, 2);
}
}

engine_test! {
async fn fifty_concurrent_charges_crossing_the_threshold_alert_exactly_once(engine) {
    let app = spawn_app(engine).await;
    billing_user(&app, "bea@example.com").await;
    let owner = app
        .add_user(Role::Owner, "olivia@example.com", Some("+34611000222"))
        .await;
    app.set_preferences(owner, alert_on(3_000, &["email", "sms"]))
    .await;

    let mut calls = Vec::new();
    for i in 0..50 {
        let (client, base, org) = (app.client.clone(), app.base.clone(), app.org_id);
        calls.push(tokio::spawn(async move {
            client
                .post(format!(
                    "{base}/v1/service/organizations/{org}/balance-adjustments"
                ))
                .bearer_auth(crate::helpers::SERVICE_TOKEN)
                .json(&json!({ "amountMinor": -200, "idempotencyKey": format!("charge-{i}") }))
                .send()
                .await
                .expect("sent")
                .status()
                .is_success()
        }));
    }
    for call in calls {
        assert!(call.await.expect("joined"));
    }

    for to in [
        "bea@example.com",
        "+34611000111",
        "olivia@example.com",
        "+34611000222",
    ] {
        assert_eq!(alerts(&app, to).await, 1, "{to}");
    }
    let member = app.user(Role::Member, "m@example.com").await;
    assert_eq!(
        app.account(&member.token).await.body["balance"]["amountMinor"],
        0
    );
}
}

engine_test! {
async fn users_without_billing_permission_or_with_the_alert_off_are_never_alerted(engine) {
    let app = spawn_app(engine).await;
    let member = app
        .add_user(Role::Member, "marc@example.com", Some("+34611000333"))
        .await;
    // Even with the fields set behind the API's back, a member has no billing permission.
    app.set_preferences(
        member,
        vec![
            PrefChange::LowBalanceEnabled(true),
            PrefChange::LowBalanceThreshold(Threshold::parse(90_000).expect("threshold")),
        ],
    )
    .await;
    app.add_user(Role::Admin, "adam@example.com", None).await; // alert off by default

    app.adjust(-9_999, "c1").await;
    app.service(
        "/v1/service/events",
        json!({ "type": "low_balance", "organizationId": app.org_id }),
    )
    .await;

    assert_eq!(alerts(&app, "marc@example.com").await, 0);
    assert_eq!(alerts(&app, "+34611000333").await, 0);
    assert_eq!(alerts(&app, "adam@example.com").await, 0);
}
}

engine_test! {
async fn repeated_low_balance_events_and_restarts_never_repeat_an_alert(engine) {
    let app = spawn_app(engine).await;
    billing_user(&app, "bea@example.com").await;
    app.adjust(-6_000, "c1").await;

    for _ in 0..2 {
        let reply = app
            .service(
                "/v1/service/events",
                json!({ "type": "low_balance", "organizationId": app.org_id }),
            )
            .await;
        assert_eq!(reply.body["alertsFired"], 0);
    }
    let app = app.restart().await;
    app.service(
        "/v1/service/events",
        json!({ "type": "low_balance", "organizationId": app.org_id }),
    )
    .await;

    assert_eq!(alerts(&app, "bea@example.com").await, 1);
}
}

engine_test! {
async fn the_desktop_channel_is_an_event_on_the_users_stream(engine) {
    let app = spawn_app(engine).await;
    billing_user(&app, "bea@example.com").await;
    let token = app.login("bea@example.com", crate::helpers::PASSWORD).await;
    let mut stream = app.events(&token, None).await;

    app.adjust(-6_000, "c1").await;

    let alert = stream
        .next_named("low_balance_alert", std::time::Duration::from_secs(5))
        .await
        .expect("alert event");
    assert_eq!(
        alert.data,
        json!({ "type": "low_balance_alert", "balanceMinor": 4_000, "thresholdMinor": 5_000, "currency": "EUR" })
    );
}
}
