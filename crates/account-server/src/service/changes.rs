//! Email and phone changes: request (new value + password) → a 6-digit code to the NEW
//! address or number → confirm → applied, and the user is told at the old address.
//!
//! Codes are single use and expire after `code_ttl_secs`; `code_max_attempts` wrong
//! tries void them; a new send waits `resend_cooldown_secs` after the last one; each
//! channel has an hourly and a daily cap per user. A request while another change of
//! the same kind is pending replaces it (the old code stops working).

use account_model::dto::{AccountView, PendingChangeView};
use account_model::i18n::Message;
use account_model::{ChangeKind, Email, ErrorCode, PhoneNumber};
use secrecy::SecretString;

use super::Services;
use super::auth::Caller;
use super::notify;
use crate::crypto;
use crate::error::{AppError, AppResult};
use crate::store::{NewPendingChange, OutChannel, StoreError, StoreResult, UserRecord, WriteTx};

/// A checked new value for a pending change.
#[derive(Debug, Clone)]
enum Target {
    Email(Email),
    Phone(PhoneNumber),
}

impl Target {
    /// Reads back a pending change's target; the store only holds what was parsed.
    fn stored(kind: ChangeKind, raw: &str) -> StoreResult<Self> {
        let parsed = match kind {
            ChangeKind::Email => Email::from_stored(raw).map(Self::Email),
            ChangeKind::Phone => PhoneNumber::from_stored(raw).map(Self::Phone),
        };
        parsed.map_err(|e| StoreError::Corrupt(format!("verifications.target: {e}")))
    }

    fn kind(&self) -> ChangeKind {
        match self {
            Self::Email(_) => ChangeKind::Email,
            Self::Phone(_) => ChangeKind::Phone,
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Email(e) => e.as_str(),
            Self::Phone(p) => p.as_str(),
        }
    }
}

fn no_pending(kind: ChangeKind) -> AppError {
    AppError::new(
        ErrorCode::NoPendingChange,
        format!(
            "there is no pending {} change to act on; start one first",
            kind.as_str()
        ),
    )
}

fn email_taken(why: &str) -> AppError {
    AppError::new(ErrorCode::EmailTaken, why.to_owned())
}

impl Services {
    /// Refuses a send that the cooldown or the caps forbid. Runs inside the write, with
    /// the user locked.
    async fn check_send_allowed(
        &self,
        tx: &mut dyn WriteTx,
        user_id: i64,
        kind: ChangeKind,
        now: i64,
    ) -> AppResult<()> {
        let limits = &self.config.limits;
        // The cooldown is the user's and the channel's, whatever the target: cancelling
        // and starting again (or starting with another address) waits like a resend.
        // The cooldown itself keeps it to one send in the window, so its oldest is the last.
        let cooldown_ms = limits.resend_cooldown_secs * 1000;
        if let (1.., Some(last)) = tx
            .code_sends_since(user_id, kind, now - cooldown_ms)
            .await?
        {
            let ready = last + cooldown_ms;
            return Err(AppError::new(
                ErrorCode::ResendTooSoon,
                "a code was sent moments ago; wait before asking for another",
            )
            .retry_after((ready - now + 999) / 1000));
        }
        for (window_ms, cap, label) in [
            (3_600_000_i64, limits.code_sends_per_hour, "hour"),
            (86_400_000_i64, limits.code_sends_per_day, "day"),
        ] {
            let (sent, oldest) = tx.code_sends_since(user_id, kind, now - window_ms).await?;
            if sent >= cap {
                let wait = oldest.map_or(window_ms, |o| o + window_ms - now);
                return Err(AppError::new(
                    ErrorCode::SendLimitReached,
                    format!(
                        "at most {cap} codes can be sent by {} per {label}",
                        kind.channel().as_str()
                    ),
                )
                .retry_after((wait + 999) / 1000));
            }
        }
        Ok(())
    }

    /// Makes a code, stores its hash, and queues it to `target`. Runs inside the write.
    async fn send_code(
        &self,
        tx: &mut dyn WriteTx,
        user: &UserRecord,
        target: &Target,
        now: i64,
    ) -> StoreResult<()> {
        let kind = target.kind();
        let code = crypto::new_code();
        let hash = self
            .codes
            .hash(user.id, kind.as_str(), target.as_str(), &code);
        let ttl_ms = self.config.limits.code_ttl_secs * 1000;
        tx.put_pending_change(&NewPendingChange {
            user_id: user.id,
            kind,
            target: target.as_str(),
            code_hash: &hash,
            now,
            expires_at: now + ttl_ms,
        })
        .await?;
        tx.record_code_send(user.id, kind, now).await?;
        let minutes = self.config.limits.code_ttl_secs / 60;
        let (channel, message) = match target {
            Target::Email(_) => (
                OutChannel::Email,
                Message::EmailChangeCode { code, minutes },
            ),
            Target::Phone(_) => (OutChannel::Sms, Message::PhoneChangeCode { code, minutes }),
        };
        notify::enqueue(
            tx,
            user.id,
            channel,
            target.as_str(),
            user.language,
            &message,
            now,
        )
        .await?;
        tx.bump_version(user.id, now).await?;
        Ok(())
    }

    /// The pending change `kind` of the user, just written.
    async fn pending_now(
        &self,
        tx: &mut dyn WriteTx,
        user_id: i64,
        kind: ChangeKind,
    ) -> AppResult<PendingChangeView> {
        let pending = tx
            .pending_change(user_id, kind)
            .await?
            .ok_or_else(|| StoreError::Corrupt("pending change just written".into()))?;
        Ok(self.pending_view(&pending))
    }

    async fn start_change(
        &self,
        caller: &Caller,
        target: Target,
        password: SecretString,
    ) -> AppResult<PendingChangeView> {
        self.reauthenticate(&caller.user, password).await?;
        let user = &caller.user;
        let now = self.now_ms();
        let mut tx = self.store.write().await?;
        tx.lock_user(user.id).await?;
        // The same answer whether the address is taken or only looks like one that is:
        // neither says which account, or which address, it collided with.
        if let Target::Email(email) = &target
            && tx.email_taken(email, user.id).await?
        {
            return Err(email_taken(
                "another account already uses this email address",
            ));
        }
        self.check_send_allowed(&mut *tx, user.id, target.kind(), now)
            .await?;
        self.send_code(&mut *tx, user, &target, now).await?;
        let view = self.pending_now(&mut *tx, user.id, target.kind()).await?;
        self.commit(tx).await?;
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
        kind: ChangeKind,
    ) -> AppResult<PendingChangeView> {
        let user = &caller.user;
        let now = self.now_ms();
        let mut tx = self.store.write().await?;
        tx.lock_user(user.id).await?;
        let Some(pending) = tx.pending_change(user.id, kind).await? else {
            return Err(no_pending(kind));
        };
        let target = Target::stored(kind, &pending.target)?;
        self.check_send_allowed(&mut *tx, user.id, kind, now)
            .await?;
        self.send_code(&mut *tx, user, &target, now).await?;
        let view = self.pending_now(&mut *tx, user.id, kind).await?;
        self.commit(tx).await?;
        Ok(view)
    }

    pub async fn cancel_change(&self, caller: &Caller, kind: ChangeKind) -> AppResult<()> {
        let (user_id, now) = (caller.user.id, self.now_ms());
        let mut tx = self.store.write().await?;
        tx.lock_user(user_id).await?;
        if !tx.delete_pending_change(user_id, kind).await? {
            return Err(no_pending(kind));
        }
        tx.bump_version(user_id, now).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Voids the pending change (expired, too many wrong codes, address taken) and
    /// commits that, then refuses with `error`: the account shows no code step any more.
    async fn void(
        &self,
        mut tx: Box<dyn WriteTx>,
        user_id: i64,
        kind: ChangeKind,
        now: i64,
        error: AppError,
    ) -> AppResult<AccountView> {
        tx.delete_pending_change(user_id, kind).await?;
        tx.bump_version(user_id, now).await?;
        self.commit(tx).await?;
        Err(error)
    }

    /// Checks the code and applies the change; the user is told at the old address.
    pub async fn confirm_change(
        &self,
        caller: &Caller,
        kind: ChangeKind,
        code: &str,
    ) -> AppResult<AccountView> {
        let code = code.trim();
        let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
        let user = &caller.user;
        let now = self.now_ms();
        let max = self.config.limits.code_max_attempts;
        let mut tx = self.store.write().await?;
        tx.lock_user(user.id).await?;
        let Some(pending) = tx.pending_change(user.id, kind).await? else {
            return Err(no_pending(kind));
        };
        if pending.expires_at <= now {
            let expired = AppError::new(
                ErrorCode::CodeExpired,
                "the code has expired; ask for a new one",
            );
            return self.void(tx, user.id, kind, now, expired).await;
        }
        let matches = well_formed
            && self.codes.matches(
                user.id,
                kind.as_str(),
                &pending.target,
                code,
                &pending.code_hash,
            );
        if !matches {
            let failures = tx.add_code_failure(user.id, kind).await?;
            if failures >= max {
                let exceeded = AppError::new(
                    ErrorCode::CodeAttemptsExceeded,
                    "too many wrong codes; this change was cancelled, start it again",
                );
                return self.void(tx, user.id, kind, now, exceeded).await;
            }
            // The wrong try stays counted.
            self.commit(tx).await?;
            return Err(
                AppError::new(ErrorCode::CodeInvalid, "the code is not correct")
                    .with_details(serde_json::json!({ "attemptsLeft": max - failures })),
            );
        }
        let message = match Target::stored(kind, &pending.target)? {
            Target::Email(email) => {
                if tx.email_taken(&email, user.id).await? {
                    let taken = email_taken("another account took this email address meanwhile");
                    return self.void(tx, user.id, kind, now, taken).await;
                }
                tx.delete_pending_change(user.id, kind).await?;
                match tx.set_email(user.id, &email, now).await {
                    // Taken by a change committing on another instance at this moment.
                    Err(StoreError::Duplicate(_)) => {
                        return Err(email_taken(
                            "another account took this email address meanwhile",
                        ));
                    }
                    other => other?,
                };
                Message::EmailChanged {
                    new_email_masked: email.masked(),
                }
            }
            Target::Phone(phone) => {
                tx.delete_pending_change(user.id, kind).await?;
                tx.set_phone(user.id, &phone, now).await?;
                Message::PhoneChanged {
                    new_phone_masked: phone.masked(),
                }
            }
        };
        // Told at the address the account had until now: for an email change, the old
        // one, so a hijacked change does not go unnoticed.
        notify::email(&mut *tx, user, &message, now).await?;
        let updated = tx
            .user_by_id(user.id)
            .await?
            .ok_or_else(AppError::unauthenticated)?;
        let view = self.account_view_in(&mut *tx, &updated).await?;
        self.commit(tx).await?;
        Ok(view)
    }
}
