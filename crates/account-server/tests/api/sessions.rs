use account_model::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

engine_test! {
async fn signing_in_returns_a_token_the_session_and_the_account(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Billing, "ana@example.com", None).await;

    let reply = app.sign_in(json!({ "email": "ANA@example.com", "password": PASSWORD, "deviceName": "Ana's laptop" })).await;

    assert_eq!(reply.status, StatusCode::OK);
    let token = reply.body["token"].as_str().expect("token");
    assert!(token.len() >= 43, "at least 256 bits, base64url");
    assert_eq!(reply.body["session"]["deviceName"], "Ana's laptop");
    assert_eq!(reply.body["session"]["current"], true);
    assert_eq!(reply.body["account"]["email"], "ana@example.com");
    assert_eq!(reply.body["account"]["role"], "billing");
    let account = app.account(token).await;
    assert_eq!(account.status, StatusCode::OK);
}
}

engine_test! {
async fn the_token_is_stored_only_as_a_hash(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Member, "ana@example.com", None).await;
    let token = app.login("ana@example.com", PASSWORD).await;

    let stored = app.everything_stored().await;

    let hex: String = token.bytes().map(|b| format!("{b:02x}")).collect();
    let holds = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    assert!(holds(b"ana@example.com"), "the dump holds the users");
    for needle in [token.as_bytes(), hex.as_bytes()] {
        assert!(!holds(needle), "token found in the database");
    }
}
}

engine_test! {
async fn wrong_password_and_unknown_user_get_the_same_refusal(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Member, "ana@example.com", None).await;

    let wrong = app
        .sign_in(json!({ "email": "ana@example.com", "password": "not the password at all" }))
        .await;
    let unknown = app
        .sign_in(json!({ "email": "nobody@example.com", "password": PASSWORD }))
        .await;
    let malformed = app
        .sign_in(json!({ "email": "not an email", "password": PASSWORD }))
        .await;

    for reply in [&wrong, &unknown, &malformed] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.code(), "invalid_credentials");
        assert_eq!(reply.body["message"], wrong.body["message"]);
    }
}
}

engine_test! {
async fn repeated_wrong_passwords_lock_the_account_with_growing_waits(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Member, "ana@example.com", None).await;
    let attempt =
        |pw: &'static str| app.sign_in(json!({ "email": "ana@example.com", "password": pw }));

    for _ in 0..4 {
        assert_eq!(
            attempt("wrong password number").await.code(),
            "invalid_credentials"
        );
    }
    // The fifth failure locks for 30 s; while locked even the right password is refused.
    assert_eq!(
        attempt("wrong password number").await.code(),
        "invalid_credentials"
    );
    let locked = attempt(PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.code(), "too_many_attempts");
    assert_eq!(locked.body["retryAfterSeconds"], 30);
    assert_eq!(locked.headers["retry-after"], "30");

    app.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(
        attempt("wrong password number").await.code(),
        "invalid_credentials"
    );
    assert_eq!(
        attempt(PASSWORD).await.body["retryAfterSeconds"],
        60,
        "doubled"
    );

    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(attempt(PASSWORD).await.status, StatusCode::OK);
    // Success cleared the counter: one wrong try does not lock again.
    assert_eq!(
        attempt("wrong password number").await.code(),
        "invalid_credentials"
    );
    assert_eq!(attempt(PASSWORD).await.status, StatusCode::OK);
}
}

engine_test! {
async fn unknown_emails_lock_too_so_a_lock_reveals_nothing(engine) {
    let app = spawn_app(engine).await;
    for _ in 0..5 {
        app.sign_in(json!({ "email": "ghost@example.com", "password": "whatever it may be" }))
            .await;
    }
    let reply = app
        .sign_in(json!({ "email": "ghost@example.com", "password": "whatever it may be" }))
        .await;
    assert_eq!(reply.code(), "too_many_attempts");
}
}

engine_test! {
async fn sessions_are_listed_and_revocable_one_or_all_others(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Member, "ana@example.com", None).await;
    let laptop = app.login("ana@example.com", PASSWORD).await;
    let phone = app.login("ana@example.com", PASSWORD).await;
    let tablet = app.login("ana@example.com", PASSWORD).await;

    let list = app
        .request(Method::GET, "/v1/sessions", Some(&laptop), None)
        .await;
    let sessions = list.body["sessions"].as_array().expect("list");
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(
        sessions
            .iter()
            .all(|s| s["createdAt"].is_string() && s["lastSeenAt"].is_string())
    );

    // Revoke the phone's session from the laptop.
    let phone_id = app
        .request(Method::GET, "/v1/sessions", Some(&phone), None)
        .await
        .body["sessions"]
        .as_array()
        .expect("list")
        .iter()
        .find(|s| s["current"] == true)
        .expect("current")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let revoked = app
        .request(
            Method::DELETE,
            &format!("/v1/sessions/{phone_id}"),
            Some(&laptop),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(app.account(&phone).await.code(), "unauthenticated");
    let again = app
        .request(
            Method::DELETE,
            &format!("/v1/sessions/{phone_id}"),
            Some(&laptop),
            None,
        )
        .await;
    assert_eq!(again.code(), "not_found");

    let others = app
        .request(
            Method::POST,
            "/v1/sessions/revoke-others",
            Some(&laptop),
            None,
        )
        .await;
    assert_eq!(others.body["revoked"], 1);
    assert_eq!(app.account(&tablet).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.account(&laptop).await.status, StatusCode::OK);
}
}

engine_test! {
async fn signing_out_ends_only_this_session(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Member, "ana@example.com", None).await;
    let a = app.login("ana@example.com", PASSWORD).await;
    let b = app.login("ana@example.com", PASSWORD).await;

    let out = app
        .request(Method::DELETE, "/v1/sessions/current", Some(&a), None)
        .await;

    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(app.account(&a).await.code(), "unauthenticated");
    assert_eq!(app.account(&b).await.status, StatusCode::OK);
}
}

engine_test! {
async fn idle_sessions_expire(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Member, "ana@example.com", None).await;
    let token = app.login("ana@example.com", PASSWORD).await;
    app.clock.advance(chrono::Duration::days(29));
    assert_eq!(
        app.account(&token).await.status,
        StatusCode::OK,
        "use renews the session"
    );
    app.clock.advance(chrono::Duration::days(31));
    assert_eq!(app.account(&token).await.code(), "unauthenticated");
}
}

engine_test! {
async fn answers_with_accounts_or_tokens_are_never_stored_by_caches_nor_sniffed(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Owner, "ana@example.com", None).await;
    let signed = app.sign_in(json!({ "email": "ana@example.com", "password": PASSWORD })).await;
    let token = signed.body["token"].as_str().expect("token").to_owned();
    let account = app.account(&token).await;
    let sessions = app.request(Method::GET, "/v1/sessions", Some(&token), None).await;
    let refused = app.request(Method::GET, "/v1/account", None, None).await;
    for (what, reply) in [
        ("sign-in", &signed),
        ("account", &account),
        ("sessions", &sessions),
        ("401", &refused),
    ] {
        assert_eq!(reply.headers["cache-control"], "no-store", "{what}");
        assert_eq!(reply.headers["x-content-type-options"], "nosniff", "{what}");
    }
}
}

engine_test! {
async fn the_authorization_scheme_is_matched_in_any_case(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let t = &ana.token;
    for (header, status) in [
        (format!("bearer {t}"), StatusCode::OK),
        (format!("BEARER {t}"), StatusCode::OK),
        (format!("Bearer  {t}"), StatusCode::OK),
        (format!("Basic {t}"), StatusCode::UNAUTHORIZED),
        (format!("Bearer{t}"), StatusCode::UNAUTHORIZED),
    ] {
        let reply = app
            .client
            .get(format!("{}/v1/account", app.base))
            .header("authorization", &header)
            .send()
            .await
            .expect("sent");
        assert_eq!(reply.status(), status, "{header}");
    }
}
}

engine_test! {
async fn requests_without_a_valid_token_are_unauthenticated(engine) {
    let app = spawn_app(engine).await;
    for token in [None, Some("garbage"), Some("")] {
        let reply = app.request(Method::GET, "/v1/account", token, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.code(), "unauthenticated");
    }
}
}

engine_test! {
async fn detected_region_is_applied_on_first_sign_in_only(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Member, "ana@example.com", None).await;
    let detected = json!({ "language": "es", "country": "MX", "timeZone": "America/Mexico_City" });

    let first = app
        .sign_in(json!({ "email": "ana@example.com", "password": PASSWORD, "detected": detected }))
        .await;
    assert_eq!(first.body["account"]["language"], "es");
    assert_eq!(first.body["account"]["country"], "MX");
    assert_eq!(first.body["account"]["timeZone"], "America/Mexico_City");
    assert_eq!(first.body["account"]["regionConfigured"], true);

    let other = json!({ "language": "de", "country": "DE", "timeZone": "Europe/Berlin" });
    let second = app
        .sign_in(json!({ "email": "ana@example.com", "password": PASSWORD, "detected": other }))
        .await;
    assert_eq!(
        second.body["account"]["language"], "es",
        "never overrides what is set"
    );

    let bad = app.sign_in(json!({ "email": "ana@example.com", "password": PASSWORD, "detected": { "timeZone": "Mars/Base" } })).await;
    assert_eq!(bad.code(), "invalid_time_zone");
}
}

engine_test! {
async fn parallel_guesses_cannot_slip_past_the_lockout(engine) {
    let app = spawn_app(engine).await;
    app.add_user(Role::Member, "ana@example.com", None).await;
    let mut guesses = Vec::new();
    for i in 0..20 {
        let (client, base) = (app.client.clone(), app.base.clone());
        guesses.push(tokio::spawn(async move {
            let reply = client
                .post(format!("{base}/v1/sessions"))
                .json(&json!({ "email": "ana@example.com", "password": format!("wrong guess number {i}") }))
                .send()
                .await
                .expect("sent");
            let body: serde_json::Value = reply.json().await.expect("json");
            body["code"].as_str().unwrap_or("").to_owned()
        }));
    }
    let mut checked = 0;
    for guess in guesses {
        match guess.await.expect("joined").as_str() {
            "invalid_credentials" => checked += 1,
            "too_many_attempts" => {}
            other => panic!("unexpected {other}"),
        }
    }

    assert_eq!(
        checked, 5,
        "only failures_before_lockout guesses are ever checked"
    );
    let right = app
        .sign_in(json!({ "email": "ana@example.com", "password": PASSWORD }))
        .await;
    assert_eq!(right.code(), "too_many_attempts");
}
}
