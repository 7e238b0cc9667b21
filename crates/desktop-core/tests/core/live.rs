//! Live balance and the low-balance alert, against the real server: push latency, a
//! server restart with a change made while it was down, a revoked session, the poll
//! fallback when the stream endpoint is unreachable, and the alert's once-per-crossing
//! behaviour across app restarts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use account_client::EventStreamConfig;
use account_model::{Role, Threshold};
use desktop_core::{
    AlertState, Change, Connectivity, EventsConfig, EventsEnded, LowBalanceAlert, PreferencesEdit,
    SyncEngine,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;

use crate::helpers::{Desktop, desktop, password, signed_in, spawn_server};

/// Quick reconnects and a short poll, so the tests stay short.
fn events_config() -> EventsConfig {
    EventsConfig {
        stream: EventStreamConfig {
            backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(250),
            ..EventStreamConfig::default()
        },
        poll_every: Duration::from_millis(300),
    }
}

/// `run_events` in the background, stopped through the returned sender.
struct Live {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<EventsEnded, desktop_core::CoreError>>,
}

fn start_live(engine: &SyncEngine) -> Live {
    let (stop, stopped) = oneshot::channel::<()>();
    let engine = engine.clone();
    let task = tokio::spawn(async move {
        engine
            .run_events(events_config(), async {
                let _ = stopped.await;
            })
            .await
    });
    Live { stop, task }
}

impl Live {
    async fn stop(self) -> EventsEnded {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("stops promptly")
            .expect("task")
            .expect("ran")
    }
}

/// The first change `pick` accepts within `within`; the others seen before it are
/// returned too, so tests can check what was (not) published on the way.
async fn wait_for<T>(
    changes: &mut broadcast::Receiver<Change>,
    within: Duration,
    mut pick: impl FnMut(&Change) -> Option<T>,
) -> (T, Vec<Change>) {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let change = tokio::time::timeout_at(deadline, changes.recv())
            .await
            .unwrap_or_else(|_| panic!("no matching change in time; saw {seen:?}"))
            .expect("the engine is alive");
        if let Some(found) = pick(&change) {
            return (found, seen);
        }
        seen.push(change);
    }
}

fn balance_of(amount: i64) -> impl FnMut(&Change) -> Option<()> {
    move |c| match c {
        Change::Balance(b) if b.balance.amount_minor == amount => Some(()),
        _ => None,
    }
}

fn alerts(changes: &[Change]) -> Vec<LowBalanceAlert> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::LowBalanceAlert(a) => Some(*a),
            _ => None,
        })
        .collect()
}

/// Waits until the live stream is connected and its first refresh is done.
async fn online(engine: &SyncEngine) {
    let mut state = engine.subscribe_state();
    tokio::time::timeout(
        Duration::from_secs(5),
        state.wait_for(|s| s.live && s.connectivity == Connectivity::Online),
    )
    .await
    .expect("online in time")
    .expect("state channel");
}

/// A billing user signed in, with the desktop low-balance alert on at `threshold`.
async fn billing_desktop(base: &str, email: &str, threshold: i64) -> Desktop {
    let d = desktop(base).await;
    d.engine
        .sign_in(email, &password())
        .await
        .expect("signed in");
    d.engine
        .apply_edit(
            PreferencesEdit::new()
                .low_balance_enabled(true)
                .low_balance_threshold(Threshold::parse(threshold).expect("threshold"))
                .low_balance_channels(&["desktop"])
                .expect("channels"),
        )
        .await
        .expect("saved")
        .flushed
        .expect("sent");
    d
}

/// A proxy to `upstream` that refuses `GET /v1/events` with a 503 (as a proxy or
/// firewall that breaks streaming would) and passes everything else through.
async fn proxy_without_events(upstream: std::net::SocketAddr) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let refused = Arc::new(AtomicUsize::new(0));
    let counter = refused.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut from_client, to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let to_client = Arc::new(tokio::sync::Mutex::new(to_client));
                let answers = {
                    let to_client = to_client.clone();
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        while let Ok(n) = from_server.read(&mut buf).await {
                            if n == 0 || to_client.lock().await.write_all(&buf[..n]).await.is_err()
                            {
                                break;
                            }
                        }
                    })
                };
                // The calls and the stream share one client and its pooled connections,
                // so any request on a connection may be the stream's: every chunk the
                // client sends is looked at (reqwest writes a request head in one).
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = match from_client.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if buf[..n].starts_with(b"GET /v1/events") {
                        counter.fetch_add(1, Ordering::SeqCst);
                        // The request before it was answered in full (HTTP/1.1 asks for
                        // one answer at a time on a connection).
                        answers.abort();
                        let body = r#"{"code":"internal","message":"streaming unavailable"}"#;
                        let answer = format!(
                            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = to_client.lock().await.write_all(answer.as_bytes()).await;
                        return;
                    }
                    if to_server.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (base, refused)
}

#[tokio::test]
async fn a_balance_change_reaches_the_desktop_cache_and_subscribers_within_a_second() {
    let server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "ana@example.com").await;
    let mut changes = d.engine.subscribe_changes();
    let live = start_live(&d.engine);
    online(&d.engine).await;

    let started = Instant::now();
    let after = server.adjust(-1_234, "charge-1").await;
    wait_for(&mut changes, Duration::from_secs(1), balance_of(after)).await;
    let latency = started.elapsed();
    let cached = d
        .engine
        .cached_balance()
        .await
        .expect("cache")
        .expect("a balance");
    let account = d
        .engine
        .load_from_cache()
        .await
        .expect("cache")
        .expect("account");

    eprintln!("push latency (adjustment to Change::Balance in the desktop core): {latency:?}");
    assert!(latency < Duration::from_secs(1), "{latency:?}");
    assert_eq!(after, 8_766);
    assert_eq!(cached.balance.amount_minor, 8_766);
    assert_eq!(cached.balance.currency.as_str(), "EUR");
    assert!(cached.synced_at >= account.synced_at.expect("synced"));
    assert_eq!(account.view.balance.amount_minor, 8_766, "the view agrees");
    let state = d.engine.state();
    assert_eq!(state.connectivity, Connectivity::Online);
    assert!(state.last_synced_at >= Some(cached.synced_at));
    assert_eq!(live.stop().await, EventsEnded::Shutdown);
}

#[tokio::test]
async fn the_live_balance_survives_a_server_restart_including_a_change_made_while_it_was_down() {
    let mut server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "ana@example.com").await;
    let mut changes = d.engine.subscribe_changes();
    let live = start_live(&d.engine);
    online(&d.engine).await;
    let first = server.adjust(-100, "before").await;
    wait_for(&mut changes, Duration::from_secs(2), balance_of(first)).await;
    let mut state = d.engine.subscribe_state();

    server.stop().await;
    tokio::time::timeout(
        Duration::from_secs(5),
        state.wait_for(|s| !s.live && s.connectivity == Connectivity::Offline),
    )
    .await
    .expect("offline noticed")
    .expect("state");
    let while_down = server.adjust_while_stopped(-200, "while-down").await;
    server.restart().await;
    wait_for(&mut changes, Duration::from_secs(5), balance_of(while_down)).await;
    let later = server.adjust(-300, "after").await;
    wait_for(&mut changes, Duration::from_secs(1), balance_of(later)).await;

    assert_eq!((first, while_down, later), (9_900, 9_700, 9_400));
    let cached = d
        .engine
        .cached_balance()
        .await
        .expect("cache")
        .expect("balance");
    assert_eq!(cached.balance.amount_minor, 9_400);
    online(&d.engine).await;
    assert_eq!(live.stop().await, EventsEnded::Shutdown);
}

#[tokio::test]
async fn revoking_the_session_elsewhere_ends_live_updates_reports_it_and_forgets_the_token() {
    let server = spawn_server().await;
    let d = signed_in(&server, Role::Member, "ana@example.com").await;
    let mut changes = d.engine.subscribe_changes();
    let live = start_live(&d.engine);
    online(&d.engine).await;
    let (other, token) = server.other_device("ana@example.com").await;

    other.revoke_other_sessions(&token).await.expect("revoked");
    let ended = tokio::time::timeout(Duration::from_secs(5), live.task)
        .await
        .expect("ends by itself")
        .expect("task")
        .expect("ran");
    let (_, _) = wait_for(&mut changes, Duration::from_secs(1), |c| {
        matches!(c, Change::SessionEnded).then_some(())
    })
    .await;

    assert_eq!(ended, EventsEnded::SessionEnded);
    assert!(
        d.tokens.get().expect("token store").is_none(),
        "dead token deleted"
    );
    assert!(
        d.engine.load_from_cache().await.expect("cache").is_some(),
        "the cache is kept for the same user's next sign-in"
    );
}

#[tokio::test]
async fn with_the_stream_endpoint_unreachable_a_conditional_poll_brings_balance_changes() {
    let server = spawn_server().await;
    server.add_user(Role::Member, "ana@example.com").await;
    let (proxy, refused) = proxy_without_events(server.addr).await;
    let d = desktop(&proxy).await;
    d.engine
        .sign_in("ana@example.com", &password())
        .await
        .expect("signed in through the proxy");
    let mut changes = d.engine.subscribe_changes();
    let live = start_live(&d.engine);

    let after = server.adjust(-2_500, "charge").await;
    let started = Instant::now();
    wait_for(&mut changes, Duration::from_secs(3), balance_of(after)).await;
    let waited = started.elapsed();

    eprintln!("fallback poll latency with a 300 ms interval: {waited:?}");
    assert!(refused.load(Ordering::SeqCst) >= 1, "the stream was tried");
    // The poll publishes the balance, then finishes and says so.
    let mut states = d.engine.subscribe_state();
    let state = tokio::time::timeout(
        Duration::from_secs(1),
        states.wait_for(|s| s.connectivity == Connectivity::Online),
    )
    .await
    .expect("online after the poll")
    .expect("state")
    .clone();
    assert!(!state.live, "polling, not pushed");
    assert!(state.last_synced_at.is_some());
    let cached = d
        .engine
        .cached_balance()
        .await
        .expect("cache")
        .expect("balance");
    assert_eq!(cached.balance.amount_minor, 7_500);
    assert_eq!(live.stop().await, EventsEnded::Shutdown);
}

#[tokio::test]
async fn the_low_balance_alert_fires_once_per_crossing_and_re_arms_on_recovery() {
    let server = spawn_server().await;
    server.add_user(Role::Billing, "bill@example.com").await;
    let d = billing_desktop(&server.base, "bill@example.com", 5_000).await;
    let mut changes = d.engine.subscribe_changes();
    let live = start_live(&d.engine);
    online(&d.engine).await;

    // 10 000 → 4 000: a crossing.
    let b1 = server.adjust(-6_000, "c1").await;
    let (alert, before) = wait_for(&mut changes, Duration::from_secs(2), |c| match c {
        Change::LowBalanceAlert(a) => Some(*a),
        _ => None,
    })
    .await;
    // Still below: no second alert by the time the next balance shows.
    let b2 = server.adjust(-500, "c2").await;
    let ((), still_below) = wait_for(&mut changes, Duration::from_secs(2), balance_of(b2)).await;
    // Back at the threshold exactly re-arms; the next crossing alerts again.
    let b3 = server.adjust(1_500, "c3").await;
    let ((), recovered) = wait_for(&mut changes, Duration::from_secs(2), balance_of(b3)).await;
    let b4 = server.adjust(-1, "c4").await;
    let (again, _) = wait_for(&mut changes, Duration::from_secs(2), |c| match c {
        Change::LowBalanceAlert(a) => Some(*a),
        _ => None,
    })
    .await;

    assert_eq!((b1, b2, b3, b4), (4_000, 3_500, 5_000, 4_999));
    assert_eq!(alert.balance_minor, 4_000);
    assert_eq!(alert.threshold_minor, 5_000);
    assert_eq!(alert.currency.as_str(), "EUR");
    assert!(alerts(&before).is_empty());
    assert!(alerts(&still_below).is_empty(), "{still_below:?}");
    assert!(alerts(&recovered).is_empty());
    assert_eq!(again.balance_minor, 4_999);
    assert_eq!(live.stop().await, EventsEnded::Shutdown);
}

#[tokio::test]
async fn an_app_restart_below_the_threshold_does_not_alert_again() {
    let server = spawn_server().await;
    server.add_user(Role::Billing, "bill@example.com").await;
    let d = billing_desktop(&server.base, "bill@example.com", 5_000).await;
    let mut changes = d.engine.subscribe_changes();
    let live = start_live(&d.engine);
    online(&d.engine).await;
    server.adjust(-6_000, "c1").await;
    wait_for(&mut changes, Duration::from_secs(2), |c| {
        matches!(c, Change::LowBalanceAlert(_)).then_some(())
    })
    .await;
    live.stop().await;
    // The first app is closed: nothing drives its engine any more.

    let restarted = d.reopen(&server.base).await;
    let mut changes = restarted.subscribe_changes();
    let live = start_live(&restarted);
    online(&restarted).await;
    let b = server.adjust(-100, "c2").await;
    let ((), seen) = wait_for(&mut changes, Duration::from_secs(2), balance_of(b)).await;

    assert!(alerts(&seen).is_empty(), "{seen:?}");
    assert_eq!(
        restarted.alert_state().await.expect("state"),
        AlertState::Fired
    );
    assert_eq!(live.stop().await, EventsEnded::Shutdown);
}

#[tokio::test]
async fn a_crossing_while_the_app_was_closed_alerts_once_at_the_next_start() {
    let server = spawn_server().await;
    server.add_user(Role::Billing, "bill@example.com").await;
    let d = billing_desktop(&server.base, "bill@example.com", 5_000).await;
    // The first app is closed: nothing drives its engine any more.

    let closed_balance = server.adjust(-7_000, "while-closed").await;
    let restarted = d.reopen(&server.base).await;
    let mut changes = restarted.subscribe_changes();
    let live = start_live(&restarted);
    let (alert, _) = wait_for(&mut changes, Duration::from_secs(3), |c| match c {
        Change::LowBalanceAlert(a) => Some(*a),
        _ => None,
    })
    .await;
    let b = server.adjust(-100, "after-start").await;
    let ((), later) = wait_for(&mut changes, Duration::from_secs(2), balance_of(b)).await;

    assert_eq!(closed_balance, 3_000);
    assert_eq!(alert.balance_minor, 3_000);
    assert!(alerts(&later).is_empty(), "only once: {later:?}");
    assert_eq!(live.stop().await, EventsEnded::Shutdown);
}

#[tokio::test]
async fn raising_the_threshold_above_the_balance_alerts_at_once_even_offline() {
    let mut server = spawn_server().await;
    server.add_user(Role::Billing, "bill@example.com").await;
    let d = billing_desktop(&server.base, "bill@example.com", 5_000).await;
    let mut changes = d.engine.subscribe_changes();
    server.stop().await;

    let outcome = d
        .engine
        .apply_edit(
            PreferencesEdit::new()
                .low_balance_threshold(Threshold::parse(20_000).expect("threshold")),
        )
        .await
        .expect("saved locally");
    let (alert, _) = wait_for(&mut changes, Duration::from_secs(1), |c| match c {
        Change::LowBalanceAlert(a) => Some(*a),
        _ => None,
    })
    .await;
    let lowered = d
        .engine
        .apply_edit(
            PreferencesEdit::new()
                .low_balance_threshold(Threshold::parse(1_000).expect("threshold")),
        )
        .await
        .expect("saved locally");

    assert_eq!(outcome.account.pending_edits, 1);
    assert_eq!(alert.balance_minor, 10_000);
    assert_eq!(alert.threshold_minor, 20_000);
    assert_eq!(lowered.account.view.balance.amount_minor, 10_000);
    assert_eq!(
        d.engine.alert_state().await.expect("state"),
        AlertState::Armed,
        "lowering it below the balance re-arms"
    );
}

/// A relay to `upstream` that records `METHOD /path` of every request through it.
async fn counting_relay(
    upstream: std::net::SocketAddr,
) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let answers = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                });
                let mut buf = [0u8; 8192];
                let mut line = Vec::new();
                loop {
                    let n = match client_read.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    for &b in &buf[..n] {
                        if b != b'\n' {
                            line.push(b);
                            continue;
                        }
                        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                        // A body has no line end of its own: the next request line on
                        // a kept-alive connection follows it on the same line.
                        let start = ["GET /", "POST /", "PATCH /", "PUT /", "DELETE /"]
                            .iter()
                            .filter_map(|m| text.rfind(m))
                            .max();
                        if let (Some(start), Some(_)) = (start, text.strip_suffix(" HTTP/1.1")) {
                            let head = &text[start..text.len() - " HTTP/1.1".len()];
                            let path = head.split('?').next().unwrap_or(head);
                            record.lock().expect("lock").push(path.to_owned());
                        }
                        line.clear();
                    }
                    if server_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                answers.abort();
            });
        }
    });
    (base, seen)
}

fn count(requests: &[String], request: &str) -> usize {
    requests.iter().filter(|r| *r == request).count()
}

/// What the app does at a start and a sign-in, counted at the server's door: one full
/// refresh (account, sessions, members), the lists shown from the cache, and a stream
/// that connects without a second refresh. Before, a start made four refreshes: the
/// page's, one in each list command, and one when the stream connected (12 requests
/// besides the stream; now 3).
#[tokio::test]
async fn a_start_makes_one_refresh_and_connecting_the_stream_adds_none() {
    let server = spawn_server().await;
    server.add_user(Role::Owner, "olga@example.com").await;
    let (base, seen) = counting_relay(server.addr).await;
    let take = || std::mem::take(&mut *seen.lock().expect("lock"));
    // No poll while connecting: only what a start itself asks for is counted.
    let quiet = EventsConfig {
        poll_every: Duration::from_secs(600),
        ..events_config()
    };
    let live_with = |engine: &SyncEngine| {
        let (stop, stopped) = oneshot::channel::<()>();
        let (engine, config) = (engine.clone(), quiet.clone());
        let task = tokio::spawn(async move {
            engine
                .run_events(config, async {
                    let _ = stopped.await;
                })
                .await
        });
        Live { stop, task }
    };

    // Signing in: the sign-in's refresh; this device's first stream has no id to resume
    // from, so it asks for the account once more (conditionally).
    let d = desktop(&base).await;
    d.engine
        .sign_in("olga@example.com", &password())
        .await
        .expect("signed in");
    let mut changes = d.engine.subscribe_changes();
    let live = live_with(&d.engine);
    online(&d.engine).await;
    let after = server.adjust(-100, "charge-1").await;
    wait_for(&mut changes, Duration::from_secs(5), balance_of(after)).await;
    assert_eq!(live.stop().await, EventsEnded::Shutdown);
    let signing_in = take();
    assert_eq!(count(&signing_in, "POST /v1/sessions"), 1, "{signing_in:?}");
    assert_eq!(count(&signing_in, "GET /v1/account"), 2, "{signing_in:?}");
    assert_eq!(count(&signing_in, "GET /v1/sessions"), 1, "{signing_in:?}");
    assert_eq!(
        count(&signing_in, "GET /v1/organization/members"),
        1,
        "{signing_in:?}"
    );

    // The app starts again: the page's refresh, both lists, the stream resuming.
    let engine = d.reopen(&base).await;
    let live = live_with(&engine);
    engine.refresh().await.expect("refresh");
    assert!(engine.sessions().await.expect("sessions").is_some());
    assert!(engine.members().await.expect("members").is_some());
    online(&engine).await;
    assert_eq!(live.stop().await, EventsEnded::Shutdown);
    let mut start = take();
    start.sort();
    assert_eq!(
        start,
        [
            "GET /v1/account",
            "GET /v1/events",
            "GET /v1/organization/members",
            "GET /v1/sessions"
        ]
    );
}
