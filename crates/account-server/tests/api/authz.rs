//! Every role × every operation, each cell asserted.

use account_model::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestUser, spawn_app};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    ReadAccount,
    SeeBillingSection,
    SetLanguageAndRegion,
    SetContactImports,
    SetBillingNotices,
    SetLowBalanceAlert,
    PasswordStrength,
    ListSessions,
    StartEmailChange,
    StartPhoneChange,
    ChangePassword,
    ListMembers,
    ChangeRole,
}

const OPS: [Op; 13] = [
    Op::ReadAccount,
    Op::SeeBillingSection,
    Op::SetLanguageAndRegion,
    Op::SetContactImports,
    Op::SetBillingNotices,
    Op::SetLowBalanceAlert,
    Op::PasswordStrength,
    Op::ListSessions,
    Op::StartEmailChange,
    Op::StartPhoneChange,
    Op::ChangePassword,
    Op::ListMembers,
    Op::ChangeRole,
];

/// Whether `role` may do `op`: the matrix the product promises.
fn allowed(role: Role, op: Op) -> bool {
    use Op::*;
    match op {
        ReadAccount | SetLanguageAndRegion | SetContactImports | PasswordStrength
        | ListSessions | StartEmailChange | StartPhoneChange | ChangePassword => true,
        SeeBillingSection | SetBillingNotices | SetLowBalanceAlert => role != Role::Member,
        ListMembers => matches!(role, Role::Owner | Role::Admin),
        ChangeRole => role == Role::Owner,
    }
}

async fn attempt(app: &TestApp, user: &TestUser, target: i64, op: Op) -> (StatusCode, Value) {
    let t = Some(user.token.as_str());
    let prefs = |body: Value| app.request(Method::PATCH, "/v1/account/preferences", t, Some(body));
    let version = app.account(&user.token).await.body["version"].clone();
    let r = match op {
        Op::ReadAccount => app.account(&user.token).await,
        Op::SeeBillingSection => {
            let a = app.account(&user.token).await;
            let visible = a.body["notifications"].get("billing").is_some()
                && a.body["notifications"].get("lowBalance").is_some();
            return (if visible { StatusCode::OK } else { StatusCode::FORBIDDEN }, a.body);
        }
        Op::SetLanguageAndRegion => prefs(json!({ "baseVersion": version, "language": "fr", "country": "FR", "timeZone": "Europe/Paris" })).await,
        Op::SetContactImports => prefs(json!({ "baseVersion": version, "contactImports": ["sms"] })).await,
        Op::SetBillingNotices => prefs(json!({ "baseVersion": version, "billing": ["email", "sms"] })).await,
        Op::SetLowBalanceAlert => prefs(json!({ "baseVersion": version, "lowBalance": { "enabled": true, "thresholdMinor": 100 } })).await,
        Op::PasswordStrength => app.request(Method::POST, "/v1/account/password-strength", t, Some(json!({ "password": "x" }))).await,
        Op::ListSessions => app.request(Method::GET, "/v1/sessions", t, None).await,
        Op::StartEmailChange => app.email_change(&user.token, &format!("new.{}", user.email), PASSWORD).await,
        Op::StartPhoneChange => app.phone_change(&user.token, "+34611999888", PASSWORD).await,
        Op::ChangePassword => {
            let new = "saffron glacier piano thunder";
            let r = app.change_password(&user.token, PASSWORD, new, new).await;
            if r.status.is_success() {
                // Put it back so later cells re-authenticate with the same password.
                let back = app.change_password(&user.token, new, PASSWORD, PASSWORD).await;
                assert!(back.status.is_success(), "{:?}", back.body);
            }
            r
        }
        Op::ListMembers => app.members(&user.token).await,
        Op::ChangeRole => app.set_role(&user.token, target, "billing").await,
    };
    (r.status, r.body)
}

engine_test! {
async fn every_role_may_do_exactly_what_the_matrix_allows(engine) {
    for role in Role::ALL {
        let app = spawn_app(engine).await;
        // An owner always exists besides the user under test, and a member to act on.
        app.add_user(Role::Owner, "first.owner@example.com", None)
            .await;
        let target = app.add_user(Role::Member, "target@example.com", None).await;
        let user = app
            .user(role, &format!("{}@example.com", role.as_str()))
            .await;
        for op in OPS {
            let (status, body) = attempt(&app, &user, target, op).await;
            if allowed(role, op) {
                assert!(
                    status.is_success(),
                    "{role:?} should be allowed {op:?}, got {status}: {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} must be refused {op:?}: {body}"
                );
                if op != Op::SeeBillingSection {
                    assert_eq!(body["code"], "forbidden", "{role:?} {op:?}");
                }
            }
        }
    }
}
}
