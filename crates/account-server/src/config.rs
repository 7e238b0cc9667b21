//! Typed, layered configuration: built-in defaults, then an optional TOML file, then
//! `ACCOUNT_*` environment variables (nested keys joined by `__`, for example
//! `ACCOUNT_LIMITS__CODE_TTL_SECS=300`). Tests build the struct directly.
//!
//! [`Config::validate`] refuses settings that would weaken security (argon2 below
//! OWASP's minimum, codes living longer than an hour) or that cannot work, with a
//! message naming the key, so a typo never starts a half-configured server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use account_model::Country;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Where outgoing messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryMode {
    /// Messages, codes included, are printed to the console and marked sent. For a
    /// developer's machine only (`make run`).
    Development,
    /// Messages wait in the outbox; nothing is printed or sent. The default, so no
    /// setting can leak codes into a log or send real messages by omission.
    Hold,
    /// Email over SMTP (`[smtp]`) and SMS through an HTTP gateway (`[sms]`).
    Live,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text; only for a relay on the same host.
    None,
    /// Upgrade with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default, skip_serializing)]
    pub password: Option<SecretString>,
    /// `Name <address>` or a bare address.
    pub from: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// The gateway's endpoint; it receives `POST {"to","from","text"}` as JSON.
    pub url: String,
    /// Sent as `Authorization: Bearer <token>`.
    #[serde(default, skip_serializing)]
    pub token: Option<SecretString>,
    /// Sender id shown on the phone.
    pub sender: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// How long a verification code stays valid.
    pub code_ttl_secs: i64,
    /// Wrong tries after which a code is void.
    pub code_max_attempts: i64,
    /// Wait between two sends of a code to the same user.
    pub resend_cooldown_secs: i64,
    /// Codes a user may be sent per channel (email, SMS) in one hour / one day.
    pub code_sends_per_hour: i64,
    pub code_sends_per_day: i64,
    /// Wrong passwords (sign-in or re-authentication) before the account is locked.
    pub failures_before_lockout: i64,
    /// The first lock lasts this long; each further failure doubles it, up to the max.
    pub lockout_base_secs: i64,
    pub lockout_max_secs: i64,
    /// Largest request body accepted.
    pub body_limit_bytes: usize,
    /// Password hashes computed at once (threads of their own, at the lowest CPU
    /// priority); more wait their turn. Default: one fewer than the cores.
    pub hash_concurrency: usize,
    /// How long a session may stay unused before it expires.
    pub session_idle_days: i64,
    /// Delivery tries before a message is marked failed.
    pub delivery_max_attempts: i64,
    /// First retry delay; doubled per try, capped at 10 minutes.
    pub delivery_backoff_secs: i64,
    /// A message being sent is taken back for another try after this long (a crash
    /// mid-send resends at most the messages then in flight, once).
    pub delivery_lease_secs: i64,
    /// Messages an instance sends at once (each sender claims one at a time).
    pub delivery_concurrency: usize,
    /// Comment lines on the event stream so dead connections are noticed.
    pub heartbeat_secs: u64,
    /// Wrong passwords are counted over this window: a counter that has not moved for
    /// this long (and is not locking) starts again from zero.
    pub failure_window_secs: i64,
    /// `GET /v1/account` may answer from memory an account read this recently (and
    /// unchanged since, as far as the event stream has told this instance); 0: always
    /// read the database.
    pub account_cache_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            code_ttl_secs: 600,
            code_max_attempts: 5,
            resend_cooldown_secs: 60,
            code_sends_per_hour: 5,
            code_sends_per_day: 10,
            failures_before_lockout: 5,
            lockout_base_secs: 30,
            lockout_max_secs: 900,
            body_limit_bytes: 16 * 1024,
            hash_concurrency: crate::crypto::default_hash_threads(),
            session_idle_days: 30,
            delivery_max_attempts: 8,
            delivery_backoff_secs: 5,
            delivery_lease_secs: 60,
            delivery_concurrency: 4,
            heartbeat_secs: 15,
            failure_window_secs: 24 * 3600,
            account_cache_ms: 2_000,
        }
    }
}

/// What the periodic retention job keeps; everything older goes. On PostgreSQL one
/// instance at a time runs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// How often the job runs.
    pub interval_secs: u64,
    /// The newest this many events are kept for streams that resume; a client resuming
    /// from an older one is told to fetch the account again.
    pub events_kept: i64,
    /// Sent and failed messages stay listed (`account-server outbox`) this many days.
    pub outbox_days: i64,
    /// Idempotency keys are honoured this many days (far longer than any offline queue
    /// waits to replay).
    pub idempotency_days: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            interval_secs: 600,
            events_kept: 100_000,
            outbox_days: 30,
            idempotency_days: 7,
        }
    }
}

/// Argon2id cost. The defaults are OWASP's minimum for argon2id (19 MiB, t=2, p=1).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Config {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The SQLite database file (created with its folder when missing). Used when
    /// `database_url` is not set.
    pub database_path: PathBuf,
    /// `postgres://user:password@host:port/database`: run on PostgreSQL, where several
    /// instances can share one database. Needs `code_secret`.
    #[serde(skip_serializing)]
    pub database_url: Option<SecretString>,
    /// PostgreSQL connections this instance may open (besides its LISTEN connection).
    pub database_pool_size: usize,
    /// PostgreSQL: how often an instance also looks for other instances' writes on its
    /// own, should a notification have been lost (milliseconds).
    pub database_listen_fallback_ms: u64,
    /// PostgreSQL: PEM file of the CA certificates the database server's certificate is
    /// checked against (instead of the Mozilla roots). TLS itself follows the URL's
    /// `sslmode`.
    pub database_ca_file: Option<PathBuf>,
    pub delivery: DeliveryMode,
    /// Key for hashing verification codes (HMAC-SHA256), at least 32 characters. Several
    /// instances must share it. When unset, a random key is made at start-up, and codes
    /// sent before a restart stop working.
    #[serde(skip_serializing)]
    pub code_secret: Option<SecretString>,
    /// Bearer token of the service API (balance adjustments, platform events), at least
    /// 32 characters. Unset: the service API refuses every call.
    #[serde(skip_serializing)]
    pub service_token: Option<SecretString>,
    /// Required when `delivery = "live"`.
    pub smtp: Option<SmtpConfig>,
    /// Required when `delivery = "live"`.
    pub sms: Option<SmsConfig>,
    /// Countries (ISO 3166-1 alpha-2) whose numbers may receive SMS.
    pub sms_allowed_countries: Vec<String>,
    pub limits: Limits,
    pub retention: RetentionConfig,
    pub argon2: Argon2Config,
    /// The desktop releases folder (`account-server release add` fills it; see
    /// `releases`). Unset: the update endpoint answers every app "up to date" (204).
    pub releases_dir: Option<PathBuf>,
    /// The address apps reach this server at (`https://accounts.example.com`), for the
    /// bundle links of update manifests. Unset: the address the asking app used (right
    /// unless a proxy or TLS terminator stands in front).
    pub public_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_path: PathBuf::from("account-settings.db"),
            database_url: None,
            database_pool_size: 16,
            database_listen_fallback_ms: 5_000,
            database_ca_file: None,
            delivery: DeliveryMode::Hold,
            code_secret: None,
            service_token: None,
            smtp: None,
            sms: None,
            sms_allowed_countries: [
                "AT", "BE", "CH", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "LU", "NL", "NO",
                "PT", "SE", "US", "CA", "MX", "BR", "AR", "CL", "CO",
            ]
            .map(String::from)
            .to_vec(),
            limits: Limits::default(),
            retention: RetentionConfig::default(),
            argon2: Argon2Config::default(),
            releases_dir: None,
            public_url: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Read(#[from] Box<figment::Error>),
    #[error("configuration key `{key}`: {why}")]
    Invalid { key: &'static str, why: String },
}

impl Config {
    /// Defaults, then `file` (when given), then `ACCOUNT_*` variables; then validated.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Invalid {
                    key: "--config",
                    why: format!("the file {} does not exist", file.display()),
                });
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let config: Config = figment
            .merge(
                // ACCOUNT_CONFIG (the file) and ACCOUNT_LOG (the log filter) are read by
                // the CLI, not settings of this struct.
                Env::prefixed("ACCOUNT_")
                    .split("__")
                    .ignore(&["config", "log"]),
            )
            .extract()
            .map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// The allow-list as checked countries.
    pub fn sms_countries(&self) -> Result<Vec<Country>, ConfigError> {
        self.sms_allowed_countries
            .iter()
            .map(|c| {
                Country::parse(c).map_err(|e| ConfigError::Invalid {
                    key: "sms_allowed_countries",
                    why: e.message,
                })
            })
            .collect()
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, why: &str| {
            Err(ConfigError::Invalid {
                key,
                why: why.to_owned(),
            })
        };
        self.sms_countries()?;
        if let Some(url) = &self.public_url
            && !((url.starts_with("https://") || url.starts_with("http://"))
                && url.len() > "https://".len()
                && !url.contains(char::is_whitespace))
        {
            return invalid(
                "public_url",
                "must be an http:// or https:// address, e.g. https://accounts.example.com",
            );
        }
        let a = &self.argon2;
        if a.memory_kib < 19 * 1024 || a.iterations < 2 || a.parallelism < 1 {
            return invalid(
                "argon2",
                "below OWASP's minimum for argon2id (memory_kib >= 19456, iterations >= 2, parallelism >= 1)",
            );
        }
        let l = &self.limits;
        if !(60..=3600).contains(&l.code_ttl_secs) {
            return invalid("limits.code_ttl_secs", "must be between 60 and 3600");
        }
        if !(1..=10).contains(&l.code_max_attempts) {
            return invalid("limits.code_max_attempts", "must be between 1 and 10");
        }
        if l.resend_cooldown_secs < 0
            || l.code_sends_per_hour < 1
            || l.code_sends_per_day < l.code_sends_per_hour
        {
            return invalid(
                "limits",
                "resend_cooldown_secs >= 0 and 1 <= code_sends_per_hour <= code_sends_per_day",
            );
        }
        if l.failures_before_lockout < 1
            || l.lockout_base_secs < 1
            || l.lockout_max_secs < l.lockout_base_secs
        {
            return invalid(
                "limits",
                "failures_before_lockout >= 1 and 1 <= lockout_base_secs <= lockout_max_secs",
            );
        }
        if !(1024..=1024 * 1024).contains(&l.body_limit_bytes) {
            return invalid(
                "limits.body_limit_bytes",
                "must be between 1024 and 1048576",
            );
        }
        if l.hash_concurrency == 0 || l.session_idle_days < 1 {
            return invalid(
                "limits",
                "hash_concurrency and session_idle_days must be at least 1",
            );
        }
        if l.account_cache_ms > 10_000 {
            return invalid(
                "limits.account_cache_ms",
                "must be at most 10000 (a copy older than that is too stale to answer with)",
            );
        }
        if !(1..=64).contains(&l.delivery_concurrency) {
            return invalid("limits.delivery_concurrency", "must be between 1 and 64");
        }
        if l.delivery_max_attempts < 1
            || l.delivery_backoff_secs < 1
            || l.delivery_lease_secs < 5
            || l.heartbeat_secs < 1
        {
            return invalid(
                "limits",
                "delivery_max_attempts, delivery_backoff_secs and heartbeat_secs >= 1; delivery_lease_secs >= 5",
            );
        }
        if self.delivery == DeliveryMode::Live {
            let Some(smtp) = &self.smtp else {
                return invalid(
                    "smtp",
                    "delivery = \"live\" needs an [smtp] section (host, port, tls, from)",
                );
            };
            if smtp.from.parse::<lettre::message::Mailbox>().is_err() {
                return invalid(
                    "smtp.from",
                    "must be an address such as \"Account Settings <no-reply@example.com>\"",
                );
            }
            let Some(sms) = &self.sms else {
                return invalid(
                    "sms",
                    "delivery = \"live\" needs an [sms] section (url, sender)",
                );
            };
            if !(sms.url.starts_with("https://") || sms.url.starts_with("http://")) {
                return invalid("sms.url", "must be an http(s) URL");
            }
        }
        if let Some(token) = &self.service_token {
            use secrecy::ExposeSecret;
            if token.expose_secret().chars().count() < 32 {
                return invalid("service_token", "must be at least 32 characters");
            }
        }
        if let Some(secret) = &self.code_secret {
            use secrecy::ExposeSecret;
            if secret.expose_secret().chars().count() < 32 {
                return invalid("code_secret", "must be at least 32 characters");
            }
        }
        if l.failure_window_secs < l.lockout_max_secs {
            return invalid(
                "limits.failure_window_secs",
                "must be at least lockout_max_secs (a lock must not outlive its count)",
            );
        }
        let r = &self.retention;
        if r.interval_secs < 1 || r.events_kept < 100 || r.outbox_days < 1 || r.idempotency_days < 1
        {
            return invalid(
                "retention",
                "interval_secs, outbox_days and idempotency_days >= 1; events_kept >= 100",
            );
        }
        if let Some(url) = &self.database_url {
            use secrecy::ExposeSecret;
            let url = url.expose_secret();
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return invalid(
                    "database_url",
                    "must be a PostgreSQL URL: postgres://user:password@host:port/database",
                );
            }
            if self.code_secret.is_none() {
                return invalid(
                    "code_secret",
                    "must be set with database_url: every instance on the database must \
                     check codes with the same key, or a code sent by one is refused by another",
                );
            }
            if !(1..=1000).contains(&self.database_pool_size) {
                return invalid("database_pool_size", "must be between 1 and 1000");
            }
            if self.database_listen_fallback_ms < 100 {
                return invalid("database_listen_fallback_ms", "must be at least 100");
            }
            if let Some(ca) = &self.database_ca_file
                && !ca.is_file()
            {
                return invalid(
                    "database_ca_file",
                    &format!("{} is not a file", ca.display()),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_safe() {
        let config = Config::default();
        config.validate().expect("defaults validate");
        assert_eq!(config.delivery, DeliveryMode::Hold);
        assert_eq!(config.argon2.memory_kib, 19456);
    }

    #[test]
    fn weak_or_broken_settings_are_refused_by_name() {
        let mut config = Config::default();
        config.argon2.memory_kib = 4096;
        assert!(
            config
                .validate()
                .expect_err("weak")
                .to_string()
                .contains("argon2")
        );
        let mut config = Config::default();
        config.sms_allowed_countries.push("XX".into());
        assert!(
            config
                .validate()
                .expect_err("bad country")
                .to_string()
                .contains("sms_allowed_countries")
        );
        let config = Config {
            code_secret: Some(SecretString::from("short")),
            ..Config::default()
        };
        assert!(
            config
                .validate()
                .expect_err("short")
                .to_string()
                .contains("code_secret")
        );
        let mut config = Config::default();
        config.limits.account_cache_ms = 60_000;
        assert!(
            config
                .validate()
                .expect_err("a minute-old account is too stale")
                .to_string()
                .contains("limits.account_cache_ms")
        );
        config.limits.account_cache_ms = 0;
        config.validate().expect("0 turns the cache off");
    }

    #[test]
    fn postgres_needs_a_postgres_url_and_the_shared_code_secret() {
        let mut config = Config {
            database_url: Some(SecretString::from("postgres://app@db.internal/accounts")),
            ..Config::default()
        };
        let err = config.validate().expect_err("no code secret").to_string();
        assert!(
            err.contains("code_secret") && err.contains("every instance"),
            "{err}"
        );
        config.code_secret = Some(SecretString::from("a shared secret of thirty-two chars+"));
        config.validate().expect("valid");
        config.database_url = Some(SecretString::from("mysql://app@db/accounts"));
        let err = config.validate().expect_err("not postgres").to_string();
        assert!(err.contains("database_url"), "{err}");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's own signature
    fn a_file_then_the_environment_override_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("server.toml");
        std::fs::write(
            &file,
            "delivery = \"development\"\n[limits]\ncode_ttl_secs = 300\n",
        )
        .expect("write");
        figment::Jail::expect_with(|jail| {
            jail.set_env("ACCOUNT_LIMITS__RESEND_COOLDOWN_SECS", "30");
            let config = Config::load(Some(&file)).expect("loads");
            assert_eq!(config.delivery, DeliveryMode::Development);
            assert_eq!(config.limits.code_ttl_secs, 300);
            assert_eq!(config.limits.resend_cooldown_secs, 30);
            Ok(())
        });
        std::fs::write(&file, "delivry = \"development\"\n").expect("write");
        let err = Config::load(Some(&file)).expect_err("typo");
        assert!(err.to_string().contains("delivry"), "{err}");
    }
}
