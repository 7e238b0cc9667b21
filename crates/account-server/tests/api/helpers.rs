//! The harness: a real server on 127.0.0.1 port 0 with a database of its own (a SQLite
//! file, or a fresh PostgreSQL database), a manual clock, seeded users, one method per
//! endpoint and a readable outbox.

use account_model::{PrefChange, Role};
use account_server::config::Config;
use account_server::store::{Engine, OutboxMessage};
use account_server::testing::Fixture;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub use account_server::testing::{PASSWORD, SERVICE_TOKEN, extract_code};

/// The server fixture plus an HTTP client with one method per endpoint.
pub struct TestApp {
    pub fixture: Fixture,
    pub base: String,
    pub client: reqwest::Client,
}

impl std::ops::Deref for TestApp {
    type Target = Fixture;

    fn deref(&self) -> &Fixture {
        &self.fixture
    }
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub token: String,
}

/// What an endpoint answered.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The error code of an error reply ("" when the body has none).
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

pub async fn spawn_app_with(engine: Engine, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let fixture = Fixture::spawn_on(engine, tweak)
        .await
        .expect("server starts");
    TestApp {
        base: fixture.base_url(),
        fixture,
        client: reqwest::Client::new(),
    }
}

impl TestApp {
    /// Stops the server and starts a new one on the same database file and clock.
    pub async fn restart(self) -> Self {
        let fixture = self.fixture.restart(false).await.expect("server restarts");
        Self {
            base: fixture.base_url(),
            fixture,
            client: self.client,
        }
    }

    /// A call to the service API with the service token.
    pub async fn service(&self, path: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(SERVICE_TOKEN), Some(body))
            .await
    }

    /// Charges (negative) or tops up the test organization through the service API.
    pub async fn adjust(&self, amount_minor: i64, key: &str) -> Reply {
        let path = format!(
            "/v1/service/organizations/{}/balance-adjustments",
            self.org_id
        );
        self.service(
            &path,
            json!({ "amountMinor": amount_minor, "idempotencyKey": key }),
        )
        .await
    }

    /// Sets preferences straight in the store (for users the API would refuse).
    pub async fn set_preferences(&self, user_id: i64, changes: Vec<PrefChange>) {
        self.fixture
            .set_preferences(user_id, changes)
            .await
            .expect("preferences set");
    }

    /// Everything the database holds, as bytes: the SQLite file and its log, or on
    /// PostgreSQL every row of every table as text.
    pub async fn everything_stored(&self) -> Vec<u8> {
        match &self.fixture.database.postgres {
            None => {
                let path = &self.fixture.config.database_path;
                let mut bytes = std::fs::read(path).expect("db file");
                bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
                bytes
            }
            Some(pg) => {
                let (client, connection) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
                    .await
                    .expect("connects");
                tokio::spawn(connection);
                let tables = client
                    .query(
                        "SELECT table_name::text FROM information_schema.tables \
                         WHERE table_schema = 'public'",
                        &[],
                    )
                    .await
                    .expect("tables");
                let mut bytes = Vec::new();
                for table in tables {
                    let name: String = table.get(0);
                    let rows = client
                        .query(&format!("SELECT t::text FROM {name} t"), &[])
                        .await
                        .expect("rows");
                    for row in rows {
                        bytes.extend(row.get::<_, String>(0).into_bytes());
                    }
                }
                bytes
            }
        }
    }

    /// The first message to `recipient` once its send is recorded (a sink has the mail
    /// a moment before the worker marks it sent).
    pub async fn first_message_settled(&self, recipient: &str) -> OutboxMessage {
        for _ in 0..100 {
            let first = self.outbox(recipient).await.into_iter().next();
            if let Some(m) = first.filter(|m| m.status != "sending") {
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the send to {recipient} was never recorded");
    }

    /// Messages to `recipient` of one kind.
    pub async fn outbox_kind(&self, recipient: &str, kind: &str) -> Vec<OutboxMessage> {
        self.outbox(recipient)
            .await
            .into_iter()
            .filter(|m| m.kind == kind)
            .collect()
    }

    /// Opens the caller's event stream.
    pub async fn events(&self, token: &str, last_event_id: Option<i64>) -> EventStream {
        EventStream::open(&self.client, &self.base, token, last_event_id).await
    }

    /// Adds a user with [`PASSWORD`] to the test organization (no session yet).
    pub async fn add_user(&self, role: Role, email: &str, phone: Option<&str>) -> i64 {
        self.fixture
            .add_user(role, email, phone)
            .await
            .expect("user")
    }

    /// Adds a user and signs them in.
    pub async fn user(&self, role: Role, email: &str) -> TestUser {
        let id = self.add_user(role, email, Some("+34600123456")).await;
        let token = self.login(email, PASSWORD).await;
        TestUser {
            id,
            email: email.to_owned(),
            token,
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .sign_in(json!({ "email": email, "password": password, "deviceName": "test" }))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["token"].as_str().expect("token").to_owned()
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        request_at(&self.client, &self.base, method, path, token, body).await
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        reply(req.send().await.expect("request sent")).await
    }

    pub async fn sign_in(&self, body: Value) -> Reply {
        self.request(Method::POST, "/v1/sessions", None, Some(body))
            .await
    }

    pub async fn account(&self, token: &str) -> Reply {
        self.request(Method::GET, "/v1/account", Some(token), None)
            .await
    }

    /// `GET /v1/account` with `If-None-Match: tag`; the raw answer (a 304 has no body).
    pub async fn account_if(&self, token: &str, tag: &str) -> reqwest::Response {
        self.client
            .get(format!("{}/v1/account", self.base))
            .bearer_auth(token)
            .header("if-none-match", tag)
            .send()
            .await
            .expect("sent")
    }

    pub async fn preferences(&self, token: &str, body: Value) -> Reply {
        self.request(
            Method::PATCH,
            "/v1/account/preferences",
            Some(token),
            Some(body),
        )
        .await
    }

    pub async fn change_password(
        &self,
        token: &str,
        current: &str,
        new: &str,
        repeat: &str,
    ) -> Reply {
        let body =
            json!({ "currentPassword": current, "newPassword": new, "repeatPassword": repeat });
        self.request(
            Method::POST,
            "/v1/account/password",
            Some(token),
            Some(body),
        )
        .await
    }

    pub async fn email_change(&self, token: &str, new_email: &str, password: &str) -> Reply {
        let body = json!({ "newEmail": new_email, "password": password });
        self.request(
            Method::POST,
            "/v1/account/email-change",
            Some(token),
            Some(body),
        )
        .await
    }

    pub async fn phone_change(&self, token: &str, phone: &str, password: &str) -> Reply {
        let body = json!({ "phone": phone, "password": password });
        self.request(
            Method::POST,
            "/v1/account/phone-change",
            Some(token),
            Some(body),
        )
        .await
    }

    /// `kind` is "email" or "phone".
    pub async fn confirm(&self, token: &str, kind: &str, code: &str) -> Reply {
        let path = format!("/v1/account/{kind}-change/confirm");
        self.request(
            Method::POST,
            &path,
            Some(token),
            Some(json!({ "code": code })),
        )
        .await
    }

    pub async fn resend(&self, token: &str, kind: &str) -> Reply {
        self.request(
            Method::POST,
            &format!("/v1/account/{kind}-change/resend"),
            Some(token),
            None,
        )
        .await
    }

    pub async fn cancel(&self, token: &str, kind: &str) -> Reply {
        self.request(
            Method::DELETE,
            &format!("/v1/account/{kind}-change"),
            Some(token),
            None,
        )
        .await
    }

    pub async fn members(&self, token: &str) -> Reply {
        self.request(Method::GET, "/v1/organization/members", Some(token), None)
            .await
    }

    pub async fn set_role(&self, token: &str, user_id: i64, role: &str) -> Reply {
        let path = format!("/v1/organization/members/{user_id}/role");
        self.request(
            Method::PUT,
            &path,
            Some(token),
            Some(json!({ "role": role })),
        )
        .await
    }

    /// Every message ever queued for `recipient`, oldest first.
    pub async fn outbox(&self, recipient: &str) -> Vec<OutboxMessage> {
        self.fixture.outbox(recipient).await.expect("outbox")
    }

    /// The 6-digit code in the newest message to `recipient`.
    pub async fn last_code(&self, recipient: &str) -> String {
        self.fixture.last_code(recipient).await.expect("code")
    }
}

/// A request to the server at `base` (any instance).
pub async fn request_at(
    client: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut req = client.request(method, format!("{base}{path}"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let response = req.send().await.expect("request sent");
    reply(response).await
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<i64>,
    pub event: String,
    pub data: Value,
}

/// A reader of `text/event-stream` over a real HTTP response.
pub struct EventStream {
    response: reqwest::Response,
    buf: String,
    pub heartbeats: usize,
}

impl EventStream {
    /// Opens the event stream of `token`'s session on the server at `base`.
    pub async fn open(
        client: &reqwest::Client,
        base: &str,
        token: &str,
        last_event_id: Option<i64>,
    ) -> Self {
        let mut req = client.get(format!("{base}/v1/events")).bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let response = req.send().await.expect("stream opens");
        assert_eq!(response.status(), StatusCode::OK);
        EventStream {
            response,
            buf: String::new(),
            heartbeats: 0,
        }
    }

    /// The response's `Content-Type`.
    pub fn content_type(&self) -> &str {
        self.response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The next event within `timeout`; `None` on timeout or when the stream ended.
    pub async fn next(&mut self, timeout: std::time::Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = SseEvent {
                    id: None,
                    event: "message".into(),
                    data: Value::Null,
                };
                let mut is_comment = true;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        event.id = v.trim().parse().ok();
                        is_comment = false;
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().to_owned();
                        is_comment = false;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        event.data = serde_json::from_str(v.trim())
                            .unwrap_or(Value::String(v.trim().to_owned()));
                        is_comment = false;
                    }
                }
                if is_comment {
                    self.heartbeats += 1;
                    continue;
                }
                return Some(event);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?;
            match chunk {
                Ok(Some(bytes)) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// The next event named `name`, skipping others.
    pub async fn next_named(
        &mut self,
        name: &str,
        timeout: std::time::Duration,
    ) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next(left).await?;
            if event.event == name {
                return Some(event);
            }
        }
    }
}
