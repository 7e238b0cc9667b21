use account_model::Role;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

engine_test! {
async fn an_email_change_is_confirmed_by_the_code_sent_to_the_new_address(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.preferences(&ana.token, json!({ "baseVersion": 1, "language": "es" }))
        .await;

    let started = app
        .email_change(&ana.token, "Ana.New@Example.com", PASSWORD)
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    assert_eq!(started.body["target"], "ana.new@example.com");
    let pending = app.account(&ana.token).await.body["pendingEmailChange"].clone();
    assert_eq!(pending["target"], "ana.new@example.com");

    let messages = app.outbox("ana.new@example.com").await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].kind, "email_change_code");
    assert_eq!(messages[0].language, "es");
    assert!(
        messages[0].subject.contains("Confirma"),
        "{}",
        messages[0].subject
    );
    let code = app.last_code("ana.new@example.com").await;

    let confirmed = app.confirm(&ana.token, "email", &code).await;

    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    assert_eq!(confirmed.body["email"], "ana.new@example.com");
    assert!(confirmed.body.get("pendingEmailChange").is_none());
    let old = app.outbox("ana@example.com").await;
    assert_eq!(
        old.last().expect("notice to the old address").kind,
        "email_changed"
    );
    assert!(
        old.last()
            .expect("notice")
            .body
            .contains("a***@example.com")
    );
    app.login("ana.new@example.com", PASSWORD).await;
    // Single use.
    assert_eq!(
        app.confirm(&ana.token, "email", &code).await.code(),
        "no_pending_change"
    );
}
}

engine_test! {
async fn an_email_change_needs_the_password_and_a_free_new_address(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.add_user(Role::Member, "taken@example.com", None).await;

    assert_eq!(
        app.email_change(&ana.token, "new@example.com", "wrong password here")
            .await
            .code(),
        "wrong_password"
    );
    assert_eq!(
        app.email_change(&ana.token, "taken@example.com", PASSWORD)
            .await
            .code(),
        "email_taken"
    );
    assert_eq!(
        app.email_change(&ana.token, "ANA@example.com", PASSWORD)
            .await
            .code(),
        "email_unchanged"
    );
    assert_eq!(
        app.email_change(&ana.token, "not-an-email", PASSWORD)
            .await
            .code(),
        "invalid_email"
    );
    assert!(app.outbox("new@example.com").await.is_empty());
    assert!(app.outbox("taken@example.com").await.is_empty());
}
}

engine_test! {
async fn an_address_taken_while_pending_is_refused_at_confirmation(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let bob = app.user(Role::Member, "bob@example.com").await;
    app.email_change(&ana.token, "shared@example.com", PASSWORD)
        .await;
    let ana_code = app.last_code("shared@example.com").await;
    app.email_change(&bob.token, "shared@example.com", PASSWORD)
        .await;
    let bob_code = app.last_code("shared@example.com").await;
    let pending = app.account(&ana.token).await.body;
    assert!(pending["pendingEmailChange"].is_object());

    assert_eq!(
        app.confirm(&bob.token, "email", &bob_code).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.confirm(&ana.token, "email", &ana_code).await.code(),
        "email_taken"
    );
    let after = app.account(&ana.token).await.body;
    assert_eq!(after["email"], "ana@example.com");
    // The code step is gone, and the version moved: a client holding the old view
    // (and ETag) learns it, rather than keep a code step that no longer exists.
    assert!(after["pendingEmailChange"].is_null(), "{after}");
    assert!(
        after["version"].as_i64() > pending["version"].as_i64(),
        "{} → {}",
        pending["version"],
        after["version"]
    );
}
}

engine_test! {
async fn codes_expire_after_ten_minutes(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.email_change(&ana.token, "new@example.com", PASSWORD)
        .await;
    let code = app.last_code("new@example.com").await;

    app.clock.advance(Duration::seconds(601));

    let reply = app.confirm(&ana.token, "email", &code).await;
    assert_eq!(reply.status, StatusCode::GONE);
    assert_eq!(reply.code(), "code_expired");
    assert_eq!(
        app.account(&ana.token).await.body["email"],
        "ana@example.com"
    );
    assert_eq!(
        app.confirm(&ana.token, "email", &code).await.code(),
        "no_pending_change"
    );
}
}

engine_test! {
async fn five_wrong_codes_void_the_change(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.email_change(&ana.token, "new@example.com", PASSWORD)
        .await;
    let code = app.last_code("new@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    for left in (1..=4).rev() {
        let reply = app.confirm(&ana.token, "email", wrong).await;
        assert_eq!(reply.code(), "code_invalid");
        assert_eq!(reply.body["details"]["attemptsLeft"], left);
    }
    assert_eq!(
        app.confirm(&ana.token, "email", "12ab").await.code(),
        "code_attempts_exceeded",
        "malformed counts too"
    );
    assert_eq!(
        app.confirm(&ana.token, "email", &code).await.code(),
        "no_pending_change",
        "the right code no longer works"
    );
}
}

engine_test! {
async fn resending_waits_for_the_cooldown_and_replaces_the_code(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.email_change(&ana.token, "new@example.com", PASSWORD)
        .await;
    let first = app.last_code("new@example.com").await;

    let early = app.resend(&ana.token, "email").await;
    assert_eq!(early.code(), "resend_too_soon");
    assert_eq!(early.body["retryAfterSeconds"], 60);

    app.clock.advance(Duration::seconds(60));
    let resent = app.resend(&ana.token, "email").await;
    assert_eq!(resent.status, StatusCode::ACCEPTED);
    assert_eq!(app.outbox("new@example.com").await.len(), 2);
    let second = app.last_code("new@example.com").await;
    if first != second {
        assert_eq!(
            app.confirm(&ana.token, "email", &first).await.code(),
            "code_invalid"
        );
    }
    assert_eq!(
        app.confirm(&ana.token, "email", &second).await.status,
        StatusCode::OK
    );
}
}

engine_test! {
async fn cancelling_and_starting_again_waits_for_the_cooldown_like_a_resend(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let first = app.phone_change(&ana.token, "+34611000001", PASSWORD).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{:?}", first.body);
    assert_eq!(app.cancel(&ana.token, "phone").await.status, StatusCode::NO_CONTENT);

    for number in ["+34611000001", "+34611000002"] {
        let again = app.phone_change(&ana.token, number, PASSWORD).await;
        assert_eq!(again.code(), "resend_too_soon", "{number}: {:?}", again.body);
        assert_eq!(again.body["retryAfterSeconds"], 60);
        assert_eq!(again.headers["retry-after"], "60");
    }
    // The other channel has a cooldown of its own.
    let email = app.email_change(&ana.token, "new@example.com", PASSWORD).await;
    assert_eq!(email.status, StatusCode::ACCEPTED, "{:?}", email.body);

    app.clock.advance(Duration::seconds(60));
    let later = app.phone_change(&ana.token, "+34611000002", PASSWORD).await;
    assert_eq!(later.status, StatusCode::ACCEPTED, "{:?}", later.body);
    assert_eq!(app.outbox("+34611000001").await.len(), 1, "one SMS to the first number");
    assert_eq!(app.outbox("+34611000002").await.len(), 1);
}
}

engine_test! {
async fn hourly_and_daily_send_caps_hold(engine) {
    let app = spawn_app_with(engine, |c| {
        c.limits.code_sends_per_hour = 3;
        c.limits.code_sends_per_day = 4;
    })
    .await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.phone_change(&ana.token, "+34611000001", PASSWORD).await;
    for _ in 0..2 {
        app.clock.advance(Duration::seconds(61));
        assert_eq!(
            app.resend(&ana.token, "phone").await.status,
            StatusCode::ACCEPTED
        );
    }
    app.clock.advance(Duration::seconds(61));
    let capped = app.resend(&ana.token, "phone").await;
    assert_eq!(capped.code(), "send_limit_reached");
    assert!(
        capped.body["message"]
            .as_str()
            .expect("msg")
            .contains("hour")
    );

    app.clock.advance(Duration::minutes(60));
    assert_eq!(
        app.resend(&ana.token, "phone").await.status,
        StatusCode::ACCEPTED,
        "4th of the day"
    );
    app.clock.advance(Duration::minutes(61));
    let daily = app.resend(&ana.token, "phone").await;
    assert_eq!(daily.code(), "send_limit_reached");
    assert!(daily.body["message"].as_str().expect("msg").contains("day"));
    assert_eq!(app.outbox("+34611000001").await.len(), 4);
    // Email has its own caps.
    assert_eq!(
        app.email_change(&ana.token, "new@example.com", PASSWORD)
            .await
            .status,
        StatusCode::ACCEPTED
    );
}
}

engine_test! {
async fn cancelling_ends_the_pending_change(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.email_change(&ana.token, "new@example.com", PASSWORD)
        .await;
    let code = app.last_code("new@example.com").await;

    assert_eq!(
        app.cancel(&ana.token, "email").await.status,
        StatusCode::NO_CONTENT
    );

    assert_eq!(
        app.confirm(&ana.token, "email", &code).await.code(),
        "no_pending_change"
    );
    assert_eq!(
        app.cancel(&ana.token, "email").await.code(),
        "no_pending_change"
    );
    assert_eq!(
        app.resend(&ana.token, "email").await.code(),
        "no_pending_change"
    );
    assert!(
        app.account(&ana.token)
            .await
            .body
            .get("pendingEmailChange")
            .is_none()
    );
}
}

engine_test! {
async fn a_phone_change_is_validated_by_sms_code(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;

    let started = app
        .phone_change(&ana.token, "+34 611 22 33 44", PASSWORD)
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    assert_eq!(started.body["target"], "+34611223344");
    let sms = app.outbox("+34611223344").await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].channel, "sms");
    assert!(sms[0].subject.is_empty());
    let code = app.last_code("+34611223344").await;

    let wrong = app
        .confirm(
            &ana.token,
            "phone",
            if code == "999999" { "000000" } else { "999999" },
        )
        .await;
    assert_eq!(wrong.code(), "code_invalid");
    let confirmed = app.confirm(&ana.token, "phone", &code).await;

    assert_eq!(confirmed.status, StatusCode::OK);
    assert_eq!(confirmed.body["phone"], "+34611223344");
    let notice = app.outbox("ana@example.com").await;
    assert_eq!(notice.last().expect("notice").kind, "phone_changed");
    assert!(notice.last().expect("notice").body.contains("344"));
}
}

engine_test! {
async fn phone_numbers_are_checked_before_any_sms(engine) {
    let app = spawn_app_with(engine, |c| c.sms_allowed_countries = vec!["ES".into()]).await;
    let ana = app.user(Role::Member, "ana@example.com").await;

    assert_eq!(
        app.phone_change(&ana.token, "611223344", PASSWORD)
            .await
            .code(),
        "invalid_phone"
    );
    assert_eq!(
        app.phone_change(&ana.token, "+34 12", PASSWORD)
            .await
            .code(),
        "invalid_phone"
    );
    assert_eq!(
        app.phone_change(&ana.token, "+1 415 555 2671", PASSWORD)
            .await
            .code(),
        "phone_country_not_allowed"
    );
    assert_eq!(
        app.phone_change(&ana.token, "+34600123456", PASSWORD)
            .await
            .code(),
        "phone_unchanged"
    );
    assert_eq!(
        app.phone_change(&ana.token, "+34611223344", "wrong password here")
            .await
            .code(),
        "wrong_password"
    );
    assert!(app.outbox("+14155552671").await.is_empty());
    assert!(app.outbox("+34611223344").await.is_empty());
}
}
