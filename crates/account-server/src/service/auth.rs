//! Sign-in, sessions, re-authentication and the wrong-password lockout.
//!
//! Lockout: password attempts are counted per typed email (known or not, so the lock
//! reveals nothing), on sign-in and on every re-authenticated change alike. Each attempt
//! is counted before its password is checked, in the transaction that checks the lock,
//! so parallel guesses cannot slip past it; a correct password clears the count. After
//! `failures_before_lockout` failures each further one locks for `lockout_base_secs`
//! doubled per failure, capped at `lockout_max_secs`. While locked, the password is not
//! even checked.

use account_model::dto::{RegionDefaults, SessionView, SignInResponse};
use account_model::{Country, Email, ErrorCode, Language, TimeZone};
use secrecy::{ExposeSecret, SecretString};

use super::Services;
use crate::clock::from_millis;
use crate::crypto;
use crate::error::{AppError, AppResult};
use crate::store::sessions;
use crate::store::throttle::{self, Throttle};
use crate::store::users::{self, Field, UserRecord, Value};

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session_id: String,
    pub user: UserRecord,
}

fn throttle_key(email: &str) -> String {
    format!("email:{email}")
}

fn session_view(s: &sessions::SessionRecord, current: &str) -> SessionView {
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
    /// count ([`Services::password_was_correct`]).
    async fn reserve_attempt(&self, key: &str) -> AppResult<()> {
        let key = key.to_owned();
        let now = self.now_ms();
        let limits = self.config.limits.clone();
        self.db
            .write(move |tx| {
                let before = throttle::get(tx, &key)?;
                if let Some(until) = before.locked_until.filter(|until| *until > now) {
                    return Ok(Err(AppError::new(
                        ErrorCode::TooManyAttempts,
                        "too many wrong passwords; wait before trying again",
                    )
                    .retry_after((until - now + 999) / 1000)));
                }
                let failures = before.failures + 1;
                let over = failures - limits.failures_before_lockout;
                let locked_until = (over >= 0).then(|| {
                    let secs = limits
                        .lockout_base_secs
                        .saturating_mul(1_i64 << over.min(20))
                        .min(limits.lockout_max_secs);
                    now + secs * 1000
                });
                throttle::put(
                    tx,
                    &key,
                    Throttle {
                        failures,
                        locked_until,
                    },
                    now,
                )?;
                Ok(Ok(()))
            })
            .await?
    }

    async fn password_was_correct(&self, key: &str) -> AppResult<()> {
        let key = key.to_owned();
        self.db.write(move |tx| throttle::clear(tx, &key)).await?;
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
        if ok {
            self.password_was_correct(&key).await?;
        }
        if ok {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::WrongPassword,
                "the current password is not correct",
            ))
        }
    }

    pub async fn sign_in(
        &self,
        email: &str,
        password: SecretString,
        device_name: Option<String>,
        detected: Option<RegionDefaults>,
    ) -> AppResult<SignInResponse> {
        let device_name = parse_device_name(device_name)?;
        let detected = detected.map(parse_detected).transpose()?;
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
        let user = {
            let email = email.clone();
            self.db.call(move |c| users::by_email(c, &email)).await?
        };
        let ok = self
            .hasher
            .verify(user.as_ref().map(|u| u.password_hash.clone()), password)
            .await?;
        if ok {
            self.password_was_correct(&key).await?;
        }
        let user = match user {
            Some(user) if ok => user,
            _ => return Err(invalid()),
        };

        let (token, token_hash) = crypto::new_token();
        let session_id = crypto::new_session_id();
        let now = self.now_ms();
        let (session, user) = {
            let session_id = session_id.clone();
            let user_id = user.id;
            self.db
                .write(move |tx| {
                    sessions::insert(tx, &session_id, user_id, &token_hash, &device_name, now)?;
                    if let Some(changes) = detected {
                        let current = users::by_id(tx, user_id)?;
                        if current.is_some_and(|u| !u.region_configured) && !changes.is_empty() {
                            users::apply_fields(tx, user_id, &changes, now)?;
                        }
                    }
                    let session = sessions::list_live(tx, user_id, 0)?
                        .into_iter()
                        .find(|s| s.id == session_id);
                    Ok((session, users::by_id(tx, user_id)?))
                })
                .await?
        };
        let (Some(session), Some(user)) = (session, user) else {
            return Err(AppError::internal(anyhow::anyhow!(
                "session vanished right after sign-in"
            )));
        };
        let account = self.account_view(&user).await?;
        Ok(SignInResponse {
            token: token.expose_secret().to_owned(),
            session: session_view(&session, &session_id),
            account,
        })
    }

    /// The caller behind a bearer token, or `unauthenticated`.
    pub async fn authenticate(&self, token: &str) -> AppResult<Caller> {
        let hash = crypto::token_hash(token);
        let cutoff = self.idle_cutoff();
        let now = self.now_ms();
        let found = self
            .db
            .call(move |c| {
                let Some(session) = sessions::live_by_token(c, &hash, cutoff)? else {
                    return Ok(None);
                };
                sessions::touch(c, &session.id, now)?;
                Ok(users::by_id(c, session.user_id)?.map(|user| Caller {
                    session_id: session.id,
                    user,
                }))
            })
            .await?;
        found.ok_or_else(AppError::unauthenticated)
    }

    pub async fn sign_out(&self, caller: &Caller) -> AppResult<()> {
        let (user_id, id, now) = (caller.user.id, caller.session_id.clone(), self.now_ms());
        self.db
            .write(move |tx| sessions::revoke(tx, user_id, &id, now))
            .await?;
        Ok(())
    }

    pub async fn list_sessions(&self, caller: &Caller) -> AppResult<Vec<SessionView>> {
        let (user_id, cutoff) = (caller.user.id, self.idle_cutoff());
        let list = self
            .db
            .call(move |c| sessions::list_live(c, user_id, cutoff))
            .await?;
        Ok(list
            .iter()
            .map(|s| session_view(s, &caller.session_id))
            .collect())
    }

    pub async fn revoke_session(&self, caller: &Caller, id: &str) -> AppResult<()> {
        let (user_id, id_owned, now) = (caller.user.id, id.to_owned(), self.now_ms());
        let revoked = self
            .db
            .write(move |tx| sessions::revoke(tx, user_id, &id_owned, now))
            .await?;
        if revoked {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::NotFound,
                format!("you have no active session {id}"),
            ))
        }
    }

    pub async fn revoke_other_sessions(&self, caller: &Caller) -> AppResult<u64> {
        let (user_id, keep, now) = (caller.user.id, caller.session_id.clone(), self.now_ms());
        Ok(self
            .db
            .write(move |tx| sessions::revoke_others(tx, user_id, &keep, now))
            .await?)
    }
}

fn parse_device_name(raw: Option<String>) -> AppResult<String> {
    let name = raw.unwrap_or_default();
    let name = name.trim();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::new(
            ErrorCode::InvalidDeviceName,
            "the device name must be at most 100 characters, without control characters",
        ));
    }
    Ok(if name.is_empty() {
        "Unnamed device".to_owned()
    } else {
        name.to_owned()
    })
}

/// Parses what a client detected; each present value must be valid.
fn parse_detected(d: RegionDefaults) -> AppResult<Vec<(Field, Value)>> {
    let mut changes = Vec::new();
    if let Some(l) = d.language {
        changes.push((
            Field::Language,
            Value::Text(Language::parse(&l)?.as_str().to_owned()),
        ));
    }
    if let Some(c) = d.country {
        changes.push((
            Field::Country,
            Value::Text(Country::parse(&c)?.as_str().to_owned()),
        ));
    }
    if let Some(t) = d.time_zone {
        changes.push((
            Field::TimeZone,
            Value::Text(TimeZone::parse(&t)?.as_str().to_owned()),
        ));
    }
    Ok(changes)
}
