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

#[test]
fn every_link_names_operations_and_responses_the_document_has() {
    let doc: serde_json::Value = serde_json::from_str(CHECKED_IN).expect("json");
    let operations: std::collections::BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("item").values())
        .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(operations.len(), 23);
    let mut links = 0;
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("item").values() {
            for response in op["responses"].as_object().expect("responses").values() {
                for link in response["links"]
                    .as_object()
                    .into_iter()
                    .flat_map(|l| l.values())
                {
                    let target = link["operationId"].as_str().expect("operationId");
                    assert!(operations.contains(target), "{target}");
                    links += 1;
                }
            }
        }
    }
    assert_eq!(links, 10);
}

#[test]
fn error_codes_and_event_fields_are_as_the_wire_has_them() {
    let doc: serde_json::Value = serde_json::from_str(CHECKED_IN).expect("json");
    let schemas = &doc["components"]["schemas"];
    let codes: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .map(|c| c.as_str().expect("str"))
        .collect();
    let wire: Vec<&str> = account_model::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(codes, wire);
    for name in ["PlatformEvent", "StreamEvent"] {
        for variant in schemas[name]["oneOf"].as_array().expect("oneOf") {
            for field in variant["properties"]
                .as_object()
                .expect("properties")
                .keys()
            {
                assert!(!field.contains('_'), "{name}.{field} is not camelCase");
            }
        }
    }
    for variant in schemas["PlatformEvent"]["oneOf"].as_array().expect("oneOf") {
        assert_eq!(variant["additionalProperties"], false);
    }
    // Every operation with a body documents the body's rejections; every one with a
    // security requirement its 401.
    for item in doc["paths"].as_object().expect("paths").values() {
        for op in item.as_object().expect("item").values() {
            let responses = op["responses"].as_object().expect("responses");
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{} {status}",
                        op["operationId"]
                    );
                }
            }
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{} 401", op["operationId"]);
            }
        }
    }
}
