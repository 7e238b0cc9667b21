//! The client proper: configuration, the send/retry loop, and one method per endpoint.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use account_model::dto::{
    AccountView, ChangePasswordRequest, ChangeRoleRequest, ConfirmCodeRequest, EmailChangeRequest,
    MemberView, MembersView, PasswordStrengthRequest, PendingChangeView, PhoneChangeRequest,
    RegionDefaults, RevokedView, SessionView, SessionsView, SignInRequest, SignInResponse,
    UpdatePreferencesRequest,
};
use account_model::{ChangeKind, ErrorBody, NewContact, Role, Strength};
use rand::Rng;
use reqwest::header::{ETAG, HeaderMap, IF_NONE_MATCH};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ClientError, Refusal};

/// Where the server is and how patient to be with it.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    base: Url,
    /// Longest wait for a TCP/TLS connection.
    pub connect_timeout: Duration,
    /// Longest wait for one whole attempt (request sent, response read).
    pub timeout: Duration,
    /// Extra attempts for calls that are safe to repeat (0: no retry).
    pub retries: u32,
    /// Wait before the first retry; doubled per further retry, with ±50 % jitter.
    pub backoff: Duration,
    /// Upper bound of one backoff wait.
    pub max_backoff: Duration,
}

impl ClientConfig {
    /// `base_url` is the server's root, e.g. `https://accounts.example.com` (no `/v1`).
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        let mut base = Url::parse(base_url)
            .map_err(|e| ClientError::Setup(format!("\"{base_url}\" is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ClientError::Setup(format!(
                "\"{base_url}\" is not an http(s) server address"
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Self {
            base,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            retries: 2,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }
}

/// An opaque entity tag from `GET /v1/account`, sent back as `If-None-Match`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag(String);

impl ETag {
    /// Any non-empty visible-ASCII header value is a tag (RFC 9110 keeps them opaque).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (!raw.is_empty() && raw.bytes().all(|b| b.is_ascii_graphic())).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `Idempotency-Key` of a preferences update: the same key with the same body makes
/// the server answer with its first response instead of applying the update again.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A fresh key: 128 random bits from the OS-seeded thread RNG, as hex.
    pub fn generate() -> Self {
        let bits: u128 = rand::thread_rng().r#gen();
        Self(format!("{bits:032x}"))
    }

    /// A stored key read back: 1 to 100 visible ASCII characters, as the server accepts.
    pub fn parse(raw: &str) -> Option<Self> {
        ((1..=100).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The result of a conditional `GET /v1/account`.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountFetch {
    /// The tag sent still matches: the caller's copy is current.
    NotModified,
    /// A newer account, with the tag to send next time.
    Fresh(Box<AccountView>, ETag),
}

/// A successful sign-in. The token is shown only this once: keep it in the keyring.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SecretString,
    pub session: SessionView,
    pub account: AccountView,
}

/// Whether a call may be repeated after a network failure or a 5xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Never,
    Safe,
}

/// What came back from one successful exchange (status < 500).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// A client for one server. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Client {
    http: Http,
    config: ClientConfig,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.config.base.as_str())
            .finish_non_exhaustive()
    }
}

/// The one reqwest client of a [`Client`] and its event streams, made at the first
/// request, not with the [`Client`].
///
/// Why: making it loads the OS trust store, and OpenSSL 3 parses the whole CA bundle
/// then (~45 ms of CPU here, measured with `perf` in the desktop bench). The desktop app
/// opens its client at start-up, to read its cache; made eagerly, that parse ran beside
/// the window's first frame on a 2-core machine. One client serves the calls and the
/// stream (the calls' whole-call timeout is set per request), so the bundle is parsed
/// once, not twice.
#[derive(Clone)]
pub(crate) struct Http {
    made: Arc<OnceLock<reqwest::Client>>,
    connect_timeout: Duration,
}

impl Http {
    fn new(connect_timeout: Duration) -> Self {
        Self {
            made: Arc::new(OnceLock::new()),
            connect_timeout,
        }
    }

    /// The client, made now if this is the first request. A failure (the TLS stack
    /// cannot start) is a [`ClientError::Setup`] for this request; the next tries again.
    pub(crate) fn get(&self) -> Result<reqwest::Client, ClientError> {
        if let Some(made) = self.made.get() {
            return Ok(made.clone());
        }
        // The OS TLS stack, named rather than left to reqwest's default, which would
        // turn to rustls in a build where another crate (the server, in the workspace's
        // tests) also enables it.
        let made = reqwest::Client::builder()
            .tls_backend_native()
            .tls_version_min(reqwest::tls::Version::TLS_1_2)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("account-settings/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        // Two first requests at once may both make one; the first in is kept.
        Ok(self.made.get_or_init(|| made).clone())
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        Ok(Self {
            http: Http::new(config.connect_timeout),
            config,
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// For the event stream: the same client, without the calls' whole-call timeout
    /// (the stream's consumer watches for silence itself).
    pub(crate) fn stream_http(&self) -> Http {
        self.http.clone()
    }

    /// `path` joined under the base URL.
    pub(crate) fn url(&self, path: &str) -> Url {
        // `path` is always one of this crate's relative paths, so the join cannot fail
        // in practice; should it, the request goes to the base and the server says 404.
        self.config
            .base
            .join(path)
            .unwrap_or_else(|_| self.config.base.clone())
    }

    // ---------- sessions ----------

    /// `POST /v1/sessions`. Not retried: a lost answer would leave a session behind.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &SecretString,
        device_name: Option<&str>,
        detected: Option<RegionDefaults>,
    ) -> Result<SignedIn, ClientError> {
        let body = SignInRequest {
            email: email.to_owned(),
            password: password.expose_secret().to_owned(),
            device_name: device_name.map(str::to_owned),
            detected,
        };
        let response: SignInResponse = self
            .call(Method::POST, "v1/sessions", None, Some(&body), Retry::Never)
            .await?;
        Ok(SignedIn {
            token: SecretString::from(response.token),
            session: response.session,
            account: response.account,
        })
    }

    /// `DELETE /v1/sessions/current`: revokes the session this token belongs to.
    pub async fn sign_out(&self, token: &SecretString) -> Result<(), ClientError> {
        self.call_empty(Method::DELETE, "v1/sessions/current", token, None::<&()>)
            .await
    }

    pub async fn sessions(&self, token: &SecretString) -> Result<Vec<SessionView>, ClientError> {
        let view: SessionsView = self
            .call(
                Method::GET,
                "v1/sessions",
                Some(token),
                None::<&()>,
                Retry::Safe,
            )
            .await?;
        Ok(view.sessions)
    }

    pub async fn revoke_session(&self, token: &SecretString, id: &str) -> Result<(), ClientError> {
        // Session ids are URL-safe, but the caller's input must never change the path.
        let path = format!("v1/sessions/{}", account_model::url::path_segment(id));
        self.call_empty(Method::DELETE, &path, token, None::<&()>)
            .await
    }

    /// Revokes every other session of the user; returns how many were revoked.
    pub async fn revoke_other_sessions(&self, token: &SecretString) -> Result<u64, ClientError> {
        let view: RevokedView = self
            .call(
                Method::POST,
                "v1/sessions/revoke-others",
                Some(token),
                None::<&()>,
                Retry::Never,
            )
            .await?;
        Ok(view.revoked)
    }

    // ---------- account ----------

    /// `GET /v1/account`, conditional when `known` is the tag of the caller's copy.
    pub async fn account(
        &self,
        token: &SecretString,
        known: Option<&ETag>,
    ) -> Result<AccountFetch, ClientError> {
        let answer = self
            .exchange(Retry::Safe, || {
                let req = self.request(Method::GET, "v1/account", Some(token))?;
                Ok(match known {
                    Some(tag) => req.header(IF_NONE_MATCH, tag.as_str()),
                    None => req,
                })
            })
            .await?;
        if answer.status == StatusCode::NOT_MODIFIED {
            return Ok(AccountFetch::NotModified);
        }
        let tag = answer
            .headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .and_then(ETag::parse);
        let account: AccountView = decode(answer)?;
        // The server always sends a tag; should a proxy strip it, the version is the tag.
        let tag = tag.unwrap_or_else(|| ETag(format!("\"{}\"", account.version)));
        Ok(AccountFetch::Fresh(Box::new(account), tag))
    }

    /// `PATCH /v1/account/preferences`. With a key the call is retried on network
    /// failures and 5xx (the server replays the first answer); without one it is not.
    pub async fn update_preferences(
        &self,
        token: &SecretString,
        update: &UpdatePreferencesRequest,
        key: Option<&IdempotencyKey>,
    ) -> Result<AccountView, ClientError> {
        let retry = if key.is_some() {
            Retry::Safe
        } else {
            Retry::Never
        };
        let answer = self
            .exchange(retry, || {
                let req = self
                    .request(Method::PATCH, "v1/account/preferences", Some(token))?
                    .json(update);
                Ok(match key {
                    Some(key) => req.header("idempotency-key", key.as_str()),
                    None => req,
                })
            })
            .await?;
        decode(answer)
    }

    /// Current + new + repeat; other sessions are signed out by the server.
    pub async fn change_password(
        &self,
        token: &SecretString,
        current: &SecretString,
        new: &SecretString,
        repeat: &SecretString,
    ) -> Result<(), ClientError> {
        let body = ChangePasswordRequest {
            current_password: current.expose_secret().to_owned(),
            new_password: new.expose_secret().to_owned(),
            repeat_password: repeat.expose_secret().to_owned(),
        };
        self.call_empty(Method::POST, "v1/account/password", token, Some(&body))
            .await
    }

    /// The strength meter's verdict. Nothing is stored, so it is retried.
    pub async fn password_strength(
        &self,
        token: &SecretString,
        candidate: &SecretString,
    ) -> Result<Strength, ClientError> {
        let body = PasswordStrengthRequest {
            password: candidate.expose_secret().to_owned(),
        };
        self.call(
            Method::POST,
            "v1/account/password-strength",
            Some(token),
            Some(&body),
            Retry::Safe,
        )
        .await
    }

    // ---------- email and phone changes ----------

    /// Starts the change to `new`: a code goes to the new address or number.
    pub async fn request_change(
        &self,
        token: &SecretString,
        new: NewContact<'_>,
        password: &SecretString,
    ) -> Result<PendingChangeView, ClientError> {
        let path = format!("v1/account/{}-change", new.kind().as_str());
        let password = password.expose_secret().to_owned();
        match new {
            NewContact::Email(email) => {
                let body = EmailChangeRequest {
                    new_email: email.to_owned(),
                    password,
                };
                self.call(Method::POST, &path, Some(token), Some(&body), Retry::Never)
                    .await
            }
            NewContact::Phone(phone) => {
                let body = PhoneChangeRequest {
                    phone: phone.to_owned(),
                    password,
                };
                self.call(Method::POST, &path, Some(token), Some(&body), Retry::Never)
                    .await
            }
        }
    }

    /// Sends a new code for the pending change (the previous one stops working).
    pub async fn resend_code(
        &self,
        token: &SecretString,
        kind: ChangeKind,
    ) -> Result<PendingChangeView, ClientError> {
        let path = format!("v1/account/{}-change/resend", kind.as_str());
        self.call(Method::POST, &path, Some(token), None::<&()>, Retry::Never)
            .await
    }

    /// Confirms the pending change with its code and returns the changed account.
    pub async fn confirm_change(
        &self,
        token: &SecretString,
        kind: ChangeKind,
        code: &str,
    ) -> Result<AccountView, ClientError> {
        let path = format!("v1/account/{}-change/confirm", kind.as_str());
        let body = ConfirmCodeRequest {
            code: code.to_owned(),
        };
        self.call(Method::POST, &path, Some(token), Some(&body), Retry::Never)
            .await
    }

    pub async fn cancel_change(
        &self,
        token: &SecretString,
        kind: ChangeKind,
    ) -> Result<(), ClientError> {
        let path = format!("v1/account/{}-change", kind.as_str());
        self.call_empty(Method::DELETE, &path, token, None::<&()>)
            .await
    }

    // ---------- organization ----------

    pub async fn members(&self, token: &SecretString) -> Result<Vec<MemberView>, ClientError> {
        let view: MembersView = self
            .call(
                Method::GET,
                "v1/organization/members",
                Some(token),
                None::<&()>,
                Retry::Safe,
            )
            .await?;
        Ok(view.members)
    }

    pub async fn change_role(
        &self,
        token: &SecretString,
        user_id: i64,
        role: Role,
    ) -> Result<MemberView, ClientError> {
        let body = ChangeRoleRequest {
            role: role.as_str().to_owned(),
        };
        let path = format!("v1/organization/members/{user_id}/role");
        self.call(Method::PUT, &path, Some(token), Some(&body), Retry::Never)
            .await
    }

    // ---------- plumbing ----------

    fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&SecretString>,
    ) -> Result<RequestBuilder, ClientError> {
        let url = self.url(path);
        let req = self
            .http
            .get()?
            .request(method, url)
            .timeout(self.config.timeout);
        Ok(match token {
            Some(token) => req.bearer_auth(token.expose_secret()),
            None => req,
        })
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        token: Option<&SecretString>,
        body: Option<&B>,
        retry: Retry,
    ) -> Result<T, ClientError> {
        let answer = self
            .exchange(retry, || {
                let req = self.request(method.clone(), path, token)?;
                Ok(match body {
                    Some(body) => req.json(body),
                    None => req,
                })
            })
            .await?;
        decode(answer)
    }

    /// A call answered with an empty 2xx body (204).
    async fn call_empty<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        token: &SecretString,
        body: Option<&B>,
    ) -> Result<(), ClientError> {
        let answer = self
            .exchange(Retry::Never, || {
                let req = self.request(method.clone(), path, Some(token))?;
                Ok(match body {
                    Some(body) => req.json(body),
                    None => req,
                })
            })
            .await?;
        refuse_4xx(&answer)?;
        Ok(())
    }

    /// Sends the request built by `build`, repeating it after network failures and 5xx
    /// when `retry` allows. Returns any answer below 500 (4xx included, for the caller
    /// to decode).
    async fn exchange(
        &self,
        retry: Retry,
        build: impl Fn() -> Result<RequestBuilder, ClientError>,
    ) -> Result<Answer, ClientError> {
        let attempts = match retry {
            Retry::Never => 1,
            Retry::Safe => 1 + self.config.retries,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.attempt(build()?).await;
            match result {
                Err(e) if e.is_transient() && attempt < attempts => {
                    let wait = self.backoff(attempt);
                    tracing::debug!(attempt, ?wait, error = %e, "retrying an idempotent call");
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    async fn attempt(&self, req: RequestBuilder) -> Result<Answer, ClientError> {
        let response = req.send().await.map_err(ClientError::from_reqwest)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(ClientError::from_reqwest)?
            .to_vec();
        if status.is_server_error() {
            let message = serde_json::from_slice::<ErrorBody>(&body)
                .map(|b| b.message)
                .unwrap_or_else(|_| String::from_utf8_lossy(&body).chars().take(200).collect());
            return Err(ClientError::Server {
                status: status.as_u16(),
                message,
            });
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// `backoff · 2^(attempt-1)`, capped, then scaled by a random factor in [0.5, 1.5)
    /// so that many clients coming back at once do not retry in lockstep.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .config
            .backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.config.max_backoff);
        capped.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
    }
}

/// Turns a 4xx answer into [`ClientError::Refused`] (or `Protocol` when its body is not
/// the API's error shape).
fn refuse_4xx(answer: &Answer) -> Result<(), ClientError> {
    if answer.status.is_client_error() {
        let body: ErrorBody = serde_json::from_slice(&answer.body).map_err(|e| {
            ClientError::Protocol(format!(
                "HTTP {} without an error body ({e})",
                answer.status
            ))
        })?;
        return Err(ClientError::Refused(Box::new(Refusal::from_body(
            answer.status.as_u16(),
            body,
        ))));
    }
    if !answer.status.is_success() {
        return Err(ClientError::Protocol(format!(
            "unexpected HTTP {}",
            answer.status
        )));
    }
    Ok(())
}

fn decode<T: DeserializeOwned>(answer: Answer) -> Result<T, ClientError> {
    refuse_4xx(&answer)?;
    serde_json::from_slice(&answer.body).map_err(|e| {
        ClientError::Protocol(format!(
            "HTTP {}: the body does not parse: {e}",
            answer.status
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_gets_a_trailing_slash_so_paths_join_under_it() {
        let config = ClientConfig::new("http://127.0.0.1:9/api").expect("url");
        let joined = config.base_url().join("v1/account").expect("join");

        assert_eq!(joined.as_str(), "http://127.0.0.1:9/api/v1/account");
        assert!(ClientConfig::new("ftp://x").is_err());
        assert!(ClientConfig::new("not a url").is_err());
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered_within_half_either_side() {
        let mut config = ClientConfig::new("http://127.0.0.1:9").expect("url");
        config.backoff = Duration::from_millis(100);
        config.max_backoff = Duration::from_millis(300);
        let client = Client::new(config).expect("client");

        for _ in 0..50 {
            let first = client.backoff(1);
            let second = client.backoff(2);
            let tenth = client.backoff(10);
            assert!((50..150).contains(&first.as_millis()), "{first:?}");
            assert!((100..300).contains(&second.as_millis()), "{second:?}");
            assert!((150..450).contains(&tenth.as_millis()), "{tenth:?}");
        }
    }

    #[test]
    fn generated_idempotency_keys_are_distinct_and_parse_back() {
        let a = IdempotencyKey::generate();
        let b = IdempotencyKey::generate();

        assert_ne!(a, b);
        assert_eq!(IdempotencyKey::parse(a.as_str()), Some(a));
        assert_eq!(IdempotencyKey::parse(""), None);
        assert_eq!(IdempotencyKey::parse("has space"), None);
        assert_eq!(IdempotencyKey::parse(&"k".repeat(101)), None);
    }

    #[test]
    fn a_signed_in_value_never_shows_its_token_in_debug_output() {
        let token = SecretString::from("super-secret-token-value");

        let shown = format!("{token:?}");

        assert!(!shown.contains("super-secret"), "{shown}");
    }
}
