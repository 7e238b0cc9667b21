use crate::helpers::spawn_app;

const CHECKED_IN: &str = include_str!("../../openapi.json");

engine_test! {
async fn the_served_document_is_the_checked_in_one(engine) {
    let app = spawn_app(engine).await;
    let served: serde_json::Value = app
        .client
        .get(format!("{}/v1/openapi.json", app.base))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let file: serde_json::Value =
        serde_json::from_str(CHECKED_IN).expect("checked-in file is JSON");
    assert_eq!(
        served, file,
        "run `make openapi` and commit crates/account-server/openapi.json"
    );
}
}

#[test]
fn the_checked_in_document_is_current_and_lists_every_endpoint() {
    let generated = account_server::openapi::document();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"),
            &generated,
        )
        .expect("write");
        return;
    }
    assert_eq!(
        generated, CHECKED_IN,
        "run `make openapi` and commit crates/account-server/openapi.json"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/v1/sessions",
        "/v1/account",
        "/v1/account/preferences",
        "/v1/account/email-change/confirm",
        "/v1/organization/members/{id}/role",
    ] {
        assert!(paths.contains_key(path), "{path}");
    }
}
