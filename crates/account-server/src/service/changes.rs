//! Email and phone changes: request (new value + password) → a 6-digit code to the NEW
//! address or number → confirm → applied, and the user is told at the old address.
//!
//! Codes are single use and expire after `code_ttl_secs`; `code_max_attempts` wrong
//! tries void them; a new send waits `resend_cooldown_secs` after the last one; each
//! channel has an hourly and a daily cap per user. A request while another change of
//! the same kind is pending replaces it (the old code stops working).

use account_model::dto::{AccountView, PendingChangeView};
use account_model::i18n::Message;
use account_model::{Email, ErrorCode, PhoneNumber};
use secrecy::SecretString;

use super::Services;
use super::auth::Caller;
use super::notify;
use crate::crypto;
use crate::error::{AppError, AppResult};
use crate::store::StoreResult;
use crate::store::outbox::OutChannel;
use crate::store::users::{self, UserRecord};
use crate::store::verifications::{self, Purpose};

/// A checked new value for a pending change.
#[derive(Debug, Clone)]
enum Target {
    Email(Email),
    Phone(PhoneNumber),
}

impl Target {
    /// Reads back a pending change's target; the store only holds what was parsed.
    fn stored(purpose: Purpose, raw: &str) -> StoreResult<Self> {
        let parsed = match purpose {
            Purpose::Email => Email::parse(raw).map(Self::Email),
            Purpose::Phone => PhoneNumber::parse(raw).map(Self::Phone),
        };
        parsed.map_err(|e| crate::store::StoreError::Corrupt(format!("verifications.target: {e}")))
    }

    fn purpose(&self) -> Purpose {
        match self {
            Self::Email(_) => Purpose::Email,
            Self::Phone(_) => Purpose::Phone,
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Email(e) => e.as_str(),
            Self::Phone(p) => p.as_str(),
        }
    }
}

fn no_pending(purpose: Purpose) -> AppError {
    AppError::new(
        ErrorCode::NoPendingChange,
        format!(
            "there is no pending {} change to act on; start one first",
            purpose.as_str()
        ),
    )
}

impl Services {
    /// Refuses a send that the cooldown or the caps forbid. Runs inside the write.
    fn check_send_allowed(
        &self,
        conn: &rusqlite::Connection,
        user_id: i64,
        purpose: Purpose,
        now: i64,
    ) -> StoreResult<Result<(), AppError>> {
        let limits = &self.config.limits;
        if let Some(p) = verifications::get(conn, user_id, purpose)? {
            let ready = p.last_sent_at + limits.resend_cooldown_secs * 1000;
            if ready > now {
                return Ok(Err(AppError::new(
                    ErrorCode::ResendTooSoon,
                    "a code was sent moments ago; wait before asking for another",
                )
                .retry_after((ready - now + 999) / 1000)));
            }
        }
        for (window_ms, cap, label) in [
            (3_600_000_i64, limits.code_sends_per_hour, "hour"),
            (86_400_000_i64, limits.code_sends_per_day, "day"),
        ] {
            let (sent, oldest) =
                verifications::sends_since(conn, user_id, purpose, now - window_ms)?;
            if sent >= cap {
                let wait = oldest.map_or(window_ms, |o| o + window_ms - now);
                return Ok(Err(AppError::new(
                    ErrorCode::SendLimitReached,
                    format!(
                        "at most {cap} codes can be sent by {} per {label}",
                        purpose.channel()
                    ),
                )
                .retry_after((wait + 999) / 1000)));
            }
        }
        Ok(Ok(()))
    }

    /// Makes a code, stores its hash, and queues it to `target`. Runs inside the write.
    fn send_code(
        &self,
        conn: &rusqlite::Connection,
        user: &UserRecord,
        target: &Target,
        now: i64,
    ) -> StoreResult<()> {
        let purpose = target.purpose();
        let code = crypto::new_code();
        let hash = self
            .codes
            .hash(user.id, purpose.as_str(), target.as_str(), &code);
        let ttl_ms = self.config.limits.code_ttl_secs * 1000;
        verifications::put(
            conn,
            user.id,
            purpose,
            target.as_str(),
            &hash,
            now,
            now + ttl_ms,
        )?;
        verifications::record_send(conn, user.id, purpose, now)?;
        let minutes = self.config.limits.code_ttl_secs / 60;
        let (channel, message) = match target {
            Target::Email(_) => (
                OutChannel::Email,
                Message::EmailChangeCode { code, minutes },
            ),
            Target::Phone(_) => (OutChannel::Sms, Message::PhoneChangeCode { code, minutes }),
        };
        notify::enqueue(
            conn,
            user.id,
            channel,
            target.as_str(),
            user.language,
            &message,
            now,
        )?;
        users::bump_version(conn, user.id, now)?;
        Ok(())
    }

    async fn start_change(
        &self,
        caller: &Caller,
        target: Target,
        password: SecretString,
    ) -> AppResult<PendingChangeView> {
        self.reauthenticate(&caller.user, password).await?;
        let this = self.clone();
        let user = caller.user.clone();
        let now = self.now_ms();
        let view = self
            .db
            .write(move |tx| -> StoreResult<AppResult<PendingChangeView>> {
                if let Target::Email(email) = &target
                    && users::email_taken(tx, email)?
                {
                    return Ok(Err(AppError::new(
                        ErrorCode::EmailTaken,
                        "another account already uses this email address",
                    )));
                }
                if let Err(e) = this.check_send_allowed(tx, user.id, target.purpose(), now)? {
                    return Ok(Err(e));
                }
                this.send_code(tx, &user, &target, now)?;
                let pending =
                    verifications::get(tx, user.id, target.purpose())?.ok_or_else(|| {
                        crate::store::StoreError::Corrupt("pending change just written".into())
                    })?;
                Ok(Ok(this.pending_view(&pending)))
            })
            .await??;
        self.wake();
        Ok(view)
    }

    pub async fn request_email_change(
        &self,
        caller: &Caller,
        new_email: &str,
        password: SecretString,
    ) -> AppResult<PendingChangeView> {
        let email = Email::parse(new_email)?;
        if email == caller.user.email {
            return Err(AppError::new(
                ErrorCode::EmailUnchanged,
                "this is already your email address",
            ));
        }
        self.start_change(caller, Target::Email(email), password)
            .await
    }

    pub async fn request_phone_change(
        &self,
        caller: &Caller,
        phone: &str,
        password: SecretString,
    ) -> AppResult<PendingChangeView> {
        let phone = PhoneNumber::parse(phone)?;
        if caller.user.phone.as_ref() == Some(&phone) {
            return Err(AppError::new(
                ErrorCode::PhoneUnchanged,
                "this is already your phone number",
            ));
        }
        let country = phone.country();
        if !country.is_some_and(|c| self.sms_countries.contains(&c)) {
            let name =
                country.map_or_else(|| "this number's country".to_owned(), |c| c.to_string());
            return Err(AppError::new(
                ErrorCode::PhoneCountryNotAllowed,
                format!("we cannot send SMS to numbers in {name} yet"),
            ));
        }
        self.start_change(caller, Target::Phone(phone), password)
            .await
    }

    /// Sends a new code to the pending change's target (the old code stops working).
    pub async fn resend_code(
        &self,
        caller: &Caller,
        purpose: Purpose,
    ) -> AppResult<PendingChangeView> {
        let this = self.clone();
        let user = caller.user.clone();
        let now = self.now_ms();
        let view = self
            .db
            .write(move |tx| -> StoreResult<AppResult<PendingChangeView>> {
                let Some(pending) = verifications::get(tx, user.id, purpose)? else {
                    return Ok(Err(no_pending(purpose)));
                };
                let target = Target::stored(purpose, &pending.target)?;
                if let Err(e) = this.check_send_allowed(tx, user.id, purpose, now)? {
                    return Ok(Err(e));
                }
                this.send_code(tx, &user, &target, now)?;
                let pending = verifications::get(tx, user.id, purpose)?.ok_or_else(|| {
                    crate::store::StoreError::Corrupt("pending change just written".into())
                })?;
                Ok(Ok(this.pending_view(&pending)))
            })
            .await??;
        self.wake();
        Ok(view)
    }

    pub async fn cancel_change(&self, caller: &Caller, purpose: Purpose) -> AppResult<()> {
        let (user_id, now) = (caller.user.id, self.now_ms());
        let deleted = self
            .db
            .write(move |tx| {
                let deleted = verifications::delete(tx, user_id, purpose)?;
                if deleted {
                    users::bump_version(tx, user_id, now)?;
                }
                Ok(deleted)
            })
            .await?;
        if deleted {
            Ok(())
        } else {
            Err(no_pending(purpose))
        }
    }

    /// Checks the code and applies the change; the user is told at the old address.
    pub async fn confirm_change(
        &self,
        caller: &Caller,
        purpose: Purpose,
        code: &str,
    ) -> AppResult<AccountView> {
        let code = code.trim().to_owned();
        let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let this = self.clone();
        let user = caller.user.clone();
        let now = self.now_ms();
        let max = self.config.limits.code_max_attempts;
        let view = self
            .db
            .write(move |tx| -> StoreResult<AppResult<AccountView>> {
                let Some(pending) = verifications::get(tx, user.id, purpose)? else {
                    return Ok(Err(no_pending(purpose)));
                };
                if pending.expires_at <= now {
                    verifications::delete(tx, user.id, purpose)?;
                    users::bump_version(tx, user.id, now)?;
                    return Ok(Err(AppError::new(
                        ErrorCode::CodeExpired,
                        "the code has expired; ask for a new one",
                    )));
                }
                let matches = well_formed
                    && this.codes.matches(
                        user.id,
                        purpose.as_str(),
                        &pending.target,
                        &code,
                        &pending.code_hash,
                    );
                if !matches {
                    let failures = verifications::add_failure(tx, user.id, purpose)?;
                    if failures >= max {
                        verifications::delete(tx, user.id, purpose)?;
                        users::bump_version(tx, user.id, now)?;
                        return Ok(Err(AppError::new(
                            ErrorCode::CodeAttemptsExceeded,
                            "too many wrong codes; this change was cancelled, start it again",
                        )));
                    }
                    return Ok(Err(AppError::new(
                        ErrorCode::CodeInvalid,
                        "the code is not correct",
                    )
                    .with_details(serde_json::json!({ "attemptsLeft": max - failures }))));
                }
                verifications::delete(tx, user.id, purpose)?;
                let message = match Target::stored(purpose, &pending.target)? {
                    Target::Email(email) => {
                        if users::email_taken(tx, &email)? {
                            return Ok(Err(AppError::new(
                                ErrorCode::EmailTaken,
                                "another account took this email address meanwhile",
                            )));
                        }
                        users::set_email(tx, user.id, &email, now)?;
                        Message::EmailChanged {
                            new_email_masked: email.masked(),
                        }
                    }
                    Target::Phone(phone) => {
                        users::set_phone(tx, user.id, &phone, now)?;
                        Message::PhoneChanged {
                            new_phone_masked: phone.masked(),
                        }
                    }
                };
                // Told at the address the account had until now: for an email change,
                // the old one, so a hijacked change does not go unnoticed.
                notify::enqueue(
                    tx,
                    user.id,
                    OutChannel::Email,
                    user.email.as_str(),
                    user.language,
                    &message,
                    now,
                )?;
                let Some(updated) = users::by_id(tx, user.id)? else {
                    return Ok(Err(AppError::unauthenticated()));
                };
                Ok(Ok(this.account_view_in(tx, &updated)?))
            })
            .await??;
        self.wake();
        Ok(view)
    }
}
