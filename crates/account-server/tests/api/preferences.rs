use account_model::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

engine_test! {
async fn language_region_and_notifications_are_saved(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Billing, "ana@example.com").await;
    let version = app.account(&ana.token).await.body["version"].clone();

    let reply = app
        .preferences(
            &ana.token,
            json!({
                "baseVersion": version, "language": "pt", "country": "pt", "timeZone": "Europe/Lisbon",
                "contactImports": ["sms", "email"], "billing": ["sms"],
                "lowBalance": { "enabled": true, "thresholdMinor": 5000, "channels": ["desktop", "email"] }
            }),
        )
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let a = app.account(&ana.token).await.body;
    assert_eq!(a["language"], "pt");
    assert_eq!(a["country"], "PT");
    assert_eq!(a["timeZone"], "Europe/Lisbon");
    assert_eq!(a["regionConfigured"], true);
    assert_eq!(
        a["notifications"]["contactImports"],
        json!(["email", "sms"])
    );
    assert_eq!(a["notifications"]["billing"], json!(["sms"]));
    assert_eq!(
        a["notifications"]["lowBalance"],
        json!({ "enabled": true, "thresholdMinor": 5000, "channels": ["email", "desktop"] })
    );
    assert_eq!(a["version"].as_i64(), version.as_i64().map(|v| v + 1));
}
}

engine_test! {
async fn a_stale_update_of_a_field_changed_meanwhile_conflicts_and_changes_nothing(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Billing, "ana@example.com").await;
    let base = app.account(&ana.token).await.body["version"]
        .as_i64()
        .expect("v");
    // Another device changes the threshold.
    app.preferences(
        &ana.token,
        json!({ "baseVersion": base, "lowBalance": { "thresholdMinor": 7000 } }),
    )
    .await;

    let stale = app
        .preferences(&ana.token, json!({ "baseVersion": base, "language": "it", "lowBalance": { "thresholdMinor": 100 } }))
        .await;

    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.code(), "version_conflict");
    assert_eq!(
        stale.body["details"]["fields"],
        json!(["lowBalance.thresholdMinor"])
    );
    assert_eq!(
        stale.body["details"]["current"]["notifications"]["lowBalance"]["thresholdMinor"],
        7000
    );
    let a = app.account(&ana.token).await.body;
    assert_eq!(
        a["language"], "en",
        "nothing of a refused update is applied"
    );
    assert_eq!(a["notifications"]["lowBalance"]["thresholdMinor"], 7000);
}
}

engine_test! {
async fn a_stale_update_of_untouched_fields_applies(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Billing, "ana@example.com").await;
    let base = app.account(&ana.token).await.body["version"]
        .as_i64()
        .expect("v");
    app.preferences(
        &ana.token,
        json!({ "baseVersion": base, "lowBalance": { "thresholdMinor": 7000 } }),
    )
    .await;

    let reply = app
        .preferences(&ana.token, json!({ "baseVersion": base, "language": "it" }))
        .await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["language"], "it");
    assert_eq!(
        reply.body["notifications"]["lowBalance"]["thresholdMinor"],
        7000
    );
}
}

engine_test! {
async fn an_idempotency_key_makes_a_replayed_update_apply_once(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let send = |body: serde_json::Value| {
        app.client
            .patch(format!("{}/v1/account/preferences", app.base))
            .bearer_auth(&ana.token)
            .header("idempotency-key", "edit-1")
            .json(&body)
            .send()
    };
    let body = json!({ "baseVersion": 1, "language": "de" });

    let first = send(body.clone()).await.expect("sent");
    assert_eq!(first.status(), StatusCode::OK);
    let first: serde_json::Value = first.json().await.expect("json");
    let replay = send(body).await.expect("sent");
    assert_eq!(
        replay.status(),
        StatusCode::OK,
        "not a conflict with itself"
    );
    let replay: serde_json::Value = replay.json().await.expect("json");

    assert_eq!(first, replay);
    assert_eq!(
        app.account(&ana.token).await.body["version"],
        first["version"],
        "applied once"
    );
    let reused = send(json!({ "baseVersion": 1, "language": "fr" }))
        .await
        .expect("sent");
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
}

engine_test! {
async fn sms_needs_a_phone_number(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Member, "ana@example.com", None).await;
    let token = app.login("ana@example.com", crate::helpers::PASSWORD).await;
    let reply = app
        .preferences(
            &token,
            json!({ "baseVersion": 1, "contactImports": ["sms"] }),
        )
        .await;
    assert_eq!(reply.code(), "phone_required");
}
}

engine_test! {
async fn invalid_values_are_refused_with_their_code_and_nothing_changes(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Owner, "ana@example.com").await;
    let before = app.account(&ana.token).await.body;
    let cases = [
        (
            json!({ "baseVersion": 1, "language": "ru" }),
            "invalid_language",
        ),
        (
            json!({ "baseVersion": 1, "country": "XX" }),
            "invalid_country",
        ),
        (
            json!({ "baseVersion": 1, "timeZone": "Europe/Atlantis" }),
            "invalid_time_zone",
        ),
        (
            json!({ "baseVersion": 1, "lowBalance": { "thresholdMinor": -5 } }),
            "invalid_threshold",
        ),
        (
            json!({ "baseVersion": 1, "lowBalance": { "thresholdMinor": 10_000_000_000_000_i64 } }),
            "invalid_threshold",
        ),
        (
            json!({ "baseVersion": 1, "billing": ["desktop"] }),
            "invalid_channel",
        ),
        (
            json!({ "baseVersion": 1, "contactImports": ["pigeon"] }),
            "invalid_channel",
        ),
        (
            json!({ "baseVersion": 1, "language": "fr", "timeZone": "Nowhere" }),
            "invalid_time_zone",
        ),
        (json!({ "baseVersion": 1 }), "invalid_request"),
        (
            json!({ "baseVersion": 999, "language": "fr" }),
            "invalid_request",
        ),
        (
            json!({ "baseVersion": 0, "language": "fr" }),
            "invalid_request",
        ),
    ];
    for (body, code) in cases {
        let reply = app.preferences(&ana.token, body.clone()).await;
        assert_eq!(reply.code(), code, "{body}");
        assert!(reply.status.is_client_error());
    }
    assert_eq!(app.account(&ana.token).await.body, before);
}
}
