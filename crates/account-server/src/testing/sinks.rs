//! Real peers for delivery tests and benchmarks: an SMTP server on 127.0.0.1 that speaks enough SMTP
//! for lettre and keeps what it receives, and an HTTP receiver standing in for the SMS
//! gateway. Both can be taken down and brought back on the same port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// A received email, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

#[derive(Debug)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
    tasks: Option<JoinSet<()>>,
}

async fn serve_smtp(listener: TcpListener, mails: Arc<Mutex<Vec<Mail>>>) {
    let mut conns = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        let mails = Arc::clone(&mails);
        conns.spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read);
            let _ = write.write_all(b"220 sink ESMTP ready\r\n").await;
            let mut rcpt = Vec::new();
            let mut line = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let upper = line.to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO") {
                    b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
                } else if upper.starts_with("RCPT TO:") {
                    rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                    b"250 OK\r\n"
                } else if upper.starts_with("DATA") {
                    let _ = write.write_all(b"354 end with .\r\n").await;
                    let mut raw = Vec::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                        raw.extend_from_slice(unstuffed.as_bytes());
                    }
                    let parsed = mail_parser::MessageParser::default().parse(&raw);
                    let (subject, body) =
                        parsed.as_ref().map_or((String::new(), String::new()), |m| {
                            (
                                m.subject().unwrap_or("").to_owned(),
                                m.body_text(0)
                                    .map(|b| b.trim_end().to_owned())
                                    .unwrap_or_default(),
                            )
                        });
                    mails.lock().expect("lock").push(Mail {
                        to: std::mem::take(&mut rcpt),
                        subject,
                        body,
                    });
                    b"250 OK queued\r\n"
                } else if upper.starts_with("QUIT") {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                } else {
                    b"250 OK\r\n"
                };
                if write.write_all(reply).await.is_err() {
                    return;
                }
            }
        });
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = JoinSet::new();
        tasks.spawn(serve_smtp(listener, Arc::clone(&mails)));
        Self {
            addr,
            mails,
            tasks: Some(tasks),
        }
    }

    /// Closes the port and every open connection.
    pub async fn stop(&mut self) {
        if let Some(mut tasks) = self.tasks.take() {
            tasks.shutdown().await;
        }
    }

    /// Listens again on the same port.
    pub async fn resume(&mut self) {
        let listener = TcpListener::bind(self.addr).await.expect("rebind");
        let mut tasks = JoinSet::new();
        tasks.spawn(serve_smtp(listener, Arc::clone(&self.mails)));
        self.tasks = Some(tasks);
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().expect("lock").clone()
    }

    /// Waits (real time, bounded) until `n` mails arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        for _ in 0..100 {
            if self.mails().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.mails()
    }
}

/// Each request's Authorization header and JSON body.
type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// The SMS gateway stand-in: records each JSON POST and its Authorization header.
#[derive(Debug)]
pub struct SmsReceiver {
    pub addr: SocketAddr,
    pub received: Received,
    task: tokio::task::JoinHandle<()>,
}

impl SmsReceiver {
    pub async fn start() -> Self {
        let received: Received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        let router = axum::Router::new().route(
            "/sms",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<Value>| {
                    let store = Arc::clone(&store);
                    async move {
                        let auth = headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        store.lock().expect("lock").push((auth, body));
                        axum::http::StatusCode::ACCEPTED
                    }
                },
            ),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            addr,
            received,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/sms", self.addr)
    }

    pub fn texts(&self) -> Vec<Value> {
        self.received
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        for _ in 0..100 {
            if self.texts().len() >= n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.texts()
    }
}

impl Drop for SmsReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
