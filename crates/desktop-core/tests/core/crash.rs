//! Nothing lost, nothing twice: a helper process applies an offline-capable edit and is
//! killed with SIGKILL at each point of the send path. A TCP relay between it and the
//! real server decides the moment: when the request reaches the relay (not forwarded:
//! the server never saw it), when the server's answer comes back (not forwarded: the
//! server applied it, the helper never learned), and after the helper recorded the
//! acknowledgement. Each time a fresh engine on the same data directory must bring the
//! server to exactly one application of the edit. The relay is the server's address for
//! the whole test (the desktop signs in through it, passed through until armed): a
//! cache and its token are only ever used with the address they were signed in at.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use account_model::{Language, Role};
use secrecy::ExposeSecret;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::helpers::{Desktop, TestServer, desktop, password, spawn_server};

#[derive(Debug, Clone, Copy)]
enum Hold {
    /// Swallow the request: it never reaches the server.
    Request,
    /// Forward the request, swallow the answer.
    Response,
}

/// A relay to `upstream`: connections made while it is not armed pass through; those
/// made while armed hold as `hold` says, each reporting the moment it holds.
struct Relay {
    base: String,
    held: mpsc::UnboundedReceiver<()>,
    armed: Arc<AtomicBool>,
}

impl Relay {
    fn arm(&self, armed: bool) {
        self.armed.store(armed, Ordering::SeqCst);
    }
}

async fn relay(upstream: SocketAddr, hold: Hold) -> Relay {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (held, rx) = mpsc::unbounded_channel();
    let armed = Arc::new(AtomicBool::new(false));
    let armed_now = Arc::clone(&armed);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let held = held.clone();
            let armed = armed_now.load(Ordering::SeqCst);
            tokio::spawn(async move {
                if !armed {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                    return;
                }
                let mut buf = vec![0u8; 16 * 1024];
                match hold {
                    Hold::Request => {
                        if client.read(&mut buf).await.unwrap_or(0) > 0 {
                            let _ = held.send(());
                        }
                        // Keep the connection open and silent until the test ends.
                        let _ = client.read(&mut buf).await;
                    }
                    Hold::Response => {
                        let Ok(mut server) = TcpStream::connect(upstream).await else {
                            return;
                        };
                        let (mut client_read, _client_write) = client.split();
                        let (mut server_read, mut server_write) = server.split();
                        let forward = async {
                            loop {
                                let n = client_read.read(&mut buf).await.unwrap_or(0);
                                if n == 0 || server_write.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        };
                        let mut answer = [0u8; 1];
                        let swallow = async {
                            if server_read.read(&mut answer).await.unwrap_or(0) > 0 {
                                let _ = held.send(());
                            }
                            std::future::pending::<()>().await;
                        };
                        tokio::select! {
                            () = forward => {}
                            () = swallow => {}
                        }
                    }
                }
            });
        }
    });
    Relay {
        base,
        held: rx,
        armed,
    }
}

/// Signs `email` in on a fresh desktop and returns it with its token and the account
/// version the edit will be based on. The engine is dropped: the helper takes over.
async fn signed_in_desktop(server: &TestServer, base: &str, email: &str) -> (Desktop, String, i64) {
    server.add_user(Role::Member, email).await;
    let d = desktop(base).await;
    let account = d
        .engine
        .sign_in(email, &password())
        .await
        .expect("signed in");
    let token = d
        .tokens
        .get()
        .expect("token store")
        .expect("token")
        .expose_secret()
        .to_owned();
    (d, token, account.server_version)
}

fn helper(d: &Desktop, base: &str, token: &str) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_desktop-core-crash-helper"))
        .arg(d.data_dir())
        .arg(base)
        .arg("it")
        .env("DESKTOP_CORE_HELPER_TOKEN", token)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("helper starts")
}

async fn kill9(mut child: tokio::process::Child) {
    child.start_kill().expect("SIGKILL sent");
    let status = child.wait().await.expect("reaped");
    assert!(!status.success(), "the helper died by the signal");
}

/// After the crash: a fresh engine on the same data directory sends what is left.
async fn recover_and_check(
    server: &TestServer,
    base: &str,
    d: &Desktop,
    email: &str,
    base_version: i64,
    queued: usize,
) {
    let engine = d.reopen(base).await;
    let cached = engine
        .load_from_cache()
        .await
        .expect("cache")
        .expect("cached");
    assert_eq!(
        cached.view.language,
        Language::It,
        "the edit was not lost locally"
    );
    assert_eq!(cached.pending_edits, queued);

    let report = engine.flush_queue().await.expect("flushed");

    assert_eq!(report.pending, 0);
    assert!(report.conflicts.is_empty(), "{:?}", report.conflicts);
    let on_server = server.account_on_server(email).await;
    assert_eq!(on_server.language, Language::It, "the edit landed");
    assert_eq!(on_server.version, base_version + 1, "applied exactly once");
}

async fn wait_for(rx: &mut mpsc::UnboundedReceiver<()>) {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("the helper reached the point in time")
        .expect("relay alive");
}

#[tokio::test]
async fn a_kill_after_the_edit_was_queued_but_before_the_server_saw_it_loses_nothing() {
    let server = spawn_server().await;
    let mut relay = relay(server.addr, Hold::Request).await;
    let (d, token, base_version) = signed_in_desktop(&server, &relay.base, "ana@example.com").await;
    relay.arm(true);

    let child = helper(&d, &relay.base, &token);
    wait_for(&mut relay.held).await;
    kill9(child).await;
    relay.arm(false);

    let untouched = server.account_on_server("ana@example.com").await;
    assert_eq!(untouched.version, base_version, "the server never saw it");
    recover_and_check(&server, &relay.base, &d, "ana@example.com", base_version, 1).await;
}

#[tokio::test]
async fn a_kill_after_the_server_applied_the_edit_but_before_the_acknowledgement_applies_it_once() {
    let server = spawn_server().await;
    let mut relay = relay(server.addr, Hold::Response).await;
    let (d, token, base_version) = signed_in_desktop(&server, &relay.base, "ana@example.com").await;
    relay.arm(true);

    let child = helper(&d, &relay.base, &token);
    wait_for(&mut relay.held).await;
    kill9(child).await;
    relay.arm(false);

    let applied = server.account_on_server("ana@example.com").await;
    assert_eq!(applied.language, Language::It, "the server applied it");
    assert_eq!(applied.version, base_version + 1);
    recover_and_check(&server, &relay.base, &d, "ana@example.com", base_version, 1).await;
}

#[tokio::test]
async fn a_kill_after_the_acknowledgement_was_recorded_sends_nothing_again() {
    let server = spawn_server().await;
    let (d, token, base_version) =
        signed_in_desktop(&server, &server.base, "ana@example.com").await;

    let mut child = helper(&d, &server.base, &token);
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).lines().next_line(),
    )
    .await
    .expect("the helper finished its edit")
    .expect("read")
    .expect("a line");
    kill9(child).await;

    assert_eq!(line, "APPLIED 0");
    recover_and_check(
        &server,
        &server.base,
        &d,
        "ana@example.com",
        base_version,
        0,
    )
    .await;
}
