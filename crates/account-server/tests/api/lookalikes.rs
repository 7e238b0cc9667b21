//! Look-alike addresses (UTS #39): refused when they mix alphabets or use compatibility
//! or invisible characters, and impossible beside an account whose address they imitate.

use account_model::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// The addresses of the test organization's member list, sorted.
async fn member_emails(app: &TestApp, token: &str) -> Vec<String> {
    let list = app.members(token).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let mut emails: Vec<String> = list.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["email"].as_str().expect("email").to_owned())
        .collect();
    emails.sort();
    emails
}

engine_test! {
async fn an_admin_cannot_take_an_address_that_passes_for_the_owners(engine) {
    let app = spawn_app(engine).await;
    let owner = app.user(Role::Owner, "owner@demo.example").await;
    let admin = app.user(Role::Admin, "admin@demo.example").await;

    // Cyrillic о (U+043E), Cyrillic е (U+0435) in the domain, fullwidth ｏ (U+FF4F).
    for (look_alike, named) in [
        ("оwner@demo.example", "U+043E"),
        ("owner@dеmo.example", "U+0435"),
        ("ｏwner2@demo.example", "U+FF4F"),
        ("owner\u{200B}@demo.example", "U+200B"),
    ] {
        let reply = app.email_change(&admin.token, look_alike, PASSWORD).await;

        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{look_alike}: {:?}", reply.body);
        assert_eq!(reply.code(), "email_confusable", "{look_alike}");
        let message = reply.body["message"].as_str().expect("message");
        assert!(message.contains(named), "{look_alike}: {message}");
        assert!(app.outbox(look_alike).await.is_empty(), "{look_alike}");
    }
    assert!(app.account(&admin.token).await.body["pendingEmailChange"].is_null());
    assert_eq!(
        member_emails(&app, &owner.token).await,
        ["admin@demo.example", "owner@demo.example"]
    );
}
}

engine_test! {
async fn an_address_that_looks_like_a_taken_one_gets_the_same_answer_as_a_taken_one(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.add_user(Role::Member, "ape@example.com", None).await;
    app.add_user(Role::Member, "modern@example.com", None).await;

    let taken = app.email_change(&ana.token, "ape@example.com", PASSWORD).await;
    // All Cyrillic (а, р, е): one script, so only the skeleton tells it from ape@….
    let cyrillic = app.email_change(&ana.token, "аре@example.com", PASSWORD).await;
    let rn = app.email_change(&ana.token, "rnodern@example.com", PASSWORD).await;

    assert_eq!(taken.code(), "email_taken");
    for reply in [&cyrillic, &rn] {
        // Nothing more than "taken": not which account, nor which address.
        assert_eq!(reply.status, taken.status);
        assert_eq!(reply.body, taken.body);
    }
    assert!(app.outbox("аре@example.com").await.is_empty());
    assert!(app.outbox("rnodern@example.com").await.is_empty());
}
}

engine_test! {
async fn a_look_alike_confirmed_first_refuses_the_other_at_confirmation(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let bob = app.user(Role::Owner, "bob@example.com").await;
    let started = app.email_change(&ana.token, "аре@example.com", PASSWORD).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    let ana_code = app.last_code("аре@example.com").await;
    app.email_change(&bob.token, "ape@example.com", PASSWORD).await;
    let bob_code = app.last_code("ape@example.com").await;
    assert_eq!(app.confirm(&bob.token, "email", &bob_code).await.status, StatusCode::OK);

    let reply = app.confirm(&ana.token, "email", &ana_code).await;

    assert_eq!(reply.code(), "email_taken");
    let after = app.account(&ana.token).await.body;
    assert_eq!(after["email"], "ana@example.com");
    assert!(after["pendingEmailChange"].is_null(), "{after}");
    assert_eq!(
        member_emails(&app, &bob.token).await,
        ["ana@example.com", "ape@example.com"]
    );
}
}

engine_test! {
async fn a_user_may_move_to_an_address_that_looks_like_their_own(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "modern@example.com").await;

    let started = app.email_change(&ana.token, "rnodern@example.com", PASSWORD).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{:?}", started.body);
    let code = app.last_code("rnodern@example.com").await;
    let confirmed = app.confirm(&ana.token, "email", &code).await;

    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    assert_eq!(confirmed.body["email"], "rnodern@example.com");
}
}

engine_test! {
async fn a_non_latin_address_in_one_script_is_accepted_and_stored_in_nfc(engine) {
    let app = spawn_app(engine).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    let bob = app.user(Role::Member, "bob@example.com").await;

    let cyrillic = app.email_change(&ana.token, "Пользователь@Пример.рф", PASSWORD).await;
    assert_eq!(cyrillic.status, StatusCode::ACCEPTED, "{:?}", cyrillic.body);
    assert_eq!(cyrillic.body["target"], "пользователь@пример.рф");
    // José typed with a combining accent is stored precomposed.
    let nfd = app.email_change(&bob.token, "jose\u{301}@example.com", PASSWORD).await;
    assert_eq!(nfd.status, StatusCode::ACCEPTED, "{:?}", nfd.body);
    assert_eq!(nfd.body["target"], "jos\u{e9}@example.com");
}
}
