//! The store's contract, written once and run on both engines: what the services rely
//! on whatever database is behind them (see `account_server::store`).

use account_model::dto::StreamEvent;
use account_model::{ChangeKind, DisplayName, Email, Language, PrefChange, PrefField, Role};
use account_server::store::{
    NewEvent, NewMessage, NewPendingChange, NewUser, OutChannel, Store, StoreError, StoredResponse,
};
use account_server::testing::TestDatabase;

async fn open(engine: account_server::store::Engine) -> (TestDatabase, Store) {
    let database = TestDatabase::create(engine).await.expect("database");
    let store = Store::open(&database.config()).await.expect("store opens");
    (database, store)
}

/// An organization with one user; their ids.
async fn seeded(store: &Store) -> (i64, i64) {
    let mut tx = store.write().await.expect("tx");
    let org = tx
        .insert_organization("Acme", "EUR", 10_000, 0)
        .await
        .expect("org");
    let email = Email::parse("ana@example.com").expect("email");
    let user = tx
        .insert_user(
            &NewUser {
                organization_id: org,
                name: &DisplayName::parse("Ana").expect("name"),
                email: &email,
                phone: None,
                role: Role::Owner,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                low_balance: None,
            },
            0,
        )
        .await
        .expect("user");
    tx.commit().await.expect("commit");
    (org, user)
}

engine_test! {
async fn opening_again_migrates_nothing_and_keeps_the_data(engine) {
    let (database, store) = open(engine).await;
    let (org, _) = seeded(&store).await;
    drop(store);

    let again = Store::open(&database.config()).await.expect("reopens");
    let found = again.read().await.expect("read").organization(org).await.expect("query");

    assert_eq!(found.map(|o| o.name), Some("Acme".to_owned()));
}
}

engine_test! {
async fn instances_opening_a_new_database_together_migrate_it_once(engine) {
    let database = TestDatabase::create(engine).await.expect("database");
    let config = database.config();
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let config = config.clone();
            tokio::spawn(async move { Store::open(&config).await.map(|_| ()) })
        })
        .collect();
    for open in opens {
        open.await.expect("joined").expect("every instance starts");
    }
    let store = Store::open(&config).await.expect("opens");
    seeded(&store).await;
}
}

engine_test! {
async fn a_write_dropped_without_commit_leaves_nothing(engine) {
    let (_database, store) = open(engine).await;
    let (org, user) = seeded(&store).await;

    let mut tx = store.write().await.expect("tx");
    tx.set_role(user, Role::Member, 1).await.expect("role");
    tx.apply_adjustment(org, "k1", -500, "", 1).await.expect("adjusted");
    drop(tx);

    let mut read = store.read().await.expect("read");
    let found = read.user_by_id(user).await.expect("user").expect("exists");
    assert_eq!(found.role, Role::Owner);
    assert_eq!(found.version, 1);
    assert_eq!(found.balance_minor, 10_000);
    assert!(read.adjustment_by_key(org, "k1").await.expect("query").is_none());
}
}

engine_test! {
async fn a_second_account_with_the_same_email_is_a_duplicate(engine) {
    let (_database, store) = open(engine).await;
    let (org, user) = seeded(&store).await;
    let email = Email::parse("ana@example.com").expect("email");

    let mut tx = store.write().await.expect("tx");
    let other = tx
        .insert_user(
            &NewUser {
                organization_id: org,
                name: &DisplayName::parse("Other").expect("name"),
                email: &Email::parse("other@example.com").expect("email"),
                phone: None,
                role: Role::Member,
                password_hash: "x",
                low_balance: None,
            },
            0,
        )
        .await
        .expect("other user");
    tx.commit().await.expect("commit");

    let mut tx = store.write().await.expect("tx");
    let taken = tx.set_email(other, &email, 1).await;
    assert!(matches!(taken, Err(StoreError::Duplicate(_))), "{taken:?}");
    drop(tx);
    let mut read = store.read().await.expect("read");
    assert_eq!(read.user_by_email(&email).await.expect("query").map(|u| u.id), Some(user));
}
}

engine_test! {
async fn preference_changes_record_the_version_each_field_changed_at(engine) {
    let (_database, store) = open(engine).await;
    let (_, user) = seeded(&store).await;

    let mut tx = store.write().await.expect("tx");
    let v2 = tx
        .apply_preferences(user, &[PrefChange::Language(Language::Es)], 1)
        .await
        .expect("applied");
    let v3 = tx
        .apply_preferences(user, &[PrefChange::LowBalanceEnabled(true)], 2)
        .await
        .expect("applied");
    tx.commit().await.expect("commit");

    let mut read = store.read().await.expect("read");
    let all = [PrefField::Language, PrefField::LowBalanceEnabled, PrefField::Country];
    assert_eq!((v2, v3), (2, 3));
    assert_eq!(
        read.changed_since(user, 1, &all).await.expect("query"),
        [PrefField::Language, PrefField::LowBalanceEnabled]
    );
    assert_eq!(
        read.changed_since(user, 2, &all).await.expect("query"),
        [PrefField::LowBalanceEnabled]
    );
    let found = read.user_by_id(user).await.expect("user").expect("exists");
    assert_eq!(found.language, Language::Es);
    assert!(found.region_configured, "a region field marks the region configured");
    assert!(found.low_balance_enabled);
}
}

engine_test! {
async fn a_sender_whose_lease_ran_out_cannot_record_over_the_next_one(engine) {
    let (_database, store) = open(engine).await;
    let mut tx = store.write().await.expect("tx");
    tx.enqueue(
        &NewMessage {
            user_id: None,
            channel: OutChannel::Email,
            recipient: "a@example.com",
            language: "en",
            kind: "password_changed",
            subject: "S",
            body: "B",
        },
        0,
    )
    .await
    .expect("queued");
    let first = tx.claim_due(0, 1_000, 1).await.expect("claim");
    let early = tx.claim_due(500, 1_000, 1).await.expect("claim");
    let second = tx.claim_due(2_000, 1_000, 1).await.expect("claim"); // the first lease ran out
    let late = tx.mark_sent(first[0].id, first[0].attempts, 2_500).await.expect("mark");
    let current = tx.mark_sent(second[0].id, second[0].attempts, 2_600).await.expect("mark");
    tx.commit().await.expect("commit");

    assert_eq!(first.len(), 1);
    assert!(early.is_empty(), "a leased message is not claimed again before its lease ends");
    assert_eq!(second[0].attempts, 2);
    assert_eq!((late, current), (false, true));
}
}

engine_test! {
async fn pending_changes_codes_and_sends_are_kept_per_kind(engine) {
    let (_database, store) = open(engine).await;
    let (_, user) = seeded(&store).await;
    let mut tx = store.write().await.expect("tx");
    for (kind, target) in [(ChangeKind::Email, "new@example.com"), (ChangeKind::Phone, "+34600123456")] {
        tx.put_pending_change(&NewPendingChange {
            user_id: user,
            kind,
            target,
            code_hash: b"hash",
            now: 10,
            expires_at: 1_000,
        })
        .await
        .expect("pending");
        tx.record_code_send(user, kind, 10).await.expect("send");
    }
    assert_eq!(tx.add_code_failure(user, ChangeKind::Phone).await.expect("failure"), 1);
    tx.commit().await.expect("commit");

    let mut read = store.read().await.expect("read");
    let both = read.pending_changes(user).await.expect("query");
    assert_eq!(both.email.map(|p| p.target), Some("new@example.com".to_owned()));
    assert_eq!(both.phone.map(|p| p.failed_attempts), Some(1));
    assert_eq!(
        read.code_sends_since(user, ChangeKind::Phone, 0).await.expect("query"),
        (1, Some(10))
    );
    assert_eq!(read.code_sends_since(user, ChangeKind::Email, 10).await.expect("query").0, 0);
}
}

engine_test! {
async fn a_remembered_response_is_found_by_user_and_key(engine) {
    let (_database, store) = open(engine).await;
    let (_, user) = seeded(&store).await;
    let mut tx = store.write().await.expect("tx");
    let response = StoredResponse { request_hash: vec![1, 2, 3], status: 200, body: "{}".into() };
    tx.store_response(user, "key-1", &response, 5).await.expect("stored");
    tx.commit().await.expect("commit");

    let mut read = store.read().await.expect("read");
    let found = read.stored_response(user, "key-1").await.expect("query").expect("found");
    assert_eq!((found.request_hash, found.status, found.body), (vec![1, 2, 3], 200, "{}".to_owned()));
    assert!(read.stored_response(user, "key-2").await.expect("query").is_none());
}
}

engine_test! {
async fn the_feed_hands_out_committed_events_once_in_id_order(engine) {
    let (_database, store) = open(engine).await;
    let (org, _) = seeded(&store).await;
    let mut feed = store.event_feed().await.expect("feed");
    let start = feed.position();
    let event = |n| StreamEvent::AccountChanged { version: n };

    let mut ids = Vec::new();
    for n in 0..3 {
        let mut tx = store.write().await.expect("tx");
        let e = event(n);
        ids.push(
            tx.insert_event(&NewEvent { organization_id: org, user_id: None, session_id: None, event: &e }, 0)
                .await
                .expect("event"),
        );
        tx.commit().await.expect("commit");
    }
    let mut rolled_back = store.write().await.expect("tx");
    rolled_back
        .insert_event(&NewEvent { organization_id: org, user_id: None, session_id: None, event: &event(9) }, 0)
        .await
        .expect("event");
    drop(rolled_back);

    let mut seen = Vec::new();
    for _ in 0..50 {
        let batch = feed.next(2).await.expect("next");
        seen.extend(batch.events.iter().map(|e| e.id));
        if seen.len() == 3 && !batch.more {
            break;
        }
    }
    assert!(ids[0] > start);
    assert_eq!(seen, ids);
    assert_eq!(feed.position(), ids[2]);
    assert!(feed.next(10).await.expect("next").events.is_empty(), "nothing twice");
}
}

engine_test! {
async fn the_account_of_a_token_comes_with_its_pending_changes_in_one_lookup(engine) {
    let (_database, store) = open(engine).await;
    let (_, user) = seeded(&store).await;
    let mut tx = store.write().await.expect("tx");
    tx.insert_session(
        &account_server::store::NewSession { id: "s1", user_id: user, token_hash: b"hash-1", device_name: "d" },
        100,
    )
    .await
    .expect("session");
    tx.commit().await.expect("commit");

    let mut read = store.read().await.expect("read");
    let (session, found, none) = read.account_by_token(b"hash-1", 0).await.expect("query").expect("found");
    assert_eq!((session.id.as_str(), found.id), ("s1", user));
    assert!(none.email.is_none() && none.phone.is_none());
    assert!(read.account_by_token(b"hash-1", 101).await.expect("query").is_none(), "idle past the cutoff");
    assert!(read.account_by_token(b"other", 0).await.expect("query").is_none());
    drop(read);

    let mut tx = store.write().await.expect("tx");
    for (kind, target) in [(ChangeKind::Email, "new@example.com"), (ChangeKind::Phone, "+34600123456")] {
        tx.put_pending_change(&NewPendingChange { user_id: user, kind, target, code_hash: b"h", now: 1, expires_at: 9 })
            .await
            .expect("pending");
    }
    tx.commit().await.expect("commit");
    let mut read = store.read().await.expect("read");
    let (_, _, both) = read.account_by_token(b"hash-1", 0).await.expect("query").expect("found");
    assert_eq!(both.email.map(|p| p.target), Some("new@example.com".to_owned()));
    assert_eq!(both.phone.map(|p| p.target), Some("+34600123456".to_owned()));
}
}

/// `url` with `sslmode` set.
fn with_sslmode(url: &str, mode: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode={mode}")
}

#[tokio::test]
async fn postgres_speaks_tls_and_checks_the_servers_certificate() {
    let ca = std::env::var_os(account_server::testing::DATABASE_CA_VARIABLE)
        .expect("TEST_POSTGRES_CA names the test server's CA certificate (make test sets it)");
    let database = TestDatabase::create(account_server::store::Engine::Postgres)
        .await
        .expect("database");
    let pg = database.postgres.as_ref().expect("postgres");
    let mut config = database.config();

    config.database_url = Some(with_sslmode(&pg.url, "require").into());
    config.database_ca_file = Some(ca.into());
    let store = Store::open(&config).await.expect("TLS with the right CA");
    seeded(&store).await;
    let (admin, connection) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
        .await
        .expect("admin");
    tokio::spawn(connection);
    let encrypted: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid \
             WHERE a.application_name = 'account-server' AND a.datname = current_database() AND s.ssl",
            &[],
        )
        .await
        .expect("pg_stat_ssl")
        .get(0);
    assert!(encrypted >= 1, "the pool's connections are encrypted");

    config.database_ca_file = None;
    let refused = Store::open(&config)
        .await
        .expect_err("the Mozilla roots do not know this CA");
    assert!(refused.to_string().contains("certificate"), "{refused}");

    config.database_url = Some(with_sslmode(&pg.url, "disable").into());
    Store::open(&config)
        .await
        .expect("no TLS when the URL says so");
}

/// Runs `sql` on the database behind the store's back (what an older release, or an
/// operator, left there); the first column of the first row, as text.
async fn behind_the_back(database: &TestDatabase, sql: &str) -> Option<String> {
    match &database.postgres {
        None => {
            let conn = rusqlite::Connection::open(&database.config().database_path).expect("file");
            let mut stmt = conn.prepare(sql).expect("sql");
            let mut rows = stmt.query([]).expect("runs");
            rows.next()
                .expect("row")
                .and_then(|row| row.get::<_, Option<String>>(0).expect("text"))
        }
        Some(pg) => {
            let (client, connection) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
                .await
                .expect("connects");
            tokio::spawn(connection);
            client
                .simple_query(sql)
                .await
                .expect("runs")
                .into_iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(row) => {
                        Some(row.get(0).map(str::to_owned))
                    }
                    _ => None,
                })
                .flatten()
        }
    }
}

/// A member with `email` in `org`.
async fn add_member(store: &Store, org: i64, email: &str) -> Result<i64, StoreError> {
    let mut tx = store.write().await.expect("tx");
    let id = tx
        .insert_user(
            &NewUser {
                organization_id: org,
                name: &DisplayName::parse("Member").expect("name"),
                email: &Email::parse(email).expect("email"),
                phone: None,
                role: Role::Member,
                password_hash: "x",
                low_balance: None,
            },
            0,
        )
        .await?;
    tx.commit().await.expect("commit");
    Ok(id)
}

engine_test! {
async fn a_second_account_with_a_look_alike_email_is_a_duplicate(engine) {
    let (_database, store) = open(engine).await;
    let (org, _) = seeded(&store).await;
    let ape = add_member(&store, org, "ape@example.com").await.expect("ape");
    let other = add_member(&store, org, "other@example.com").await.expect("other");
    // All Cyrillic: а (U+0430), р (U+0440), е (U+0435); the same skeleton as ape.
    let look_alike = Email::parse("аре@example.com").expect("single-script");

    let inserted = add_member(&store, org, look_alike.as_str()).await;
    let mut tx = store.write().await.expect("tx");
    let changed = tx.set_email(other, &look_alike, 1).await;

    assert!(matches!(inserted, Err(StoreError::Duplicate(_))), "{inserted:?}");
    assert!(matches!(changed, Err(StoreError::Duplicate(_))), "{changed:?}");
    drop(tx);
    let mut read = store.read().await.expect("read");
    assert!(read.email_taken(&look_alike, other).await.expect("query"));
    // Not taken for ape's own account: a look-alike of one's own address is free.
    assert!(!read.email_taken(&look_alike, ape).await.expect("query"));
}
}

engine_test! {
async fn skeletons_missing_or_stale_at_open_are_computed_and_look_alikes_stop_the_opening(engine) {
    let (database, store) = open(engine).await;
    let (org, ana) = seeded(&store).await;
    let other = add_member(&store, org, "other@example.com").await.expect("other");
    drop(store);
    let skeleton_of = |id: i64| format!("SELECT email_skeleton FROM users WHERE id = {id}");
    let expected = Email::parse("ana@example.com").expect("email").skeleton();

    // Rows from before the column: filled in at open.
    behind_the_back(&database, "UPDATE users SET email_skeleton = NULL").await;
    drop(Store::open(&database.config()).await.expect("reopens"));
    assert_eq!(behind_the_back(&database, &skeleton_of(ana)).await, Some(expected.clone()));

    // Computed with other skeleton data: all recomputed.
    behind_the_back(&database, "UPDATE email_skeleton_data SET version = 'older data'").await;
    behind_the_back(&database, &format!("UPDATE users SET email_skeleton = 'stale' WHERE id = {ana}")).await;
    drop(Store::open(&database.config()).await.expect("reopens"));
    assert_eq!(behind_the_back(&database, &skeleton_of(ana)).await, Some(expected));
    assert_eq!(
        behind_the_back(&database, "SELECT version FROM email_skeleton_data").await,
        Some(Email::skeleton_data())
    );

    // An address written before the rule that looks like another account's (Cyrillic а).
    behind_the_back(
        &database,
        &format!("UPDATE users SET email = 'аna@example.com', email_skeleton = NULL WHERE id = {other}"),
    )
    .await;
    let refused = Store::open(&database.config()).await.expect_err("two look-alike accounts");
    let message = refused.to_string();
    assert!(matches!(refused, StoreError::Migration(_)), "{message}");
    assert!(message.contains(&format!("users {ana} and {other}")), "{message}");
}
}
