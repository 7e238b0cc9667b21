use account_model::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

engine_test! {
async fn an_owner_lists_members_and_changes_a_role_and_the_member_is_told(engine) {
    let app = spawn_app(engine).await;
    let owner = app.user(Role::Owner, "owner@example.com").await;
    let member = app.user(Role::Member, "member@example.com").await;

    let list = app.members(&owner.token).await;
    assert_eq!(list.body["members"].as_array().expect("members").len(), 2);

    let reply = app.set_role(&owner.token, member.id, "billing").await;

    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["role"], "billing");
    let account = app.account(&member.token).await.body;
    assert_eq!(account["role"], "billing");
    assert_eq!(
        account["notifications"]["billing"],
        json!(["email"]),
        "billing section now visible"
    );
    let mail = app.outbox("member@example.com").await;
    assert_eq!(mail.last().expect("notice").kind, "role_changed");
}
}

engine_test! {
async fn the_last_owner_cannot_be_demoted_but_one_of_two_can(engine) {
    let app = spawn_app(engine).await;
    let owner = app.user(Role::Owner, "owner@example.com").await;

    let reply = app.set_role(&owner.token, owner.id, "admin").await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "last_owner");

    let second = app.user(Role::Admin, "second@example.com").await;
    assert_eq!(
        app.set_role(&owner.token, second.id, "owner").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.set_role(&owner.token, owner.id, "admin").await.body["role"],
        "admin"
    );
    assert_eq!(
        app.set_role(&second.token, second.id, "member")
            .await
            .code(),
        "last_owner"
    );
}
}

engine_test! {
async fn roles_of_other_organizations_and_unknown_roles_are_refused(engine) {
    let app = spawn_app(engine).await;
    let owner = app.user(Role::Owner, "owner@example.com").await;
    let member = app.user(Role::Member, "member@example.com").await;

    assert_eq!(
        app.set_role(&owner.token, member.id, "root").await.code(),
        "invalid_role"
    );
    assert_eq!(
        app.set_role(&owner.token, 9999, "admin").await.code(),
        "not_found"
    );
    let not_a_number = app
        .request(
            reqwest::Method::PUT,
            "/v1/organization/members/abc/role",
            Some(&owner.token),
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(not_a_number.code(), "not_found");
    assert_eq!(app.account(&member.token).await.body["role"], "member");
}
}
