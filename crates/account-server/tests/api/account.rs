use account_model::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

engine_test! {
async fn the_account_has_everything_the_user_info_section_shows(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Admin, "ana@example.com").await;

    let reply = app.account(&ana.token).await;

    assert_eq!(reply.status, StatusCode::OK);
    let a = &reply.body;
    assert_eq!(a["name"], "Test Person");
    assert_eq!(a["email"], "ana@example.com");
    assert_eq!(a["phone"], "+34600123456");
    assert_eq!(a["role"], "admin");
    assert_eq!(a["permissions"], json!(["view_billing", "view_members"]));
    assert_eq!(a["organization"]["name"], "Acme Marketing");
    assert_eq!(a["organization"]["currency"], "EUR");
    assert_eq!(a["language"], "en");
    assert_eq!(a["timeZone"], "UTC");
    assert_eq!(a["notifications"]["contactImports"], json!(["email"]));
    assert_eq!(a["notifications"]["billing"], json!(["email"]));
    assert_eq!(a["notifications"]["lowBalance"]["enabled"], false);
    assert!(a["version"].as_i64().expect("version") >= 1);
}
}

engine_test! {
async fn conditional_get_answers_304_until_the_account_changes(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let first = app.account(&ana.token).await;
    let etag = first.headers["etag"].to_str().expect("etag").to_owned();
    assert_eq!(
        etag,
        format!(
            "\"{}-{}-0\"",
            first.body["version"], first.body["balance"]["amountMinor"]
        )
    );

    let unchanged = app.account_if(&ana.token, &etag).await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);

    app.preferences(
        &ana.token,
        json!({ "baseVersion": first.body["version"], "language": "fr" }),
    )
    .await;
    let changed = app.account_if(&ana.token, &etag).await;
    assert_eq!(changed.status(), StatusCode::OK);
}
}

engine_test! {
async fn a_pending_change_expiring_changes_the_etag_though_nothing_was_written(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.email_change(&ana.token, "new@example.com", PASSWORD).await;
    let pending = app.account(&ana.token).await;
    assert!(pending.body["pendingEmailChange"].is_object());
    let etag = pending.headers["etag"].to_str().expect("etag").to_owned();
    assert!(etag.ends_with("-1\""), "{etag}");
    assert_eq!(
        app.account_if(&ana.token, &etag).await.status(),
        StatusCode::NOT_MODIFIED
    );

    app.clock.advance(chrono::Duration::seconds(601));

    let after = app.account_if(&ana.token, &etag).await;
    assert_eq!(after.status(), StatusCode::OK, "an expired code step is no longer current");
    let new_etag = after.headers()["etag"].to_str().expect("etag").to_owned();
    let body: serde_json::Value = after.json().await.expect("json");
    assert!(body["pendingEmailChange"].is_null(), "{body}");
    assert_eq!(body["version"], pending.body["version"]);
    assert_ne!(new_etag, etag);
    assert_eq!(
        app.account_if(&ana.token, &new_etag).await.status(),
        StatusCode::NOT_MODIFIED
    );
}
}

engine_test! {
async fn changing_the_password_signs_out_other_sessions_and_tells_the_user(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let other = app.login("ana@example.com", PASSWORD).await;
    let new = "saffron glacier piano thunder";

    let reply = app.change_password(&ana.token, PASSWORD, new, new).await;

    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    assert_eq!(
        app.account(&ana.token).await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(app.account(&other).await.code(), "unauthenticated");
    assert_eq!(
        app.sign_in(json!({ "email": "ana@example.com", "password": PASSWORD }))
            .await
            .code(),
        "invalid_credentials"
    );
    app.login("ana@example.com", new).await;
    let mail = app.outbox("ana@example.com").await;
    assert_eq!(mail.last().expect("notice").kind, "password_changed");
}
}

engine_test! {
async fn password_changes_are_refused_with_the_rule_that_failed(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let good = "saffron glacier piano thunder";
    let cases = [
        (
            PASSWORD,
            good,
            "saffron glacier piano thunderX",
            "password_mismatch",
        ),
        (PASSWORD, "too short", "too short", "password_too_short"),
        (
            PASSWORD,
            "1qaz2wsx3edc4rfv",
            "1qaz2wsx3edc4rfv",
            "password_too_common",
        ),
        (
            PASSWORD,
            "aaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaa",
            "password_too_weak",
        ),
        (
            PASSWORD,
            "ana-saffron-glacier-piano",
            "ana-saffron-glacier-piano",
            "password_contains_personal_info",
        ),
        (PASSWORD, PASSWORD, PASSWORD, "password_unchanged"),
        ("not my password at all", good, good, "wrong_password"),
    ];
    for (current, new, repeat, code) in cases {
        let reply = app.change_password(&ana.token, current, new, repeat).await;
        assert_eq!(reply.code(), code, "{new}");
    }
    let weak = app
        .change_password(
            &ana.token,
            PASSWORD,
            "aaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaa",
        )
        .await;
    assert_eq!(weak.body["details"]["score"], 0);
    // Nothing changed: the old password still signs in.
    app.login("ana@example.com", PASSWORD).await;
}
}

engine_test! {
async fn wrong_current_passwords_count_toward_the_lockout(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    for _ in 0..5 {
        let reply = app
            .change_password(
                &ana.token,
                "not my password at all",
                "saffron glacier piano thunder",
                "saffron glacier piano thunder",
            )
            .await;
        assert_eq!(reply.code(), "wrong_password");
    }
    let locked = app
        .email_change(&ana.token, "new@example.com", PASSWORD)
        .await;
    assert_eq!(locked.code(), "too_many_attempts");
    let sign_in = app
        .sign_in(json!({ "email": "ana@example.com", "password": PASSWORD }))
        .await;
    assert_eq!(sign_in.code(), "too_many_attempts");
}
}

engine_test! {
async fn the_strength_meter_scores_without_storing(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let meter = |pw: &'static str| {
        app.request(
            Method::POST,
            "/v1/account/password-strength",
            Some(&ana.token),
            Some(json!({ "password": pw })),
        )
    };
    let weak = meter("password").await;
    assert_eq!(
        weak.body,
        json!({
            "score": 0,
            "acceptable": false,
            "reasons": ["password_too_short", "password_too_common", "password_too_weak"],
        })
    );
    // Strong words around her own email's name part: refused, and the meter says why.
    let personal = meter("saffron ana glacier piano thunder").await;
    assert_eq!(personal.body["acceptable"], false);
    assert_eq!(personal.body["reasons"], json!(["password_contains_personal_info"]));
    let strong = meter("saffron glacier piano thunder").await;
    assert_eq!(strong.body["acceptable"], true);
    assert_eq!(strong.body["reasons"], json!([]));
    assert!(strong.body["score"].as_u64().expect("score") >= 3);
}
}

engine_test! {
async fn a_read_after_a_write_through_the_same_instance_sees_the_write_at_once(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Billing, "ana@example.com").await;
    let services = &app.app.services;
    let read = || async {
        match services.read_account(&ana.token, &[], false).await.expect("read") {
            account_server::service::account::AccountRead::View(view) => *view,
            other => panic!("{other:?}"),
        }
    };
    let before = read().await; // now in the account cache

    // Without yielding to the event pump in between (this test runs on one thread): the
    // write itself forgets the copy it made stale.
    let update = account_model::PreferencesUpdate::try_from(
        &serde_json::from_value::<account_model::dto::UpdatePreferencesRequest>(
            json!({ "baseVersion": before.version, "language": "it" }),
        )
        .expect("request"),
    )
    .expect("update");
    let caller = services.authenticate(&ana.token).await.expect("caller");
    services.update_preferences(&caller, update, None).await.expect("updated");
    let after = read().await;
    services.adjust_balance(app.org_id, -250, "k1", None).await.expect("adjusted");
    let charged = read().await;
    services.revoke_other_sessions(&caller).await.expect("revoked"); // (none)
    services.sign_out(&caller).await.expect("signed out");
    let gone = services.read_account(&ana.token, &[], false).await;

    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.language, account_model::Language::It);
    assert_eq!(charged.balance.amount_minor, before.balance.amount_minor - 250);
    assert_eq!(gone.expect_err("signed out").code, account_model::ErrorCode::Unauthenticated);
}
}
