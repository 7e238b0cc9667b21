//! Signing in, offline viewing, offline edits, conflicts, online-only changes, signing
//! out: the engine against the real server.

use account_model::{ChangeKind, Country, ErrorCode, Language, NewContact, Role, Threshold};
use desktop_core::{Change, Connectivity, CoreError, EventsConfig, Pref, PreferencesEdit};
use secrecy::{ExposeSecret, SecretString};

use crate::helpers::{desktop, password, signed_in, spawn_server};

#[tokio::test]
async fn signing_in_sends_the_detected_region_and_caches_account_sessions_and_members() {
    let server = spawn_server().await;
    server.add_user(Role::Owner, "olga@example.com").await;
    server.add_user(Role::Member, "max@example.com").await;
    let d = desktop(&server.base).await;

    let account = d
        .engine
        .sign_in("olga@example.com", &password())
        .await
        .expect("signed in");

    assert_eq!(
        account.view.language,
        Language::Fr,
        "detected defaults applied"
    );
    assert_eq!(account.view.time_zone.as_str(), "Europe/Paris");
    assert_eq!(account.view.country, Country::parse("FR").ok());
    let members = d
        .engine
        .cached_members()
        .await
        .expect("members")
        .expect("cached");
    assert_eq!(members.value.len(), 2);
    let sessions = d
        .engine
        .cached_sessions()
        .await
        .expect("sessions")
        .expect("cached");
    assert_eq!(sessions.value.len(), 1);
    assert_eq!(sessions.value[0].device_name, "test desktop");
    let state = d.engine.state();
    assert_eq!(state.connectivity, Connectivity::Online);
    assert!(state.last_synced_at.is_some());
}

#[tokio::test]
async fn with_the_server_down_the_cached_account_is_readable_with_its_last_sync_time_and_offline_state()
 {
    let mut server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "ana@example.com").await;
    let synced = d.engine.refresh().await.expect("refreshed");
    let mut states = d.engine.subscribe_state();

    server.stop().await;
    let err = d.engine.refresh().await.expect_err("offline");
    let restarted_app = d.reopen(&server.base).await;
    let cached = restarted_app
        .load_from_cache()
        .await
        .expect("cache")
        .expect("an account is cached");

    assert!(err.is_offline(), "{err}");
    assert!(err.to_string().contains("offline"), "{err}");
    assert_eq!(
        states.borrow_and_update().connectivity,
        Connectivity::Offline
    );
    assert_eq!(cached.view.email.as_str(), "ana@example.com");
    assert_eq!(cached.synced_at, synced.synced_at);
    assert!(cached.synced_at.is_some());
    assert_eq!(restarted_app.state().last_synced_at, synced.synced_at);
}

#[tokio::test]
async fn a_conditional_refresh_of_an_unchanged_account_only_moves_the_sync_time() {
    let server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "ana@example.com").await;
    let first = d.engine.refresh().await.expect("refresh");
    let mut changes = d.engine.subscribe_changes();

    let second = d.engine.refresh().await.expect("refresh");

    assert_eq!(second.view, first.view);
    assert!(second.etag.is_some());
    assert!(second.synced_at >= first.synced_at);
    let mut account_events = 0;
    while let Ok(change) = changes.try_recv() {
        if matches!(change, Change::Account(_)) {
            account_events += 1;
        }
    }
    assert_eq!(account_events, 0, "304: nothing new to show");
}

#[tokio::test]
async fn an_offline_edit_shows_at_once_survives_an_app_restart_and_lands_when_the_server_is_back() {
    let mut server = spawn_server().await;
    server.add_user(Role::Billing, "ana@example.com").await;
    let d = desktop(&server.base).await;
    let before = d
        .engine
        .sign_in("ana@example.com", &password())
        .await
        .expect("signed in");
    server.stop().await;

    let outcome = d
        .engine
        .apply_edit(
            PreferencesEdit::new()
                .language(Language::It)
                .low_balance_threshold(Threshold::parse(2_500).expect("threshold"))
                .low_balance_channels(&["desktop"])
                .expect("channels"),
        )
        .await
        .expect("saved locally");
    let report = outcome.flushed.expect("a flush that found the server down");
    let app_restarted = d.reopen(&server.base).await;
    let reopened = app_restarted
        .load_from_cache()
        .await
        .expect("cache")
        .expect("cached");
    server.restart().await;
    let synced = app_restarted.refresh().await.expect("refresh");
    let on_server = server.account_on_server("ana@example.com").await;

    assert!(report.offline);
    assert_eq!(outcome.account.view.language, Language::It, "shown at once");
    assert_eq!(outcome.account.pending_edits, 1);
    assert_eq!(reopened.view.language, Language::It);
    assert_eq!(reopened.pending_edits, 1, "the queue survived the restart");
    assert_eq!(synced.pending_edits, 0);
    assert_eq!(on_server.language, Language::It);
    let low = on_server
        .notifications
        .low_balance
        .as_ref()
        .expect("billing user");
    assert_eq!(low.threshold_minor, 2_500);
    assert_eq!(low.channels, vec![account_model::Channel::Desktop]);
    assert_eq!(on_server.version, before.server_version + 1, "applied once");
    assert_eq!(synced.view, on_server, "the cache now matches the server");
    assert_eq!(app_restarted.state().pending_edits, 0);
}

#[tokio::test]
async fn several_offline_edits_of_one_field_land_as_the_last_value_without_conflicting_with_each_other()
 {
    let mut server = spawn_server().await;
    server.add_user(Role::Member, "ana@example.com").await;
    let d = desktop(&server.base).await;
    let before = d
        .engine
        .sign_in("ana@example.com", &password())
        .await
        .expect("signed in");
    server.stop().await;

    for edit in [
        PreferencesEdit::new().language(Language::Es),
        PreferencesEdit::new()
            .language(Language::De)
            .country(Country::parse("DE").expect("DE")),
        PreferencesEdit::new()
            .contact_imports(&["sms"])
            .expect("sms"),
    ] {
        d.engine.apply_edit(edit).await.expect("saved locally");
    }
    server.restart().await;
    let report = d.engine.flush_queue().await.expect("flushed");
    let on_server = server.account_on_server("ana@example.com").await;

    assert!(report.conflicts.is_empty(), "{:?}", report.conflicts);
    assert_eq!(report.pending, 0);
    assert_eq!(on_server.language, Language::De);
    assert_eq!(on_server.country, Country::parse("DE").ok());
    assert_eq!(
        on_server.notifications.contact_imports,
        vec![account_model::Channel::Sms]
    );
    assert!(report.acknowledged >= 1);
    assert_eq!(
        on_server.version,
        before.server_version + i64::try_from(report.acknowledged).expect("small"),
        "each request applied once"
    );
}

#[tokio::test]
async fn a_field_changed_elsewhere_keeps_the_server_value_is_reported_and_the_other_field_still_lands()
 {
    let server = spawn_server().await;
    let d = signed_in(&server, Role::Billing, "ana@example.com").await;
    let (phone, phone_token) = server.other_device("ana@example.com").await;
    let base = d
        .engine
        .load_from_cache()
        .await
        .expect("cache")
        .expect("cached")
        .server_version;
    phone
        .update_preferences(
            &phone_token,
            &account_model::dto::UpdatePreferencesRequest {
                base_version: base,
                low_balance: Some(account_model::dto::LowBalanceUpdate {
                    threshold_minor: Some(7_000),
                    ..Default::default()
                }),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("changed elsewhere");
    let mut changes = d.engine.subscribe_changes();

    let outcome = d
        .engine
        .apply_edit(
            PreferencesEdit::new()
                .language(Language::Pt)
                .low_balance_threshold(Threshold::parse(100).expect("threshold")),
        )
        .await
        .expect("applied");
    let report = outcome.flushed.expect("flushed");
    let on_server = server.account_on_server("ana@example.com").await;

    assert_eq!(report.conflicts.len(), 1);
    assert_eq!(
        report.conflicts[0].discarded,
        vec![Pref::LowBalanceThreshold(
            Threshold::parse(100).expect("threshold")
        )]
    );
    assert_eq!(report.pending, 0);
    let low = on_server
        .notifications
        .low_balance
        .as_ref()
        .expect("billing");
    assert_eq!(low.threshold_minor, 7_000, "the server's value stands");
    assert_eq!(on_server.language, Language::Pt, "the other field landed");
    assert_eq!(outcome.account.view, on_server);
    let mut reported = false;
    while let Ok(change) = changes.try_recv() {
        if let Change::Conflict(c) = change {
            reported = c.discarded
                == vec![Pref::LowBalanceThreshold(
                    Threshold::parse(100).expect("threshold"),
                )];
        }
    }
    assert!(reported, "subscribers hear about the conflict");
}

#[tokio::test]
async fn password_email_and_phone_changes_fail_offline_with_a_clear_error_and_are_never_queued() {
    let mut server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "ana@example.com").await;
    server.stop().await;
    let new = SecretString::from("violet harbor sandwich telescope");

    let password_change = d
        .engine
        .change_password(&password(), &new, &new)
        .await
        .expect_err("offline");
    let email_change = d
        .engine
        .request_change(NewContact::Email("ana.new@example.com"), &password())
        .await
        .expect_err("offline");
    let phone_change = d
        .engine
        .request_change(NewContact::Phone("+33 6 12 34 56 78"), &password())
        .await
        .expect_err("offline");

    for err in [&password_change, &email_change, &phone_change] {
        assert!(err.is_offline(), "{err}");
        assert!(err.to_string().contains("needs a connection"), "{err}");
    }
    assert!(password_change.to_string().contains("password"));
    let cached = d
        .engine
        .load_from_cache()
        .await
        .expect("cache")
        .expect("cached");
    assert_eq!(cached.pending_edits, 0);
    assert_eq!(d.engine.state().connectivity, Connectivity::Offline);
}

#[tokio::test]
async fn an_email_change_is_confirmed_online_and_the_cache_shows_the_new_address() {
    let server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "ana@example.com").await;

    let pending = d
        .engine
        .request_change(NewContact::Email("ana.new@example.com"), &password())
        .await
        .expect("requested");
    let cached_pending = d
        .engine
        .load_from_cache()
        .await
        .expect("cache")
        .expect("cached");
    let code = server.last_code("ana.new@example.com").await;
    let confirmed = d
        .engine
        .confirm_change(ChangeKind::Email, &code)
        .await
        .expect("confirmed");

    assert_eq!(pending.target, "ana.new@example.com");
    assert_eq!(
        cached_pending
            .view
            .pending_email_change
            .map(|p| p.target)
            .as_deref(),
        Some("ana.new@example.com")
    );
    assert_eq!(confirmed.view.email.as_str(), "ana.new@example.com");
    assert!(confirmed.view.pending_email_change.is_none());
}

#[tokio::test]
async fn refusals_keep_the_servers_code_and_edits_beyond_the_users_permissions_are_refused_locally()
{
    let server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "max@example.com").await;

    let wrong = d
        .engine
        .request_change(
            NewContact::Email("max.new@example.com"),
            &SecretString::from("not my password"),
        )
        .await
        .expect_err("wrong password");
    let billing = d
        .engine
        .apply_edit(
            PreferencesEdit::new()
                .billing(&["email"])
                .expect("channels"),
        )
        .await
        .expect_err("no billing permission");

    assert_eq!(wrong.code(), ErrorCode::WrongPassword);
    assert_eq!(billing.code(), ErrorCode::Forbidden);
    let cached = d
        .engine
        .load_from_cache()
        .await
        .expect("cache")
        .expect("cached");
    assert_eq!(cached.pending_edits, 0, "a refused edit is not queued");
}

#[tokio::test]
async fn signing_out_revokes_the_session_deletes_the_token_and_wipes_the_cache() {
    let mut server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "ana@example.com").await;
    let token = d.tokens.get().expect("token store").expect("a token");
    server.stop().await;
    d.engine
        .apply_edit(PreferencesEdit::new().language(Language::Es))
        .await
        .expect("queued offline");
    server.restart().await;

    let outcome = d.engine.sign_out().await.expect("signed out");
    let (client, _) = server.other_device("ana@example.com").await;
    let old_token = client.account(&token, None).await.expect_err("revoked");

    assert!(outcome.revoked_on_server);
    assert!(d.tokens.get().expect("token store").is_none());
    assert!(d.engine.load_from_cache().await.expect("cache").is_none());
    assert!(d.engine.cached_sessions().await.expect("cache").is_none());
    assert_eq!(d.engine.state().pending_edits, 0);
    assert_eq!(old_token.code(), ErrorCode::Unauthenticated);
    assert_eq!(
        server.account_on_server("ana@example.com").await.language,
        Language::Fr,
        "the queued edit was wiped, not sent"
    );
    let _ = token.expose_secret();
}

#[tokio::test]
async fn signing_in_as_someone_else_wipes_the_previous_users_cache_and_queue() {
    let mut server = spawn_server().await;
    server.add_user(Role::Member, "ana@example.com").await;
    server.add_user(Role::Member, "bob@example.com").await;
    let d = desktop(&server.base).await;
    d.engine
        .sign_in("ana@example.com", &password())
        .await
        .expect("ana");
    server.stop().await;
    d.engine
        .apply_edit(PreferencesEdit::new().language(Language::Es))
        .await
        .expect("queued offline");
    server.restart().await;

    let bob = d
        .engine
        .sign_in("bob@example.com", &password())
        .await
        .expect("bob");

    assert_eq!(bob.view.email.as_str(), "bob@example.com");
    assert_eq!(bob.pending_edits, 0);
    assert_eq!(
        server.account_on_server("ana@example.com").await.language,
        Language::Fr,
        "ana's queued edit is gone with her cache"
    );
}

#[tokio::test]
async fn a_cache_signed_in_on_another_server_reads_as_signed_out_and_its_token_never_goes_there() {
    let mut server = spawn_server().await;
    let d = signed_in(&server, Role::Owner, "olga@example.com").await;
    server.stop().await;
    d.engine
        .apply_edit(PreferencesEdit::new().language(Language::De))
        .await
        .expect("queued offline");
    // The app started again with another server address: nothing listens there but
    // this socket, which would see any connection the engine makes.
    let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    elsewhere.set_nonblocking(true).expect("non-blocking");
    let other = d
        .reopen(&format!("http://{}", elsewhere.local_addr().expect("addr")))
        .await;

    assert!(other.load_from_cache().await.expect("cache").is_none());
    assert!(other.cached_balance().await.expect("cache").is_none());
    assert!(other.cached_sessions().await.expect("cache").is_none());
    assert_eq!(other.state().pending_edits, 0);
    assert!(matches!(other.refresh().await, Err(CoreError::SignedOut)));
    let events = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        other.run_events(EventsConfig::default(), std::future::pending()),
    )
    .await
    .expect("ends at once");
    assert!(matches!(events, Err(CoreError::SignedOut)), "{events:?}");
    other.sign_out().await.expect("nobody to sign out here");
    assert!(
        matches!(elsewhere.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the engine connected to the other server"
    );

    // Back on the first server, the account, its token and the queued edit are there.
    server.restart().await;
    let back = d.reopen(&server.base).await;
    assert_eq!(back.state().pending_edits, 1);
    back.refresh().await.expect("still signed in");
    assert_eq!(
        server.account_on_server("olga@example.com").await.language,
        Language::De
    );
}

#[tokio::test]
async fn an_offline_refresh_reports_the_failed_send_without_asking_the_server_again() {
    let mut server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "ana@example.com").await;
    server.stop().await;
    d.engine
        .apply_edit(PreferencesEdit::new().language(Language::De))
        .await
        .expect("queued offline");
    // In the server's place, a socket that reads each request's first line and hangs up.
    let listener = tokio::net::TcpListener::bind(server.addr)
        .await
        .expect("the server's port");
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let recorder = {
        let seen = std::sync::Arc::clone(&seen);
        tokio::spawn(async move {
            use tokio::io::AsyncBufReadExt;
            while let Ok((stream, _)) = listener.accept().await {
                let mut line = String::new();
                let mut reader = tokio::io::BufReader::new(stream);
                if reader.read_line(&mut line).await.is_ok() {
                    let method = line.split(' ').next().unwrap_or("").to_owned();
                    seen.lock().expect("lock").push(method);
                }
            }
        })
    };

    let refreshed = d.engine.refresh().await;

    recorder.abort();
    let err = refreshed.expect_err("offline");
    assert!(err.is_offline(), "{err}");
    let methods = seen.lock().expect("lock").clone();
    assert!(!methods.is_empty(), "the queued edit was tried");
    assert!(
        methods.iter().all(|m| m == "PATCH"),
        "only the queued edit went out: {methods:?}"
    );
    assert_eq!(d.engine.state().pending_edits, 1, "still queued");
}

#[tokio::test]
async fn after_sign_in_no_file_under_the_data_directory_contains_the_token() {
    let server = spawn_server().await;
    let d = signed_in(&server, Role::Owner, "olga@example.com").await;
    d.engine
        .apply_edit(PreferencesEdit::new().language(Language::De))
        .await
        .expect("edit");
    d.engine.refresh().await.expect("refresh");
    let token = d.tokens.get().expect("token store").expect("a token");

    let mut files = Vec::new();
    collect_files(&d.data_dir(), &mut files);

    assert!(!files.is_empty(), "the cache is on disk");
    for file in files {
        let bytes = std::fs::read(&file).expect("readable");
        let needle = token.expose_secret().as_bytes();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{} contains the token",
            file.display()
        );
    }
}

fn collect_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}
