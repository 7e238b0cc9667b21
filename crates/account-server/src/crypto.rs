//! Password hashing, session tokens and verification codes.
//!
//! - Passwords: argon2id (parameters from config, at least OWASP's 19 MiB / t=2 / p=1),
//!   computed on a pool of `hash_concurrency` threads of its own (by default one fewer
//!   than the cores), which run at the lowest CPU priority (Linux: `SCHED_IDLE`; nice 19
//!   alone was measured to leave reads a 34–175 ms p99 under a flood, `SCHED_IDLE` 4 ms):
//!   a flood of sign-ins (each ~20 ms of CPU) queues for those threads and slows
//!   sign-ins, while every other request still finds a core at once. Memory is bounded the same way (one 19 MiB
//!   block per thread). Verifying for an unknown user runs the same work against a
//!   dummy hash, so response time does not reveal accounts.
//! - Session tokens: 256 random bits from the OS, base64url; only SHA-256 of a token is
//!   stored. A fast hash is right here: the token has full entropy, nothing to brute-force.
//! - Codes: 6 digits from the OS RNG; stored as HMAC-SHA256 under a server key and bound
//!   to the user, purpose and target, so a leaked table cannot be brute-forced offline
//!   and a code for one address cannot confirm another.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::config::Argon2Config;
use crate::error::AppError;

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads; they end when the last hasher holding the queue is dropped.
struct HashPool {
    queue: mpsc::Sender<Job>,
}

impl HashPool {
    fn start(threads: usize) -> anyhow::Result<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads.max(1) {
            let jobs = Arc::clone(&jobs);
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    lowest_priority();
                    loop {
                        let job = jobs
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(Self { queue })
    }

    /// Runs `work` on a hashing thread.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        self.queue
            .send(job)
            .map_err(|_| AppError::internal(anyhow::anyhow!("the hashing threads stopped")))?;
        result
            .await
            .map_err(|_| AppError::internal(anyhow::anyhow!("a hashing thread failed")))
    }
}

/// Lowers the calling thread to the lowest CPU priority. Linux: `SCHED_IDLE` (it runs
/// only when a core has nothing else to do), else nice 19. Elsewhere threads keep the
/// default priority; the pool's size still leaves a core.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
            thread_native_id,
        };
        let idle = set_thread_priority_and_policy(
            thread_native_id(),
            thread_priority::ThreadPriority::Min,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle),
        );
        if idle.is_err()
            && let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19)
        {
            tracing::warn!(error = %e, "could not lower the priority of a hashing thread");
        }
    }
}

/// The default number of hashing threads: one fewer than the cores (at least one).
pub fn default_hash_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    pool: Arc<HashPool>,
    dummy_hash: Arc<String>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish()
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2(params)
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
    Ok(hash.to_string())
}

impl PasswordHasher {
    pub fn new(config: &Argon2Config, concurrency: usize) -> anyhow::Result<Self> {
        let params = Params::new(
            config.memory_kib,
            config.iterations,
            config.parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let dummy_hash = hash_blocking(&params, "dummy password for unknown users")?;
        Ok(Self {
            params,
            pool: Arc::new(HashPool::start(concurrency)?),
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, AppError> {
        let params = self.params.clone();
        self.pool
            .run(move || hash_blocking(&params, password.expose_secret()))
            .await?
            .map_err(AppError::internal)
    }

    /// True when `password` matches `stored`. With no stored hash (unknown user) the same
    /// work is done against a dummy hash and the answer is false.
    pub async fn verify(
        &self,
        stored: Option<String>,
        password: SecretString,
    ) -> Result<bool, AppError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.as_str().to_owned());
        let params = self.params.clone();
        let matches = self
            .pool
            .run(move || {
                let parsed = PasswordHash::new(&hash)
                    .map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
                anyhow::Ok(
                    argon2(&params)
                        .verify_password(password.expose_secret().as_bytes(), &parsed)
                        .is_ok(),
                )
            })
            .await?
            .map_err(AppError::internal)?;
        Ok(known && matches)
    }
}

/// A new bearer token and the hash to store for it.
pub fn new_token() -> (SecretString, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (SecretString::from(token), hash)
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A public session id: 128 random bits, hex. Not a secret; it names a session.
pub fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a request body for idempotency checks.
pub fn body_hash(body: &[u8]) -> Vec<u8> {
    Sha256::digest(body).to_vec()
}

#[derive(Clone)]
pub struct CodeHasher {
    key: Arc<SecretString>,
}

impl std::fmt::Debug for CodeHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeHasher(<key redacted>)")
    }
}

impl CodeHasher {
    /// Uses the configured key, or a random one for this process when none is set.
    pub fn new(key: Option<SecretString>) -> Self {
        let key = key.unwrap_or_else(|| {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
        });
        Self { key: Arc::new(key) }
    }

    fn mac(&self, user_id: i64, purpose: &str, target: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256>>::new_from_slice(self.key.expose_secret().as_bytes())
            .expect("HMAC accepts keys of any length");
        // Length-prefixed fields: no two (purpose, target) pairs feed the same bytes.
        for part in [user_id.to_string().as_str(), purpose, target] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }

    pub fn hash(&self, user_id: i64, purpose: &str, target: &str, code: &str) -> Vec<u8> {
        let mut mac = self.mac(user_id, purpose, target);
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Constant-time comparison of `code` against a stored hash.
    pub fn matches(
        &self,
        user_id: i64,
        purpose: &str,
        target: &str,
        code: &str,
        stored: &[u8],
    ) -> bool {
        let mut mac = self.mac(user_id, purpose, target);
        mac.update(code.as_bytes());
        mac.verify_slice(stored).is_ok()
    }
}

/// A uniformly random 6-digit code.
pub fn new_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_the_right_password() {
        let hasher = PasswordHasher::new(&Argon2Config::default(), 2).expect("hasher");
        let hash = hasher
            .hash(SecretString::from("copper kettle orbit"))
            .await
            .expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify(
                    Some(hash.clone()),
                    SecretString::from("copper kettle orbit")
                )
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify(Some(hash), SecretString::from("copper kettle orbiT"))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify(None, SecretString::from("dummy password for unknown users"))
                .await
                .expect("verify")
        );
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_only_when_a_core_is_idle() {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, thread_schedule_policy,
        };
        let pool = HashPool::start(1).expect("pool");
        let policy = pool
            .run(thread_schedule_policy)
            .await
            .expect("ran")
            .expect("read");
        assert_eq!(
            policy,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)
        );
        let here = thread_schedule_policy().expect("read");
        assert_ne!(here, policy, "only the hashing threads");
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(a.expose_secret().len(), 43);
        assert_eq!(hash_a, token_hash(a.expose_secret()));
        assert_ne!(hash_a, a.expose_secret().as_bytes());
        assert_eq!(new_session_id().len(), 32);
    }

    #[test]
    fn codes_are_bound_to_user_purpose_and_target() {
        let codes = CodeHasher::new(None);
        let code = new_code();
        assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()));
        let stored = codes.hash(1, "email", "new@example.com", &code);
        assert!(codes.matches(1, "email", "new@example.com", &code, &stored));
        assert!(!codes.matches(2, "email", "new@example.com", &code, &stored));
        assert!(!codes.matches(1, "phone", "new@example.com", &code, &stored));
        assert!(!codes.matches(1, "email", "other@example.com", &code, &stored));
        let other = CodeHasher::new(None);
        assert!(!other.matches(1, "email", "new@example.com", &code, &stored));
    }
}
