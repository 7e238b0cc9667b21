//! Schemathesis (tests/schemathesis/) against a real server on each store: every
//! operation of the served document but the event stream (which does not end; see
//! `stream.rs` for its own tests), every check, examples, coverage, fuzzing and the
//! stateful phase, bounded by `max-examples` in `schemathesis.toml`. Zero failures and
//! zero errors, or the test fails with Schemathesis's own report.
//!
//! Schemathesis comes from PyPI into a virtualenv `make schemathesis` makes (part of
//! `make test`), named by `SCHEMATHESIS`.

use account_model::Role;

use crate::helpers::{PASSWORD, SERVICE_TOKEN, spawn_app_with};

const OWNER: &str = "olivia@fuzz.example";

fn schemathesis() -> std::path::PathBuf {
    match std::env::var_os("SCHEMATHESIS") {
        Some(path) => path.into(),
        None => panic!(
            "SCHEMATHESIS is not set: `make schemathesis` installs it, and `make test` sets it"
        ),
    }
}

engine_test! {
async fn the_served_document_holds_under_schemathesis(engine) {
    // The tester guesses passwords for every address it reads from the members list,
    // its own included; with the lockout on, its guesses would lock out the session it
    // tests with. The lockout has tests of its own (sessions.rs).
    let app = spawn_app_with(engine, |c| c.limits.failures_before_lockout = i64::MAX).await;
    app.add_user(Role::Owner, OWNER, Some("+34600111222")).await;
    for (role, email) in [
        (Role::Admin, "adam@fuzz.example"),
        (Role::Billing, "bea@fuzz.example"),
        (Role::Member, "marc@fuzz.example"),
    ] {
        app.add_user(role, email, None).await;
    }
    // The served document is the checked-in one (openapi.rs holds them equal).
    let document: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi.json")).expect("document");
    let operations: usize = document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| item.as_object().expect("path item").len())
        .sum();

    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/schemathesis");
    let base = app.base.clone();
    // Run from the test's own folder: Schemathesis keeps a cache where it runs.
    let work = app.dir().to_owned();
    // On a blocking thread: the server answers on this test's runtime meanwhile.
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(schemathesis())
            .current_dir(work)
            .arg("--config-file")
            .arg(format!("{dir}/schemathesis.toml"))
            .args(["run", "--exclude-path", "/v1/events"])
            .arg(format!("{base}/v1/openapi.json"))
            .env("SCHEMATHESIS_HOOKS", "hooks")
            .env("PYTHONPATH", dir)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("ST_EMAIL", OWNER)
            .env("ST_PASSWORD", PASSWORD)
            .env("ST_SERVICE_TOKEN", SERVICE_TOKEN)
            .env("NO_COLOR", "1")
            .output()
    })
    .await
    .expect("joined")
    .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&run.stdout);
    println!("{report}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "Schemathesis found failures or errors (report above)");
    let tested = format!("Tested: {}", operations - 1);
    assert!(
        report.contains(&tested),
        "expected every operation but the event stream tested ({tested}); report above"
    );
    assert!(!report.contains("Errors:"), "Schemathesis reported errors (report above)");
}
}
