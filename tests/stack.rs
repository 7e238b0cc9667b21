//! The whole backend as `make run` runs it: the real binary, seeded demo organization,
//! development delivery, the CLI, a restart on the same database file.

use account_server::seed::{DEMO_PASSWORD, DEMO_THRESHOLD_MINOR};
use account_settings_e2e::{Server, six_digits};
use serde_json::{Value, json};
use std::time::Duration;

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client.request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let bytes = res.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_demo_owner_changes_every_setting_through_the_real_binary_and_it_survives_a_restart() {
    use reqwest::Method;
    let data = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(data.path()).expect("server starts");
    server
        .wait_for(|l| l.contains("owner@demo.example"), Duration::from_secs(5))
        .expect("credentials printed");
    account_server::delivery::install_tls_provider();
    let http = reqwest::Client::new();
    let base = server.base.clone();

    // Sign in with the printed demo credentials; the OS-detected region is taken.
    let (status, signed) = call(
        &http,
        Method::POST,
        format!("{base}/v1/sessions"),
        None,
        Some(json!({
            "email": "owner@demo.example", "password": DEMO_PASSWORD, "deviceName": "e2e",
            "detected": { "language": "es", "country": "ES", "timeZone": "Europe/Madrid" }
        })),
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    let token = signed["token"].as_str().expect("token").to_owned();
    assert_eq!(signed["account"]["language"], "es");
    assert_eq!(
        signed["account"]["notifications"]["lowBalance"]["thresholdMinor"],
        DEMO_THRESHOLD_MINOR
    );

    // Change email: the code is printed by development delivery and listed by the CLI.
    let (status, _) = call(
        &http,
        Method::POST,
        format!("{base}/v1/account/email-change"),
        Some(&token),
        Some(json!({ "newEmail": "olivia@demo.example", "password": DEMO_PASSWORD })),
    )
    .await;
    assert_eq!(status, 202);
    let printed = server
        .wait_for(|l| l.contains("código"), Duration::from_secs(10))
        .expect("code printed in Spanish");
    let listed = server
        .cli(&["outbox", "--to", "olivia@demo.example"])
        .expect("outbox CLI");
    let code = six_digits(&listed).expect("code in the CLI listing");
    assert_eq!(six_digits(&printed).as_deref(), Some(code.as_str()));
    let (status, account) = call(
        &http,
        Method::POST,
        format!("{base}/v1/account/email-change/confirm"),
        Some(&token),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(status, 200, "{account}");

    // Preferences with the version just read.
    let (status, account) = call(&http, Method::PATCH, format!("{base}/v1/account/preferences"), Some(&token), Some(json!({
        "baseVersion": account["version"], "contactImports": ["email", "sms"], "lowBalance": { "thresholdMinor": 2500 }
    }))).await;
    assert_eq!(status, 200, "{account}");

    // Billing charges the organization through the CLI (as `make lower-balance` does):
    // 60.00 → 45.00 EUR crosses the billing user's 50.00 threshold but not the 25.00 the
    // owner just chose, so only the billing user is alerted (by email, printed here).
    let out = server
        .cli(&[
            "balance",
            "adjust",
            "--org",
            "Demo Marketing Co.",
            "--amount",
            "-1500",
            "--key",
            "e2e-1",
        ])
        .expect("balance adjust");
    assert!(out.contains("balance now €45.00"), "{out}");
    let again = server
        .cli(&[
            "balance",
            "adjust",
            "--org",
            "Demo Marketing Co.",
            "--amount",
            "-1500",
            "--key",
            "e2e-1",
        ])
        .expect("repeat");
    assert!(again.contains("already used"), "{again}");
    server
        .wait_for(
            |l| l.contains("Subject: Your balance is low"),
            Duration::from_secs(10),
        )
        .expect("low-balance alert delivered to the billing user");
    let billing_alerts = server
        .cli(&["outbox", "--to", "billing@demo.example"])
        .expect("outbox");
    assert_eq!(
        billing_alerts.matches("low_balance").count(),
        1,
        "{billing_alerts}"
    );
    let owner_alerts = server
        .cli(&["outbox", "--to", "olivia@demo.example"])
        .expect("outbox");
    assert!(!owner_alerts.contains("low_balance"), "{owner_alerts}");
    let emitted = server
        .cli(&[
            "emit",
            "--org",
            "Demo Marketing Co.",
            "payment",
            "--amount",
            "5000",
        ])
        .expect("emit");
    assert!(
        emitted.starts_with("3 messages queued"),
        "owner, admin and billing user, by email: {emitted}"
    );

    // A member sees no billing section.
    let (_, member) = call(
        &http,
        Method::POST,
        format!("{base}/v1/sessions"),
        None,
        Some(json!({ "email": "member@demo.example", "password": DEMO_PASSWORD })),
    )
    .await;
    assert!(member["account"]["notifications"].get("billing").is_none());

    assert!(
        server.stop().expect("stops").success(),
        "clean exit on SIGTERM"
    );

    // Restart on the same file: everything is still there, the seed is not repeated.
    let server = Server::start(data.path()).expect("restarts");
    let (status, signed) = call(
        &http,
        Method::POST,
        format!("{}/v1/sessions", server.base),
        None,
        Some(json!({ "email": "olivia@demo.example", "password": DEMO_PASSWORD })),
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(
        signed["account"]["notifications"]["contactImports"],
        json!(["email", "sms"])
    );
    assert_eq!(
        signed["account"]["notifications"]["lowBalance"]["thresholdMinor"],
        2500
    );
    let (status, _) = call(
        &http,
        Method::POST,
        format!("{}/v1/sessions", server.base),
        None,
        Some(json!({ "email": "owner@demo.example", "password": DEMO_PASSWORD })),
    )
    .await;
    assert_eq!(status, 401, "the old address is gone");
    assert!(server.stop().expect("stops").success());
}

#[test]
fn the_cli_explains_itself_and_refuses_bad_configuration() {
    let bin = account_settings_e2e::server_binary();
    for sub in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["seed-demo", "--help"],
        &["outbox", "--help"],
    ] {
        let out = std::process::Command::new(&bin)
            .args(sub)
            .output()
            .expect("runs");
        assert!(out.status.success(), "{sub:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{sub:?}"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(&bin)
        .arg("migrate")
        .env("ACCOUNT_DATABASE_PATH", dir.path().join("a.db"))
        .env("ACCOUNT_ARGON2__MEMORY_KIB", "1024")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("argon2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
