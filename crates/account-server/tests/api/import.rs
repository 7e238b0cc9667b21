//! `account-server import-sqlite`: a SQLite deployment moved to PostgreSQL carries on
//! there — same sign-ins, same sessions, same pending codes, same history and outbox.

use std::sync::Arc;
use std::time::Duration;

use account_model::Role;
use account_server::App;
use account_server::store::Engine;
use account_server::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{EventStream, PASSWORD, request_at, spawn_app};

#[tokio::test]
async fn a_sqlite_deployment_moved_to_postgres_carries_on_where_it_was() {
    // A SQLite deployment with some life in it.
    let before = spawn_app(Engine::Sqlite).await;
    let ana = before.user(Role::Billing, "ana@example.com").await;
    let version = before.account(&ana.token).await.body["version"].clone();
    before
        .preferences(
            &ana.token,
            json!({ "baseVersion": version, "language": "es", "lowBalance": { "enabled": true, "thresholdMinor": 2_000 } }),
        )
        .await;
    before.adjust(-1_500, "charge-1").await;
    let started = before
        .email_change(&ana.token, "ana.new@example.com", PASSWORD)
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED);
    let code = before.last_code("ana.new@example.com").await;
    let mut stream = before.events(&ana.token, None).await;
    before.adjust(-500, "charge-2").await;
    let seen = stream
        .next_named("balance_changed", Duration::from_secs(2))
        .await
        .expect("an event")
        .id
        .expect("id");
    drop(stream);
    before.adjust(-100, "charge-3").await; // missed by the stream
    let account_before = before.account(&ana.token).await.body;

    // Stop it, and import its file into an empty PostgreSQL database.
    let crate::helpers::TestApp {
        fixture, client, ..
    } = before;
    let sqlite_file = fixture.config.database_path.clone();
    let clock = fixture.clock.clone();
    let mut sqlite_config = fixture.config.clone();
    let database_dir = fixture.database;
    fixture.app.stop().await.expect("the SQLite server stops");
    let target = TestDatabase::create(Engine::Postgres)
        .await
        .expect("database");
    let mut config = target.config();
    config.code_secret = sqlite_config.code_secret.take();

    let copied = account_server::store::copy::import_sqlite(&config, &sqlite_file)
        .await
        .expect("imported");
    let rows = |table: &str| copied.0.iter().find(|(t, _)| *t == table).map(|(_, n)| *n);
    assert_eq!(rows("users"), Some(1));
    assert_eq!(rows("sessions"), Some(1));
    assert_eq!(rows("verifications"), Some(1));
    assert!(rows("events") >= Some(4), "{copied:?}");
    assert!(rows("outbox") >= Some(1), "{copied:?}");

    // The PostgreSQL deployment: the same session still works, and sees the same account.
    let after = App::spawn(config.clone(), Arc::new(clock))
        .await
        .expect("serves");
    let base = format!("http://{}", after.addr);
    let account = request_at(
        &client,
        &base,
        Method::GET,
        "/v1/account",
        Some(&ana.token),
        None,
    )
    .await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(
        account.body, account_before,
        "nothing lost, nothing changed"
    );

    // The stream resumes from before the move and gets what it missed, and nothing else.
    let mut resumed = EventStream::open(&client, &base, &ana.token, Some(seen)).await;
    let missed = resumed
        .next(Duration::from_secs(2))
        .await
        .expect("the missed charge");
    assert_eq!(missed.data["amountMinor"], 7_900);
    assert!(resumed.next(Duration::from_millis(300)).await.is_none());

    // The code sent before the move confirms the change after it.
    let confirmed = request_at(
        &client,
        &base,
        Method::POST,
        "/v1/account/email-change/confirm",
        Some(&ana.token),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.body);
    assert_eq!(confirmed.body["email"], "ana.new@example.com");

    // New rows get ids after the imported ones.
    let path = format!(
        "/v1/service/organizations/{}/balance-adjustments",
        fixture.org_id
    );
    let adjusted = request_at(
        &client,
        &base,
        Method::POST,
        &path,
        Some(account_server::testing::SERVICE_TOKEN),
        Some(json!({ "amountMinor": -100, "idempotencyKey": "after-move" })),
    )
    .await;
    assert_eq!(adjusted.status, StatusCode::OK, "{:?}", adjusted.body);
    assert_eq!(adjusted.body["id"], 4, "the fourth adjustment");
    assert_eq!(adjusted.body["balanceAfterMinor"], 7_800);
    let replayed = request_at(
        &client,
        &base,
        Method::POST,
        &path,
        Some(account_server::testing::SERVICE_TOKEN),
        Some(json!({ "amountMinor": -1_500, "idempotencyKey": "charge-1" })),
    )
    .await;
    assert_eq!(
        replayed.body["applied"], false,
        "idempotency keys came along"
    );

    // A second import into a database in use is refused, and changes nothing.
    let again = account_server::store::copy::import_sqlite(&config, &sqlite_file)
        .await
        .expect_err("not empty");
    assert!(again.to_string().contains("empty"), "{again}");
    drop(database_dir);
}
