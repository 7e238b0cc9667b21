use account_model::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::spawn_app;

engine_test! {
async fn every_member_reads_the_balance_and_only_the_service_token_changes_it(engine) {
    let app = spawn_app(engine).await;
    let member = app.user(Role::Member, "member@example.com").await;
    assert_eq!(
        app.account(&member.token).await.body["balance"],
        json!({ "amountMinor": 10_000, "currency": "EUR" })
    );

    let path = format!(
        "/v1/service/organizations/{}/balance-adjustments",
        app.org_id
    );
    let body = json!({ "amountMinor": -2_500, "idempotencyKey": "charge-1" });
    let with_user_token = app
        .request(Method::POST, &path, Some(&member.token), Some(body.clone()))
        .await;
    let with_no_token = app
        .request(Method::POST, &path, None, Some(body.clone()))
        .await;
    let with_wrong_token = app
        .request(
            Method::POST,
            &path,
            Some("not the service token, but long enough"),
            Some(body),
        )
        .await;
    for reply in [with_user_token, with_no_token, with_wrong_token] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.code(), "unauthenticated");
    }
    assert_eq!(
        app.account(&member.token).await.body["balance"]["amountMinor"],
        10_000,
        "nothing applied"
    );

    let charged = app.adjust(-2_500, "charge-1").await;

    assert_eq!(charged.status, StatusCode::OK, "{:?}", charged.body);
    assert_eq!(charged.body["balanceAfterMinor"], 7_500);
    assert_eq!(charged.body["applied"], true);
    assert_eq!(
        app.account(&member.token).await.body["balance"]["amountMinor"],
        7_500
    );
}
}

engine_test! {
async fn the_same_idempotency_key_applies_once(engine) {
    let app = spawn_app(engine).await;

    let first = app.adjust(5_000, "top-up-42").await;
    let second = app.adjust(5_000, "top-up-42").await;

    assert_eq!(first.body["applied"], true);
    assert_eq!(second.body["applied"], false);
    assert_eq!(second.body["id"], first.body["id"]);
    assert_eq!(second.body["balanceAfterMinor"], 15_000);
    let different = app.adjust(-50_000, "top-up-42").await;
    assert_eq!(
        different.code(),
        "idempotency_key_reused",
        "a reused key with another amount is refused"
    );
    let third = app.adjust(1, "another-key").await;
    assert_eq!(
        third.body["balanceAfterMinor"], 15_001,
        "applied exactly once"
    );
}
}

engine_test! {
async fn concurrent_adjustments_never_lose_an_update(engine) {
    let app = spawn_app(engine).await;
    let mut calls = Vec::new();
    for i in 0..40 {
        let (client, base, org) = (app.client.clone(), app.base.clone(), app.org_id);
        calls.push(tokio::spawn(async move {
            client
                .post(format!("{base}/v1/service/organizations/{org}/balance-adjustments"))
                .bearer_auth(crate::helpers::SERVICE_TOKEN)
                .json(&json!({ "amountMinor": if i % 2 == 0 { 300 } else { -100 }, "idempotencyKey": format!("k{i}") }))
                .send()
                .await
                .expect("sent")
                .status()
        }));
    }
    for call in calls {
        assert_eq!(call.await.expect("joined"), StatusCode::OK);
    }
    let member = app.user(Role::Member, "m@example.com").await;
    assert_eq!(
        app.account(&member.token).await.body["balance"]["amountMinor"],
        10_000 + 20 * 300 - 20 * 100
    );
}
}

engine_test! {
async fn bad_adjustments_are_refused_with_a_reason(engine) {
    let app = spawn_app(engine).await;
    assert_eq!(app.adjust(0, "zero").await.code(), "invalid_request");
    assert_eq!(app.adjust(5, "").await.code(), "invalid_request");
    assert_eq!(
        app.adjust(5, &"k".repeat(101)).await.code(),
        "invalid_request"
    );
    let unknown = app
        .service(
            "/v1/service/organizations/999/balance-adjustments",
            json!({ "amountMinor": 5, "idempotencyKey": "a" }),
        )
        .await;
    assert_eq!(unknown.code(), "not_found");
    let extra = app
        .service(
            &format!(
                "/v1/service/organizations/{}/balance-adjustments",
                app.org_id
            ),
            json!({ "amountMinor": 5, "idempotencyKey": "a", "force": true }),
        )
        .await;
    assert_eq!(extra.code(), "invalid_request");
}
}
