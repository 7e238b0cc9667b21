//! Sign-in, sessions, re-authentication and the wrong-password lockout.
//!
//! Lockout: password attempts are counted per typed email (known or not, so the lock
//! reveals nothing), on sign-in and on every re-authenticated change alike. Each attempt
//! is counted before its password is checked, in the transaction that checks the lock
//! and with the counter locked ([`WriteTx::lock_throttle`]), so parallel guesses —
//! through one instance or several — cannot slip past it; a correct password clears
//! the count. After `failures_before_lockout` failures each further one locks for
//! `lockout_base_secs` doubled per failure, capped at `lockout_max_secs`. While locked,
//! the password is not even checked. Failures older than `failure_window_secs` are
//! forgotten.
//!
//! [`WriteTx::lock_throttle`]: crate::store::WriteTx::lock_throttle

use account_model::dto::{RegionDefaults, SessionView, SignInResponse};
use account_model::{Email, ErrorCode};
use secrecy::{ExposeSecret, SecretString};

use super::Services;
use crate::clock::from_millis;
use crate::crypto;
use crate::error::{AppError, AppResult};
use crate::store::{NewSession, ReadTx, SessionRecord, Throttle, UserRecord};

/// A session's last use is written at most this often, to spare a write per request.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session_id: String,
    pub user: UserRecord,
}

fn throttle_key(email: &str) -> String {
    format!("email:{email}")
}

fn session_view(s: &SessionRecord, current: &str) -> SessionView {
    SessionView {
        id: s.id.clone(),
        device_name: s.device_name.clone(),
        created_at: from_millis(s.created_at),
        last_seen_at: from_millis(s.last_seen_at),
        current: s.id == current,
    }
}

impl Services {
    pub(crate) fn idle_cutoff(&self) -> i64 {
        self.now_ms() - self.config.limits.session_idle_days * 24 * 3600 * 1000
    }

    /// Refuses while `key` is locked; otherwise counts this attempt as a failure *before*
    /// the password is checked, in the same transaction as the lock check. Concurrent
    /// guesses therefore see each other: no more than `failures_before_lockout` of them
    /// are ever checked before the lock applies. A correct password then clears the
    /// count.
    async fn reserve_attempt(&self, key: &str) -> AppResult<()> {
        let now = self.now_ms();
        let limits = &self.config.limits;
        let mut tx = self.store.write().await?;
        let before = tx.lock_throttle(key).await?;
        if let Some(until) = before.locked_until.filter(|until| *until > now) {
            return Err(AppError::new(
                ErrorCode::TooManyAttempts,
                "too many wrong passwords; wait before trying again",
            )
            .retry_after((until - now + 999) / 1000));
        }
        let forgotten = before.updated_at < now - limits.failure_window_secs * 1000;
        let failures = if forgotten { 0 } else { before.failures } + 1;
        let over = failures - limits.failures_before_lockout;
        let locked_until = (over >= 0).then(|| {
            let secs = limits
                .lockout_base_secs
                .saturating_mul(1_i64 << over.min(20))
                .min(limits.lockout_max_secs);
            now + secs * 1000
        });
        let state = Throttle {
            failures,
            locked_until,
            updated_at: now,
        };
        tx.put_throttle(key, state, now).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Checks the caller's current password for a sensitive change; wrong ones count
    /// toward the lockout like wrong sign-ins.
    pub async fn reauthenticate(&self, user: &UserRecord, password: SecretString) -> AppResult<()> {
        let key = throttle_key(user.email.as_str());
        self.reserve_attempt(&key).await?;
        let ok = self
            .hasher
            .verify(Some(user.password_hash.clone()), password)
            .await?;
        if !ok {
            return Err(AppError::new(
                ErrorCode::WrongPassword,
                "the current password is not correct",
            ));
        }
        let mut tx = self.store.write().await?;
        tx.clear_throttle(&key).await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn sign_in(
        &self,
        email: &str,
        password: SecretString,
        device_name: Option<String>,
        detected: Option<RegionDefaults>,
    ) -> AppResult<SignInResponse> {
        let device_name = parse_device_name(device_name)?;
        let detected = detected.map(|d| d.changes()).transpose()?;
        let invalid = || {
            AppError::new(
                ErrorCode::InvalidCredentials,
                "the email or password is not correct",
            )
        };
        // An unparseable email cannot belong to anyone; still do the hashing work.
        let email = match Email::parse(email) {
            Ok(email) => email,
            Err(_) => {
                self.hasher.verify(None, password).await?;
                return Err(invalid());
            }
        };
        let key = throttle_key(email.as_str());
        self.reserve_attempt(&key).await?;
        let user = self.store.read().await?.user_by_email(&email).await?;
        let ok = self
            .hasher
            .verify(user.as_ref().map(|u| u.password_hash.clone()), password)
            .await?;
        let user = match user {
            Some(user) if ok => user,
            _ => return Err(invalid()),
        };

        let (token, token_hash) = crypto::new_token();
        let session_id = crypto::new_session_id();
        let now = self.now_ms();
        let mut tx = self.store.write().await?;
        tx.clear_throttle(&key).await?;
        tx.lock_user(user.id).await?;
        tx.insert_session(
            &NewSession {
                id: &session_id,
                user_id: user.id,
                token_hash: &token_hash,
                device_name: &device_name,
            },
            now,
        )
        .await?;
        let current = tx.user_by_id(user.id).await?.ok_or_else(invalid)?;
        let user = match detected {
            Some(changes) if !current.region_configured && !changes.is_empty() => {
                tx.apply_preferences(user.id, &changes, now).await?;
                tx.user_by_id(user.id).await?.ok_or_else(invalid)?
            }
            _ => current,
        };
        let account = self.account_view_in(&mut *tx, &user).await?;
        self.commit(tx).await?;
        let session = SessionRecord {
            id: session_id.clone(),
            user_id: user.id,
            device_name,
            created_at: now,
            last_seen_at: now,
        };
        Ok(SignInResponse {
            token: token.expose_secret().to_owned(),
            session: session_view(&session, &session_id),
            account,
        })
    }

    /// The caller behind a bearer token, or `unauthenticated`.
    pub async fn authenticate(&self, token: &str) -> AppResult<Caller> {
        let mut tx = self.store.read().await?;
        self.authenticate_in(&mut *tx, token).await
    }

    /// [`Services::authenticate`] within a read the caller goes on with.
    pub async fn authenticate_in(&self, tx: &mut dyn ReadTx, token: &str) -> AppResult<Caller> {
        let hash = crypto::token_hash(token);
        let found = tx.session_by_token(&hash, self.idle_cutoff()).await?;
        let (session, user) = found.ok_or_else(AppError::unauthenticated)?;
        self.touch_when_due(&session).await?;
        Ok(Caller {
            session_id: session.id,
            user,
        })
    }

    /// Records the session's use, at most once a minute.
    pub(crate) async fn touch_when_due(&self, session: &SessionRecord) -> AppResult<()> {
        let now = self.now_ms();
        if session.last_seen_at < now - TOUCH_EVERY_MS {
            let mut tx = self.store.write().await?;
            tx.touch_session(&session.id, now).await?;
            self.commit(tx).await?;
            // A copy still says it was last used long ago; read it again next time.
            self.cache.forget_user(session.user_id);
        }
        Ok(())
    }

    pub async fn sign_out(&self, caller: &Caller) -> AppResult<()> {
        let mut tx = self.store.write().await?;
        tx.revoke_session(caller.user.id, &caller.session_id, self.now_ms())
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn list_sessions(&self, caller: &Caller) -> AppResult<Vec<SessionView>> {
        let list = self
            .store
            .read()
            .await?
            .live_sessions(caller.user.id, self.idle_cutoff())
            .await?;
        Ok(list
            .iter()
            .map(|s| session_view(s, &caller.session_id))
            .collect())
    }

    pub async fn revoke_session(&self, caller: &Caller, id: &str) -> AppResult<()> {
        let mut tx = self.store.write().await?;
        if !tx.revoke_session(caller.user.id, id, self.now_ms()).await? {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!("you have no active session {id}"),
            ));
        }
        self.commit(tx).await?;
        Ok(())
    }

    pub async fn revoke_other_sessions(&self, caller: &Caller) -> AppResult<u64> {
        let mut tx = self.store.write().await?;
        let revoked = tx
            .revoke_other_sessions(caller.user.id, &caller.session_id, self.now_ms())
            .await?;
        self.commit(tx).await?;
        Ok(revoked)
    }
}

fn parse_device_name(raw: Option<String>) -> AppResult<String> {
    let name = raw.unwrap_or_default();
    // The length is of the name as sent (what the OpenAPI document states); the name
    // kept is trimmed.
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::new(
            ErrorCode::InvalidDeviceName,
            "the device name must be at most 100 characters, without control characters",
        ));
    }
    let name = name.trim();
    Ok(if name.is_empty() {
        "Unnamed device".to_owned()
    } else {
        name.to_owned()
    })
}
