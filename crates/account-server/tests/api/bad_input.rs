//! Malformed, mistyped, oversized and unknown input: always a 4xx with the app's error
//! shape and a specific code, never a 5xx, and nothing changed.

use account_model::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

/// method, path, content type, body, expected status, expected code
type Case<'a> = (
    Method,
    &'a str,
    Option<&'a str>,
    Vec<u8>,
    StatusCode,
    &'a str,
);

engine_test! {
async fn malformed_mistyped_and_unknown_bodies_get_specific_codes(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Owner, "ana@example.com").await;
    let before = app.account(&ana.token).await.body;
    let json_ct = Some("application/json");
    let t = Some(ana.token.as_str());
    let cases: Vec<Case<'_>> = vec![
        (
            Method::PATCH,
            "/v1/account/preferences",
            json_ct,
            b"{\"baseVersion\": 1,".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Method::PATCH,
            "/v1/account/preferences",
            json_ct,
            b"not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Method::PATCH,
            "/v1/account/preferences",
            json_ct,
            br#"{"baseVersion":1,"role":"owner"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::PATCH,
            "/v1/account/preferences",
            json_ct,
            br#"{"baseVersion":"1","language":"fr"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::PATCH,
            "/v1/account/preferences",
            json_ct,
            br#"{"baseVersion":1,"lowBalance":{"thresholdMinor":12.5}}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::PATCH,
            "/v1/account/preferences",
            json_ct,
            br#"{"language":"fr"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::PATCH,
            "/v1/account/preferences",
            Some("text/plain"),
            br#"{"baseVersion":1,"language":"fr"}"#.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Method::POST,
            "/v1/account/email-change",
            json_ct,
            br#"{"newEmail":"x@example.com","password":"p","isAdmin":true}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::POST,
            "/v1/account/phone-change",
            json_ct,
            br#"{"phone":34600123456,"password":"p"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::POST,
            "/v1/account/password",
            json_ct,
            br#"[]"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::POST,
            "/v1/sessions",
            json_ct,
            br#"{"email":"ana@example.com"}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::GET,
            "/v1/no-such-thing",
            None,
            Vec::new(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        // serde reads a struct from an array of its fields in order: these would sign
        // in and apply were arrays taken for objects.
        (
            Method::POST,
            "/v1/sessions",
            json_ct,
            format!(r#"["ana@example.com","{PASSWORD}"]"#).into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::PATCH,
            "/v1/account/preferences",
            json_ct,
            format!(r#" [{}, "es"]"#, before["version"]).into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::PATCH,
            "/v1/account/preferences",
            json_ct,
            b"\"es\"".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Method::PATCH,
            "/v1/account/preferences",
            json_ct,
            b"[1, ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            Method::PUT,
            "/v1/account",
            json_ct,
            b"{}".to_vec(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (method, path, ct, body, status, code) in cases {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let reply = app.raw(method, path, t, ct, body).await;
        assert_eq!(reply.status, status, "{path} {shown}: {:?}", reply.body);
        assert_eq!(reply.code(), code, "{path} {shown}");
        assert!(!reply.body["message"].as_str().unwrap_or("").is_empty());
    }
    assert_eq!(
        app.account(&ana.token).await.body,
        before,
        "nothing changed"
    );
}
}

engine_test! {
async fn a_wrong_method_answers_the_error_shape_with_the_methods_allowed(engine) {
    let app = spawn_app(engine).await;
    let reply = app.raw(Method::DELETE, "/v1/account/password", None, None, Vec::new()).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.code(), "method_not_allowed");
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.headers["allow"], "POST");
}
}

engine_test! {
async fn unknown_field_errors_name_the_field(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Owner, "ana@example.com").await;
    let reply = app
        .preferences(&ana.token, json!({ "baseVersion": 1, "colour": "blue" }))
        .await;
    assert!(
        reply.body["message"]
            .as_str()
            .expect("message")
            .contains("colour"),
        "{:?}",
        reply.body
    );
}
}

engine_test! {
async fn oversized_bodies_are_refused_before_parsing(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Owner, "ana@example.com").await;
    let huge = format!(
        r#"{{"baseVersion":1,"language":"{}"}}"#,
        "x".repeat(64 * 1024)
    );

    let reply = app
        .raw(
            Method::PATCH,
            "/v1/account/preferences",
            Some(&ana.token),
            Some("application/json"),
            huge.into_bytes(),
        )
        .await;

    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "payload_too_large");
}
}

engine_test! {
async fn invalid_field_values_never_reach_storage(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Owner, "ana@example.com").await;
    let long_device = "d".repeat(101);
    let sign_in = app
        .sign_in(
            json!({ "email": "ana@example.com", "password": PASSWORD, "deviceName": long_device }),
        )
        .await;
    assert_eq!(sign_in.code(), "invalid_device_name");
    assert_eq!(
        app.email_change(&ana.token, "ana@", PASSWORD).await.code(),
        "invalid_email"
    );
    assert_eq!(
        app.phone_change(&ana.token, "+999", PASSWORD).await.code(),
        "invalid_phone"
    );
    assert_eq!(
        app.set_role(&ana.token, ana.id, "superuser").await.code(),
        "invalid_role"
    );
    let weird = app
        .preferences(&ana.token, json!({ "baseVersion": 1, "language": "" }))
        .await;
    assert_eq!(weird.code(), "invalid_language");
}
}

engine_test! {
async fn bodies_are_read_as_the_document_states_them(engine) {
    // What the OpenAPI document (JSON Schema) allows is taken, and only that: `1.0` is an
    // integer, `1.5` is not; an optional field is absent or a value, never `null`; an
    // update names a field; lengths are of the text as sent.
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Owner, "ana@example.com").await;
    let version = app.account(&ana.token).await.body["version"].as_i64().expect("version");
    let t = Some(ana.token.as_str());
    let patch = |body: serde_json::Value| {
        app.request(Method::PATCH, "/v1/account/preferences", t, Some(body))
    };

    let integral = patch(json!({ "baseVersion": version as f64, "language": "fr" })).await;
    assert_eq!(integral.status, StatusCode::OK, "{:?}", integral.body);
    let version = integral.body["version"].as_i64().expect("version");

    let fraction = patch(json!({ "baseVersion": version as f64 + 0.5, "language": "es" })).await;
    assert_eq!(fraction.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fraction.code(), "invalid_request");

    let null = patch(json!({ "baseVersion": version, "language": null, "country": "ES" })).await;
    assert_eq!(null.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", null.body);
    assert_eq!(null.code(), "invalid_request");

    let empty = patch(json!({ "baseVersion": version, "lowBalance": {} })).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.code(), "invalid_request");

    let device = app
        .sign_in(json!({
            "email": "ana@example.com", "password": PASSWORD,
            "deviceName": format!("{}laptop", " ".repeat(95)),
        }))
        .await;
    assert_eq!(device.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", device.body);
    assert_eq!(device.code(), "invalid_device_name");

    let key = app
        .service(
            &format!("/v1/service/organizations/{}/balance-adjustments", app.org_id),
            json!({ "amountMinor": -1, "idempotencyKey": format!(" {}", "k".repeat(100)) }),
        )
        .await;
    assert_eq!(key.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(key.code(), "invalid_request");

    // Nothing of the refused ones changed anything.
    let now = app.account(&ana.token).await.body;
    assert_eq!(now["version"], version);
    assert_eq!(now["language"], "fr");
    assert_eq!(now["balance"]["amountMinor"], 10_000);
}
}
