//! Every endpoint, through the client, against the real server.

use account_client::AccountFetch;
use account_client::IdempotencyKey;
use account_model::dto::{LowBalanceUpdate, UpdatePreferencesRequest};
use account_model::{ChangeKind, Channel, Country, ErrorCode, Language, NewContact, Role};
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{password, spawn_server};

#[tokio::test]
async fn sign_in_returns_a_token_the_current_session_and_the_account() {
    let server = spawn_server().await;
    server.add_user(Role::Billing, "ana@example.com").await;

    let signed = server
        .client
        .sign_in("ana@example.com", &password(), Some("Ana's laptop"), None)
        .await
        .expect("signed in");

    assert_eq!(signed.account.email.as_str(), "ana@example.com");
    assert_eq!(signed.account.role, Role::Billing);
    assert_eq!(signed.session.device_name, "Ana's laptop");
    assert!(signed.session.current);
    assert!(!format!("{signed:?}").contains(secrecy::ExposeSecret::expose_secret(&signed.token)));
}

#[tokio::test]
async fn detected_region_defaults_sent_at_first_sign_in_are_applied() {
    let server = spawn_server().await;
    server.add_user(Role::Member, "ana@example.com").await;
    let detected = account_model::dto::RegionDefaults {
        language: Some("fr".into()),
        country: Some("FR".into()),
        time_zone: Some("Europe/Paris".into()),
    };

    let signed = server
        .client
        .sign_in("ana@example.com", &password(), None, Some(detected))
        .await
        .expect("signed in");

    assert_eq!(signed.account.language, Language::Fr);
    assert_eq!(signed.account.country, Country::parse("FR").ok());
    assert_eq!(signed.account.time_zone.as_str(), "Europe/Paris");
    assert!(signed.account.region_configured);
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_the_servers_code_and_message() {
    let server = spawn_server().await;
    server.add_user(Role::Member, "ana@example.com").await;

    let err = server
        .client
        .sign_in(
            "ana@example.com",
            &SecretString::from("not the password at all"),
            None,
            None,
        )
        .await
        .expect_err("refused");

    let refusal = err.refusal().expect("a refusal, not a network failure");
    assert_eq!(refusal.code, ErrorCode::InvalidCredentials);
    assert_eq!(refusal.status, 401);
    assert!(!refusal.message.is_empty());
    assert!(!err.is_network());
}

#[tokio::test]
async fn the_account_is_fetched_then_not_modified_until_it_changes() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let AccountFetch::Fresh(first, tag) = server.client.account(&token, None).await.expect("get")
    else {
        panic!("an unconditional GET returns the account");
    };

    let again = server
        .client
        .account(&token, Some(&tag))
        .await
        .expect("get");
    server
        .client
        .update_preferences(
            &token,
            &UpdatePreferencesRequest {
                base_version: first.version,
                language: Some("de".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("update");
    let after = server
        .client
        .account(&token, Some(&tag))
        .await
        .expect("get");

    assert_eq!(again, AccountFetch::NotModified);
    let AccountFetch::Fresh(changed, new_tag) = after else {
        panic!("a changed account is sent again");
    };
    assert_eq!(changed.language, Language::De);
    assert_eq!(changed.version, first.version + 1);
    assert_ne!(
        new_tag, tag,
        "the tag is opaque, but a change gives a new one"
    );
}

#[tokio::test]
async fn a_preferences_update_repeated_with_its_idempotency_key_applies_once() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Billing, "ana@example.com").await;
    let update = UpdatePreferencesRequest {
        base_version: 1,
        language: Some("it".into()),
        low_balance: Some(LowBalanceUpdate {
            enabled: Some(true),
            threshold_minor: Some(2_500),
            channels: Some(vec!["desktop".into(), "email".into()]),
        }),
        ..Default::default()
    };
    let key = IdempotencyKey::generate();

    let first = server
        .client
        .update_preferences(&token, &update, Some(&key))
        .await
        .expect("applied");
    let second = server
        .client
        .update_preferences(&token, &update, Some(&key))
        .await
        .expect("replayed");

    assert_eq!(first, second, "the repeat gets the first answer");
    assert_eq!(first.version, 2, "applied exactly once");
    let low = first.notifications.low_balance.expect("billing user");
    assert_eq!(low.threshold_minor, 2_500);
    assert_eq!(low.channels, vec![Channel::Email, Channel::Desktop]);
    let AccountFetch::Fresh(now, _) = server.client.account(&token, None).await.expect("get")
    else {
        panic!("fresh");
    };
    assert_eq!(now.version, 2);
}

#[tokio::test]
async fn a_reused_idempotency_key_with_another_body_is_refused() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let key = IdempotencyKey::generate();
    let update = |lang: &str| UpdatePreferencesRequest {
        base_version: 1,
        language: Some(lang.into()),
        ..Default::default()
    };
    server
        .client
        .update_preferences(&token, &update("es"), Some(&key))
        .await
        .expect("first");

    let err = server
        .client
        .update_preferences(&token, &update("pt"), Some(&key))
        .await
        .expect_err("refused");

    assert_eq!(err.code(), ErrorCode::IdempotencyKeyReused);
}

#[tokio::test]
async fn a_stale_update_is_refused_with_the_conflicting_fields_and_the_current_account() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let update = |lang: &str| UpdatePreferencesRequest {
        base_version: 1,
        language: Some(lang.into()),
        ..Default::default()
    };
    server
        .client
        .update_preferences(&token, &update("es"), None)
        .await
        .expect("first");

    let err = server
        .client
        .update_preferences(&token, &update("pt"), None)
        .await
        .expect_err("conflict");

    let refusal = err.refusal().expect("refusal");
    assert_eq!(refusal.code, ErrorCode::VersionConflict);
    assert_eq!(refusal.status, 409);
    let details = refusal.details.as_ref().expect("details");
    assert_eq!(details["fields"], json!(["language"]));
    assert_eq!(details["current"]["language"], "es");
}

#[tokio::test]
async fn sessions_are_listed_revoked_one_by_one_and_all_others_at_once() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let second = server
        .client
        .sign_in("ana@example.com", &password(), Some("phone"), None)
        .await
        .expect("second")
        .token;
    server
        .client
        .sign_in("ana@example.com", &password(), Some("tablet"), None)
        .await
        .expect("third");

    let listed = server.client.sessions(&token).await.expect("list");
    let phone = listed
        .iter()
        .find(|s| s.device_name == "phone")
        .expect("phone session");
    server
        .client
        .revoke_session(&token, &phone.id)
        .await
        .expect("revoked");
    let revoked_phone = server.client.sessions(&second).await.expect_err("revoked");
    let unknown = server
        .client
        .revoke_session(&token, "no-such-session")
        .await
        .expect_err("unknown");
    let others = server
        .client
        .revoke_other_sessions(&token)
        .await
        .expect("others");
    let left = server.client.sessions(&token).await.expect("list");

    assert_eq!(listed.len(), 3);
    assert_eq!(listed.iter().filter(|s| s.current).count(), 1);
    assert_eq!(revoked_phone.code(), ErrorCode::Unauthenticated);
    assert_eq!(unknown.code(), ErrorCode::NotFound);
    assert_eq!(others, 1);
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
}

#[tokio::test]
async fn signing_out_revokes_the_token() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;

    server.client.sign_out(&token).await.expect("signed out");
    let err = server
        .client
        .account(&token, None)
        .await
        .expect_err("revoked");

    assert_eq!(err.code(), ErrorCode::Unauthenticated);
    assert_eq!(err.refusal().map(|r| r.status), Some(401));
}

#[tokio::test]
async fn the_password_changes_with_the_current_one_and_other_sessions_end() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    let other = server
        .client
        .sign_in("ana@example.com", &password(), Some("other"), None)
        .await
        .expect("other")
        .token;
    let new = SecretString::from("violet harbor sandwich telescope");

    let wrong = server
        .client
        .change_password(
            &token,
            &SecretString::from("wrong current password"),
            &new,
            &new,
        )
        .await
        .expect_err("wrong current");
    let mismatch = server
        .client
        .change_password(
            &token,
            &password(),
            &new,
            &SecretString::from("violet harbor sandwich telescopes"),
        )
        .await
        .expect_err("mismatch");
    server
        .client
        .change_password(&token, &password(), &new, &new)
        .await
        .expect("changed");

    assert_eq!(wrong.code(), ErrorCode::WrongPassword);
    assert_eq!(mismatch.code(), ErrorCode::PasswordMismatch);
    assert_eq!(
        server
            .client
            .sessions(&other)
            .await
            .expect_err("ended")
            .code(),
        ErrorCode::Unauthenticated
    );
    server
        .client
        .sign_in("ana@example.com", &new, None, None)
        .await
        .expect("the new password signs in");
}

#[tokio::test]
async fn the_strength_meter_scores_a_candidate() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;

    let weak = server
        .client
        .password_strength(&token, &SecretString::from("aaaaaaaaaaaaaaa"))
        .await
        .expect("weak");
    let strong = server
        .client
        .password_strength(
            &token,
            &SecretString::from("violet harbor sandwich telescope"),
        )
        .await
        .expect("strong");

    assert!(!weak.acceptable);
    assert!(weak.score < 3);
    assert_eq!(weak.reasons, [account_model::Refusal::TooWeak]);
    assert!(strong.acceptable);
    assert!(strong.reasons.is_empty());
    assert!(strong.score >= 3);
}

#[tokio::test]
async fn an_email_change_is_requested_resent_after_the_cooldown_and_confirmed_by_code() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;

    let pending = server
        .client
        .request_change(
            &token,
            NewContact::Email("Ana.New@Example.com"),
            &password(),
        )
        .await
        .expect("requested");
    let too_soon = server
        .client
        .resend_code(&token, ChangeKind::Email)
        .await
        .expect_err("cooldown");
    server.clock.advance(chrono::Duration::seconds(61));
    server
        .client
        .resend_code(&token, ChangeKind::Email)
        .await
        .expect("resent");
    let bad_code = server
        .client
        .confirm_change(&token, ChangeKind::Email, "000000")
        .await
        .expect_err("bad code");
    let code = server.last_code("ana.new@example.com").await;
    let account = server
        .client
        .confirm_change(&token, ChangeKind::Email, &code)
        .await
        .expect("confirmed");

    assert_eq!(pending.target, "ana.new@example.com");
    let refusal = too_soon.refusal().expect("refusal");
    assert_eq!(refusal.code, ErrorCode::ResendTooSoon);
    assert!(refusal.retry_after_seconds.is_some());
    assert_eq!(bad_code.code(), ErrorCode::CodeInvalid);
    assert_eq!(account.email.as_str(), "ana.new@example.com");
    assert!(account.pending_email_change.is_none());
}

#[tokio::test]
async fn a_pending_email_change_can_be_cancelled_once() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;
    server
        .client
        .request_change(
            &token,
            NewContact::Email("ana.new@example.com"),
            &password(),
        )
        .await
        .expect("requested");

    server
        .client
        .cancel_change(&token, ChangeKind::Email)
        .await
        .expect("cancelled");
    let again = server
        .client
        .cancel_change(&token, ChangeKind::Email)
        .await
        .expect_err("nothing pending");

    assert_eq!(again.code(), ErrorCode::NoPendingChange);
}

#[tokio::test]
async fn a_phone_change_is_confirmed_by_the_sms_code_and_refused_with_a_wrong_password() {
    let server = spawn_server().await;
    let token = server.signed_in(Role::Member, "ana@example.com").await;

    let wrong = server
        .client
        .request_change(
            &token,
            NewContact::Phone("+33 6 12 34 56 78"),
            &SecretString::from("wrong password here"),
        )
        .await
        .expect_err("wrong password");
    let invalid = server
        .client
        .request_change(&token, NewContact::Phone("12"), &password())
        .await
        .expect_err("invalid");
    let pending = server
        .client
        .request_change(&token, NewContact::Phone("+33 6 12 34 56 78"), &password())
        .await
        .expect("requested");
    let too_soon = server
        .client
        .resend_code(&token, ChangeKind::Phone)
        .await
        .expect_err("cooldown");
    let code = server.last_code(&pending.target).await;
    let account = server
        .client
        .confirm_change(&token, ChangeKind::Phone, &code)
        .await
        .expect("confirmed");

    assert_eq!(wrong.code(), ErrorCode::WrongPassword);
    assert_eq!(invalid.code(), ErrorCode::InvalidPhone);
    assert_eq!(too_soon.code(), ErrorCode::ResendTooSoon);
    assert_eq!(
        account.phone.as_ref().map(|p| p.as_str()),
        Some("+33612345678")
    );
    // A new code by SMS waits for the cooldown of the last one, whatever the number.
    server.clock.advance(chrono::Duration::seconds(61));
    server
        .client
        .request_change(&token, NewContact::Phone("+34 611 222 333"), &password())
        .await
        .expect("another");
    server
        .client
        .cancel_change(&token, ChangeKind::Phone)
        .await
        .expect("cancelled");
    assert_eq!(
        server
            .client
            .cancel_change(&token, ChangeKind::Phone)
            .await
            .expect_err("none")
            .code(),
        ErrorCode::NoPendingChange
    );
}

#[tokio::test]
async fn an_owner_lists_members_and_changes_roles_but_not_the_last_owner() {
    let server = spawn_server().await;
    let owner = server.signed_in(Role::Owner, "olga@example.com").await;
    let member_id = server.add_user(Role::Member, "max@example.com").await;
    let member = server
        .client
        .sign_in("max@example.com", &password(), None, None)
        .await
        .expect("member")
        .token;

    let members = server.client.members(&owner).await.expect("members");
    let promoted = server
        .client
        .change_role(&owner, member_id, Role::Admin)
        .await
        .expect("promoted");
    let olga_id = members
        .iter()
        .find(|m| m.email.as_str() == "olga@example.com")
        .expect("olga")
        .user_id;
    let last_owner = server
        .client
        .change_role(&owner, olga_id, Role::Member)
        .await
        .expect_err("last owner");
    let not_owner = server
        .client
        .change_role(&member, olga_id, Role::Member)
        .await
        .expect_err("not an owner");

    assert_eq!(members.len(), 2);
    assert_eq!(promoted.role, Role::Admin);
    assert_eq!(promoted.user_id, member_id);
    assert_eq!(last_owner.code(), ErrorCode::LastOwner);
    assert_eq!(not_owner.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn a_plain_member_may_not_list_members() {
    let server = spawn_server().await;
    let member = server.signed_in(Role::Member, "max@example.com").await;

    let err = server.client.members(&member).await.expect_err("forbidden");

    assert_eq!(err.code(), ErrorCode::Forbidden);
    assert_eq!(err.refusal().map(|r| r.status), Some(403));
}
