//! Two server instances on one PostgreSQL database, as behind a load balancer: what
//! must hold across instances. Each test runs instance A (the fixture's server) and
//! instance B (another `App` with its own pool and LISTEN connection) in this process.
//! The listeners' periodic fallback is switched off (10 minutes), so everything that
//! reaches an instance here reached it through LISTEN/NOTIFY and the events table.

use std::collections::BTreeSet;
use std::time::Duration;

use account_model::Role;
use account_model::dto::StreamEvent;
use account_server::App;
use account_server::config::{Config, DeliveryMode, SmtpConfig, SmtpTls};
use account_server::store::{Engine, NewEvent, NewMessage, OutChannel};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    EventStream, PASSWORD, Reply, SERVICE_TOKEN, TestApp, request_at, spawn_app_with,
};
use account_server::testing::sinks::SmtpSink;

/// Instance A (with the test harness) and instance B on the same database.
struct Cluster {
    a: TestApp,
    b: App,
}

impl Cluster {
    async fn start(tweak: impl Fn(&mut Config) + Clone) -> Self {
        let both = tweak.clone();
        let a = spawn_app_with(Engine::Postgres, move |c| {
            c.database_listen_fallback_ms = 600_000;
            both(c);
        })
        .await;
        let b = a.another_instance().await.expect("instance B starts");
        Self { a, b }
    }

    /// The base URL of instance `i` (0: A, 1: B).
    fn base(&self, i: usize) -> String {
        match i % 2 {
            0 => self.a.base.clone(),
            _ => format!("http://{}", self.b.addr),
        }
    }

    async fn request(
        &self,
        i: usize,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        request_at(&self.a.client, &self.base(i), method, path, token, body).await
    }

    /// Charges the organization through instance `i`'s service API.
    async fn adjust(&self, i: usize, amount_minor: i64, key: &str) -> Reply {
        let path = format!(
            "/v1/service/organizations/{}/balance-adjustments",
            self.a.org_id
        );
        self.request(
            i,
            Method::POST,
            &path,
            Some(SERVICE_TOKEN),
            Some(json!({ "amountMinor": amount_minor, "idempotencyKey": key })),
        )
        .await
    }

    async fn events(&self, i: usize, token: &str, last: Option<i64>) -> EventStream {
        EventStream::open(&self.a.client, &self.base(i), token, last).await
    }

    /// `n` balance adjustments of `amount_minor` at once, alternating instances, the
    /// idempotency key of each from `key`.
    async fn parallel_adjustments(
        &self,
        n: usize,
        amount_minor: i64,
        key: fn(usize) -> String,
    ) -> Vec<Reply> {
        let org = self.a.org_id;
        self.parallel(n, move |client, base, i| async move {
            let path = format!("/v1/service/organizations/{org}/balance-adjustments");
            let body = json!({ "amountMinor": amount_minor, "idempotencyKey": key(i) });
            request_at(
                &client,
                &base,
                Method::POST,
                &path,
                Some(SERVICE_TOKEN),
                Some(body),
            )
            .await
        })
        .await
    }

    /// Runs `n` requests at once, alternating instances; their replies in order.
    async fn parallel<F, Fut>(&self, n: usize, make: F) -> Vec<Reply>
    where
        F: Fn(reqwest::Client, String, usize) -> Fut,
        Fut: std::future::Future<Output = Reply> + Send + 'static,
    {
        let tasks: Vec<_> = (0..n)
            .map(|i| tokio::spawn(make(self.a.client.clone(), self.base(i), i)))
            .collect();
        let mut replies = Vec::new();
        for task in tasks {
            replies.push(task.await.expect("joined"));
        }
        replies
    }
}

fn codes(replies: &[Reply]) -> Vec<String> {
    replies.iter().map(|r| r.code().to_owned()).collect()
}

fn count(codes: &[String], code: &str) -> usize {
    codes.iter().filter(|c| c.as_str() == code).count()
}

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_stream_on_one_instance_receives_what_writes_through_the_other_caused() {
    let cluster = Cluster::start(|_| {}).await;
    let ana = cluster.a.user(Role::Billing, "ana@example.com").await;
    let laptop = cluster.a.login("ana@example.com", PASSWORD).await;
    let mut on_a = cluster.events(0, &ana.token, None).await;
    let mut laptop_on_a = cluster.events(0, &laptop, None).await;

    cluster.adjust(1, -250, "through-b").await;
    let balance = on_a
        .next_named("balance_changed", WAIT)
        .await
        .expect("balance");
    assert_eq!(balance.data["amountMinor"], 9_750);

    let version = cluster.a.account(&ana.token).await.body["version"].clone();
    let changed = cluster
        .request(
            1,
            Method::PATCH,
            "/v1/account/preferences",
            Some(&ana.token),
            Some(json!({ "baseVersion": version, "language": "de" })),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let account = on_a
        .next_named("account_changed", WAIT)
        .await
        .expect("account");
    assert_eq!(account.data["version"], changed.body["version"]);

    cluster
        .request(
            1,
            Method::POST,
            "/v1/sessions/revoke-others",
            Some(&ana.token),
            None,
        )
        .await;
    let revoked = laptop_on_a
        .next_named("session_revoked", WAIT)
        .await
        .expect("the laptop is told");
    assert_eq!(revoked.event, "session_revoked");
    assert!(laptop_on_a.next(WAIT).await.is_none(), "its stream ended");
}

#[tokio::test]
async fn a_later_id_that_commits_first_waits_for_the_earlier_one() {
    let cluster = Cluster::start(|_| {}).await;
    let ana = cluster.a.user(Role::Member, "ana@example.com").await;
    let mut on_a = cluster.events(0, &ana.token, None).await;
    let before = cluster.a.adjust(-1, "before").await;
    assert_eq!(before.status, StatusCode::OK);
    let start = on_a
        .next_named("balance_changed", WAIT)
        .await
        .expect("first")
        .id
        .expect("id");

    // A transaction on B draws the next event id and does not commit yet...
    let mut slow = cluster.b.services.store.write().await.expect("tx");
    let held = slow
        .insert_event(
            &NewEvent {
                organization_id: cluster.a.org_id,
                user_id: None,
                session_id: None,
                event: &StreamEvent::AccountChanged { version: 999 },
            },
            0,
        )
        .await
        .expect("drawn");
    // ...while a write through A draws a later one and commits first.
    cluster.adjust(0, -2, "after").await;
    assert!(
        on_a.next(Duration::from_millis(500)).await.is_none(),
        "the later event must wait for the earlier one still in flight"
    );
    slow.commit().await.expect("commits");

    let first = on_a.next(WAIT).await.expect("the earlier event");
    let second = on_a.next(WAIT).await.expect("the later event");
    assert_eq!(first.id, Some(held));
    assert_eq!(first.data["version"], 999);
    assert_eq!(second.event, "balance_changed");
    assert!(second.id > first.id);

    // A stream resuming from before both, on the other instance, gets both in order.
    let mut resumed = cluster.events(1, &ana.token, Some(start)).await;
    let a = resumed.next(WAIT).await.expect("resumed 1");
    let b = resumed.next(WAIT).await.expect("resumed 2");
    assert_eq!((a.id, b.id), (first.id, second.id));
}

#[tokio::test]
async fn a_rolled_back_id_does_not_hold_the_stream_back() {
    let cluster = Cluster::start(|_| {}).await;
    let ana = cluster.a.user(Role::Member, "ana@example.com").await;
    let mut on_b = cluster.events(1, &ana.token, None).await;

    let mut doomed = cluster.a.app.services.store.write().await.expect("tx");
    doomed
        .insert_event(
            &NewEvent {
                organization_id: cluster.a.org_id,
                user_id: None,
                session_id: None,
                event: &StreamEvent::Resync,
            },
            0,
        )
        .await
        .expect("drawn");
    cluster.adjust(1, -5, "after-the-hole").await;
    drop(doomed); // rolled back: its id never commits

    let next = on_b.next(WAIT).await.expect("the committed event");
    assert_eq!(next.event, "balance_changed");
    assert_eq!(next.data["amountMinor"], 9_995);
}

#[tokio::test]
async fn many_writers_on_both_instances_reach_every_stream_once_in_order_and_resume_across() {
    let cluster = Cluster::start(|_| {}).await;
    let ana = cluster.a.user(Role::Member, "ana@example.com").await;
    let mut on_a = cluster.events(0, &ana.token, None).await;
    let mut on_b = cluster.events(1, &ana.token, None).await;

    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (client, bases) = (cluster.a.client.clone(), [cluster.base(0), cluster.base(1)]);
        let path = format!(
            "/v1/service/organizations/{}/balance-adjustments",
            cluster.a.org_id
        );
        writers.push(tokio::spawn(async move {
            for i in 0..EACH {
                let reply = request_at(
                    &client,
                    &bases[(w + i) % 2],
                    Method::POST,
                    &path,
                    Some(SERVICE_TOKEN),
                    Some(json!({ "amountMinor": -1, "idempotencyKey": format!("w{w}-{i}") })),
                )
                .await;
                assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
            }
        }));
    }

    // Stream A reads half, drops, and resumes on B from the last id it saw.
    let total = WRITERS * EACH;
    let mut via_a_then_b = Vec::new();
    while via_a_then_b.len() < total / 2 {
        let e = on_a
            .next_named("balance_changed", WAIT)
            .await
            .expect("event on A");
        via_a_then_b.push(e.id.expect("id"));
    }
    drop(on_a);
    let last = *via_a_then_b.last().expect("some");
    let mut resumed = cluster.events(1, &ana.token, Some(last)).await;
    while via_a_then_b.len() < total {
        let e = resumed
            .next_named("balance_changed", WAIT)
            .await
            .expect("event after resuming on B");
        via_a_then_b.push(e.id.expect("id"));
    }
    let mut via_b = Vec::new();
    while via_b.len() < total {
        let e = on_b
            .next_named("balance_changed", WAIT)
            .await
            .expect("event on B");
        via_b.push(e.id.expect("id"));
    }
    for w in writers {
        w.await.expect("writer");
    }

    for (name, ids) in [("A then B", &via_a_then_b), ("B", &via_b)] {
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{name}: ids strictly increase (no repeat, no reordering)"
        );
        assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), total, "{name}");
    }
    assert_eq!(via_a_then_b, via_b, "both saw the same events");
    assert!(
        resumed.next(Duration::from_millis(300)).await.is_none(),
        "nothing more, nothing twice"
    );
    let balance = cluster.a.account(&ana.token).await.body["balance"]["amountMinor"].clone();
    assert_eq!(balance, 10_000 - total as i64);
}

/// The backend of the LISTEN connection named `name`, if connected.
async fn listener_pid(admin: &tokio_postgres::Client, name: &str) -> Option<i32> {
    admin
        .query_opt(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .await
        .expect("queried")
        .map(|r| r.get::<_, i32>(0))
}

#[tokio::test]
async fn a_killed_listener_reconnects_and_catches_up_on_what_it_missed() {
    let cluster = Cluster::start(|_| {}).await;
    let ana = cluster.a.user(Role::Member, "ana@example.com").await;
    let mut on_a = cluster.events(0, &ana.token, None).await;
    let pg = cluster.a.database.postgres.as_ref().expect("postgres");
    let (admin, connection) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
        .await
        .expect("connects");
    tokio::spawn(connection);
    let name = account_server::store::postgres::listener_name(&cluster.a.app.services.instance);
    let old = listener_pid(&admin, &name).await.expect("A listens");
    // Connected is not yet listening: the connection shows in pg_stat_activity before its
    // LISTEN ran, and once it ran the listener reads the table for anything it missed.
    // Wait for both, or that first read finds the event inserted below.
    let mut listening = false;
    for _ in 0..100 {
        let query: Option<String> = admin
            .query_opt("SELECT query FROM pg_stat_activity WHERE pid = $1", &[&old])
            .await
            .expect("queried")
            .map(|r| r.get(0));
        if query.is_some_and(|q| q.starts_with("LISTEN")) {
            listening = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(listening, "A's listener ran LISTEN");
    while on_a.next(Duration::from_millis(300)).await.is_some() {}

    // An event committed without any notification reaching A (as when one is sent while
    // A's connection is down): nothing wakes A, so it waits in the table...
    admin
        .execute(
            "INSERT INTO events (organization_id, kind, payload, created_at) \
             VALUES ($1, 'balance_changed', '{\"type\":\"balance_changed\",\"amountMinor\":1234,\"currency\":\"EUR\"}', 0)",
            &[&cluster.a.org_id],
        )
        .await
        .expect("inserted");
    assert!(
        on_a.next(Duration::from_millis(300)).await.is_none(),
        "nothing told A yet"
    );
    // ...until A's listener is killed: it reconnects and reads what it may have missed.
    let killed: bool = admin
        .query_one("SELECT pg_terminate_backend($1, 5000)", &[&old])
        .await
        .expect("terminate")
        .get(0);
    assert!(killed);

    let caught = on_a
        .next_named("balance_changed", WAIT)
        .await
        .expect("caught up after reconnecting");
    assert_eq!(caught.data["amountMinor"], 1234);
    let mut new = None;
    for _ in 0..50 {
        new = listener_pid(&admin, &name).await;
        if new.is_some_and(|pid| pid != old) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        new.is_some_and(|pid| pid != old),
        "A listens again, on a new connection"
    );
    // And it hears B again.
    cluster.adjust(1, -1, "after-reconnect").await;
    assert!(on_a.next_named("balance_changed", WAIT).await.is_some());
}

#[tokio::test]
async fn two_delivery_workers_send_each_of_200_messages_exactly_once() {
    let smtp = SmtpSink::start().await;
    let port = smtp.addr.port();
    let cluster = Cluster::start(move |c| {
        c.delivery = DeliveryMode::Live;
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "Account Settings <no-reply@example.com>".into(),
        });
        c.sms = Some(account_server::config::SmsConfig {
            url: "http://127.0.0.1:9/unused".into(),
            token: None,
            sender: "Acme".into(),
        });
    })
    .await;

    let services = &cluster.a.app.services;
    let mut tx = services.store.write().await.expect("tx");
    let now = services.now_ms();
    for i in 0..200 {
        let to = format!("r{i:03}@example.com");
        tx.enqueue(
            &NewMessage {
                user_id: None,
                channel: OutChannel::Email,
                recipient: &to,
                language: "en",
                kind: "password_changed",
                subject: "Hello",
                body: "Body",
            },
            now,
        )
        .await
        .expect("queued");
    }
    tx.commit().await.expect("committed"); // notifies both workers

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while smtp.mails().len() < 200 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Time for a duplicate to show up, were there one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(smtp.mails().len(), 200, "each message once, none twice");
    let recipients: BTreeSet<String> = smtp.mails().into_iter().flat_map(|m| m.to).collect();
    assert_eq!(recipients.len(), 200);
    let sent = cluster
        .a
        .outbox("r000@example.com")
        .await
        .into_iter()
        .all(|m| m.status == "sent" && m.attempts == 1);
    assert!(sent);
}

#[tokio::test]
async fn ten_parallel_wrong_passwords_over_both_instances_check_exactly_five() {
    let cluster = Cluster::start(|_| {}).await;
    cluster
        .a
        .add_user(Role::Member, "ana@example.com", None)
        .await;

    let replies = cluster
        .parallel(10, |client, base, i| async move {
            let body =
                json!({ "email": "ana@example.com", "password": format!("wrong guess {i}") });
            request_at(
                &client,
                &base,
                Method::POST,
                "/v1/sessions",
                None,
                Some(body),
            )
            .await
        })
        .await;

    let codes = codes(&replies);
    assert_eq!(count(&codes, "invalid_credentials"), 5, "{codes:?}");
    assert_eq!(count(&codes, "too_many_attempts"), 5, "{codes:?}");
}

#[tokio::test]
async fn the_resend_cooldown_and_the_hourly_cap_hold_over_both_instances() {
    let cluster = Cluster::start(|c| {
        c.limits.resend_cooldown_secs = 60;
        c.limits.code_sends_per_hour = 5;
    })
    .await;
    let ana = cluster.a.user(Role::Member, "ana@example.com").await;
    let started = cluster
        .a
        .email_change(&ana.token, "new@example.com", PASSWORD)
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED);
    cluster.a.clock.advance(chrono::Duration::seconds(61));

    let resend = |token: String| {
        move |client: reqwest::Client, base: String, _| {
            let token = token.clone();
            async move {
                request_at(
                    &client,
                    &base,
                    Method::POST,
                    "/v1/account/email-change/resend",
                    Some(&token),
                    None,
                )
                .await
            }
        }
    };
    let codes_after_cooldown = codes(&cluster.parallel(6, resend(ana.token.clone())).await);
    assert_eq!(
        count(&codes_after_cooldown, ""),
        1,
        "{codes_after_cooldown:?}"
    );
    assert_eq!(count(&codes_after_cooldown, "resend_too_soon"), 5);

    // Three more windows of the cooldown: three more sends, then the cap (5 an hour).
    for _ in 0..4 {
        cluster.a.clock.advance(chrono::Duration::seconds(61));
        let round = codes(&cluster.parallel(4, resend(ana.token.clone())).await);
        let sent = count(&round, "");
        let refused = count(&round, "resend_too_soon") + count(&round, "send_limit_reached");
        assert!(sent <= 1 && sent + refused == 4, "{round:?}");
    }
    let sends = cluster
        .a
        .outbox_kind("new@example.com", "email_change_code")
        .await;
    assert_eq!(sends.len(), 5, "exactly the hourly cap went out");
}

#[tokio::test]
async fn one_idempotency_key_applies_once_over_both_instances() {
    let cluster = Cluster::start(|_| {}).await;
    let replies = cluster
        .parallel_adjustments(8, -700, |_| "invoice-42".to_owned())
        .await;

    assert!(replies.iter().all(|r| r.status == StatusCode::OK));
    let applied = replies.iter().filter(|r| r.body["applied"] == true).count();
    let ids: BTreeSet<String> = replies.iter().map(|r| r.body["id"].to_string()).collect();
    assert_eq!(applied, 1);
    assert_eq!(ids.len(), 1, "every reply names the one adjustment");
    let ana = cluster.a.user(Role::Member, "ana@example.com").await;
    let balance = cluster.a.account(&ana.token).await.body["balance"]["amountMinor"].clone();
    assert_eq!(balance, 9_300);
}

#[tokio::test]
async fn fifty_charges_over_both_instances_alert_once_per_user_and_channel() {
    let cluster = Cluster::start(|_| {}).await;
    let bea = cluster.a.user(Role::Billing, "bea@example.com").await;
    let version = cluster.a.account(&bea.token).await.body["version"].clone();
    let on = cluster
        .a
        .preferences(
            &bea.token,
            json!({ "baseVersion": version, "lowBalance": { "enabled": true, "thresholdMinor": 5_000, "channels": ["email", "sms", "desktop"] } }),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
    let mut stream = cluster.events(1, &bea.token, None).await;

    let replies = cluster
        .parallel_adjustments(50, -200, |i| format!("c{i}"))
        .await;
    assert!(replies.iter().all(|r| r.status == StatusCode::OK));

    let emails = cluster
        .a
        .outbox_kind("bea@example.com", "low_balance")
        .await;
    let sms = cluster.a.outbox_kind("+34600123456", "low_balance").await;
    assert_eq!((emails.len(), sms.len()), (1, 1), "one alert per channel");
    let desktop = stream
        .next_named("low_balance_alert", WAIT)
        .await
        .expect("the desktop alert");
    assert!(desktop.data["balanceMinor"].as_i64() < Some(5_000));
    assert!(
        stream
            .next_named("low_balance_alert", Duration::from_millis(500))
            .await
            .is_none(),
        "and only one"
    );
}

#[tokio::test]
async fn two_owners_demoting_each_other_through_different_instances_leave_one_owner() {
    let cluster = Cluster::start(|_| {}).await;
    let olivia = cluster.a.user(Role::Owner, "olivia@example.com").await;
    let oscar = cluster.a.user(Role::Owner, "oscar@example.com").await;

    for round in 0..8 {
        let (o1, o2) = (olivia.clone(), oscar.clone());
        let replies = cluster
            .parallel(2, move |client, base, i| {
                let (me, other) = if i == 0 {
                    (o1.clone(), o2.clone())
                } else {
                    (o2.clone(), o1.clone())
                };
                async move {
                    let path = format!("/v1/organization/members/{}/role", other.id);
                    request_at(
                        &client,
                        &base,
                        Method::PUT,
                        &path,
                        Some(&me.token),
                        Some(json!({ "role": "admin" })),
                    )
                    .await
                }
            })
            .await;
        let owners: Vec<Value> = cluster.a.members(&olivia.token).await.body["members"]
            .as_array()
            .expect("members")
            .iter()
            .filter(|m| m["role"] == "owner")
            .cloned()
            .collect();
        assert_eq!(owners.len(), 1, "round {round}: {:?}", codes(&replies));
        // The one left makes the other owner again for the next round.
        let (left, demoted) = if owners[0]["userId"] == olivia.id {
            (&olivia, &oscar)
        } else {
            (&oscar, &olivia)
        };
        let back = cluster.a.set_role(&left.token, demoted.id, "owner").await;
        assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    }
}

/// Asks instance `i` for the account of `token` until `done` holds (within a second).
async fn read_until(
    cluster: &Cluster,
    i: usize,
    token: &str,
    done: impl Fn(&Reply) -> bool,
) -> std::time::Duration {
    let started = std::time::Instant::now();
    loop {
        let reply = cluster
            .request(i, Method::GET, "/v1/account", Some(token), None)
            .await;
        if done(&reply) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "instance {i} still answers {:?}",
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn reads_through_one_instance_follow_writes_through_the_other_within_moments() {
    let cluster = Cluster::start(|_| {}).await;
    let ana = cluster.a.user(Role::Member, "ana@example.com").await;
    let laptop = cluster.a.login("ana@example.com", PASSWORD).await;
    let before = cluster
        .request(0, Method::GET, "/v1/account", Some(&ana.token), None)
        .await;
    cluster
        .request(0, Method::GET, "/v1/account", Some(&laptop), None)
        .await; // both cached on A
    let version = before.body["version"].as_i64().expect("version");

    let changed = cluster
        .request(
            1,
            Method::PATCH,
            "/v1/account/preferences",
            Some(&ana.token),
            Some(json!({ "baseVersion": version, "language": "fr" })),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    read_until(&cluster, 0, &ana.token, |r| {
        r.body["version"] == version + 1
    })
    .await;

    cluster.adjust(1, -300, "through-b").await;
    read_until(&cluster, 0, &ana.token, |r| {
        r.body["balance"]["amountMinor"] == 9_700
    })
    .await;

    cluster
        .request(
            1,
            Method::POST,
            "/v1/sessions/revoke-others",
            Some(&ana.token),
            None,
        )
        .await;
    read_until(&cluster, 0, &laptop, |r| {
        r.status == StatusCode::UNAUTHORIZED
    })
    .await;
}
