//! Reading the account, changing the password, and the preferences update with
//! field-level optimistic concurrency.
//!
//! Concurrency: every change bumps the account version, and each preference field
//! remembers the version it last changed at. An update names the version it was based
//! on; it is refused with `version_conflict` (409, the current account in `details`)
//! when any field it touches changed after that version, and then nothing is written.
//! Fields it does not touch never conflict, so an offline edit of the language is not
//! refused because the threshold was changed elsewhere meanwhile.

use account_model::dto::{
    AccountView, BalanceView, LowBalanceView, NotificationsView, OrganizationView,
    PendingChangeView, UpdatePreferencesRequest,
};
use account_model::i18n::Message;
use account_model::{
    Channel, Channels, Country, ErrorCode, Language, NoticeKind, Owner, Password, Permission,
    Strength, Threshold, TimeZone,
};
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};

use super::Services;
use super::auth::Caller;
use super::notify;
use crate::clock::from_millis;
use crate::error::{AppError, AppResult};
use crate::store::idempotency::{self, Stored};
use crate::store::outbox::OutChannel;
use crate::store::users::{self, Field, UserRecord, Value};
use crate::store::verifications::{self, Purpose};
use crate::store::{StoreResult, sessions};

/// The outcome of a preferences update, as the route sends it.
#[derive(Debug)]
pub enum UpdateOutcome {
    Applied(Box<AccountView>),
    /// The same idempotency key was seen before: its stored response, replayed.
    Replayed {
        status: u16,
        body: String,
    },
}

impl Services {
    pub(crate) fn pending_view(&self, p: &verifications::Pending) -> PendingChangeView {
        PendingChangeView {
            target: p.target.clone(),
            expires_at: from_millis(p.expires_at),
            resend_available_at: from_millis(p.last_sent_at)
                + Duration::seconds(self.config.limits.resend_cooldown_secs),
        }
    }

    /// Builds the account view from a connection (inside or outside a transaction).
    pub fn account_view_in(
        &self,
        conn: &rusqlite::Connection,
        user: &UserRecord,
    ) -> StoreResult<AccountView> {
        let now = self.now_ms();
        let live = |p: Option<verifications::Pending>| p.filter(|p| p.expires_at > now);
        let email = live(verifications::get(conn, user.id, Purpose::Email)?);
        let phone = live(verifications::get(conn, user.id, Purpose::Phone)?);
        let billing = user.role.can(Permission::ViewBilling);
        Ok(AccountView {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            phone: user.phone.clone(),
            role: user.role,
            permissions: user.role.permissions().to_vec(),
            organization: OrganizationView {
                id: user.organization_id,
                name: user.organization_name.clone(),
                currency: user.currency.to_string(),
            },
            language: user.language,
            country: user.country,
            time_zone: user.time_zone,
            region_configured: user.region_configured,
            notifications: NotificationsView {
                contact_imports: user.contact_imports.to_vec(),
                billing: billing.then(|| user.billing.to_vec()),
                low_balance: billing.then(|| LowBalanceView {
                    enabled: user.low_balance_enabled,
                    threshold_minor: user.low_balance_threshold.minor(),
                    channels: user.low_balance_channels.to_vec(),
                }),
            },
            balance: BalanceView {
                amount_minor: user.balance_minor,
                currency: user.currency,
            },
            pending_email_change: email.as_ref().map(|p| self.pending_view(p)),
            pending_phone_change: phone.as_ref().map(|p| self.pending_view(p)),
            version: user.version,
        })
    }

    pub async fn account_view(&self, user: &UserRecord) -> AppResult<AccountView> {
        let this = self.clone();
        let user = user.clone();
        Ok(self
            .db
            .call(move |c| this.account_view_in(c, &user))
            .await?)
    }

    pub fn password_strength(&self, user: &UserRecord, candidate: &str) -> Strength {
        account_model::password::strength(candidate, owner(user))
    }

    /// Current + new + repeat. On success every other session is signed out and the
    /// user is told by email.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: SecretString,
        new: SecretString,
        repeat: SecretString,
    ) -> AppResult<()> {
        let user = &caller.user;
        if new.expose_secret() != repeat.expose_secret() {
            return Err(AppError::new(
                ErrorCode::PasswordMismatch,
                "the new password and its repetition differ",
            ));
        }
        let password = Password::parse(new.expose_secret(), owner(user)).map_err(|e| {
            let strength = self.password_strength(user, new.expose_secret());
            AppError::from(e).with_details(serde_json::json!({ "score": strength.score }))
        })?;
        self.reauthenticate(user, current.clone()).await?;
        if current.expose_secret() == password.expose() {
            return Err(AppError::new(
                ErrorCode::PasswordUnchanged,
                "the new password is the same as the current one",
            ));
        }
        let hash = self
            .hasher
            .hash(SecretString::from(password.expose().to_owned()))
            .await?;
        let (user_id, keep, now) = (user.id, caller.session_id.clone(), self.now_ms());
        let (email, language) = (user.email.clone(), user.language);
        self.db
            .write(move |tx| {
                users::set_password_hash(tx, user_id, &hash, now)?;
                sessions::revoke_others(tx, user_id, &keep, now)?;
                notify::enqueue(
                    tx,
                    user_id,
                    OutChannel::Email,
                    email.as_str(),
                    language,
                    &Message::PasswordChanged,
                    now,
                )?;
                Ok(())
            })
            .await?;
        self.wake();
        Ok(())
    }

    /// Applies a partial preferences update; see the module doc for conflicts.
    /// With an idempotency key, a repeated request returns the first one's response.
    pub async fn update_preferences(
        &self,
        caller: &Caller,
        request: UpdatePreferencesRequest,
        idempotency: Option<(String, Vec<u8>)>,
    ) -> AppResult<UpdateOutcome> {
        let user = &caller.user;
        let changes = parse_changes(user, &request)?;
        if changes.is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "the update changes nothing: name at least one field",
            ));
        }
        let base = request.base_version;
        if base < 1 {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "baseVersion must be a version the server sent (1 or more)",
            ));
        }
        let this = self.clone();
        let user_id = user.id;
        let now = self.now_ms();
        let outcome = self
            .db
            .write(move |tx| -> StoreResult<AppResult<UpdateOutcome>> {
                if let Some((key, hash)) = &idempotency
                    && let Some(stored) = idempotency::get(tx, user_id, key)?
                {
                    if &stored.request_hash != hash {
                        return Ok(Err(AppError::new(
                            ErrorCode::IdempotencyKeyReused,
                            "this Idempotency-Key was used for a different request",
                        )));
                    }
                    return Ok(Ok(UpdateOutcome::Replayed {
                        status: stored.status,
                        body: stored.body,
                    }));
                }
                let Some(current) = users::by_id(tx, user_id)? else {
                    return Ok(Err(AppError::unauthenticated()));
                };
                if base > current.version {
                    return Ok(Err(AppError::new(
                        ErrorCode::InvalidRequest,
                        format!(
                            "baseVersion {base} is newer than the account (version {})",
                            current.version
                        ),
                    )));
                }
                let fields: Vec<Field> = changes.iter().map(|(f, _)| *f).collect();
                let conflicts = users::changed_since(tx, user_id, base, &fields)?;
                if !conflicts.is_empty() {
                    let view = this.account_view_in(tx, &current)?;
                    let names: Vec<&str> = conflicts.iter().map(|f| f.name()).collect();
                    return Ok(Err(AppError::new(
                        ErrorCode::VersionConflict,
                        format!(
                            "changed elsewhere since version {base}: {}",
                            names.join(", ")
                        ),
                    )
                    .with_details(
                        serde_json::json!({ "fields": names, "current": view }),
                    )));
                }
                users::apply_fields(tx, user_id, &changes, now)?;
                let alert_fields = [Field::LowBalanceEnabled, Field::LowBalanceThreshold];
                if fields.iter().any(|f| alert_fields.contains(f)) {
                    // A threshold raised above the balance is a crossing.
                    super::balance::evaluate_low_balance(tx, current.organization_id, now)?;
                }
                let Some(updated) = users::by_id(tx, user_id)? else {
                    return Ok(Err(AppError::unauthenticated()));
                };
                let view = this.account_view_in(tx, &updated)?;
                if let Some((key, hash)) = &idempotency {
                    let body = serde_json::to_string(&view)
                        .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
                    idempotency::put(
                        tx,
                        user_id,
                        key,
                        &Stored {
                            request_hash: hash.clone(),
                            status: 200,
                            body,
                        },
                        now,
                    )?;
                }
                Ok(Ok(UpdateOutcome::Applied(Box::new(view))))
            })
            .await??;
        self.wake();
        Ok(outcome)
    }
}

pub fn owner(user: &UserRecord) -> Owner<'_> {
    Owner {
        email_local_part: user.email.local_part(),
        name: &user.name,
    }
}

/// Turns the request into typed field writes, refusing bad values and fields the
/// caller may not change.
fn parse_changes(
    user: &UserRecord,
    r: &UpdatePreferencesRequest,
) -> AppResult<Vec<(Field, Value)>> {
    let mut changes = Vec::new();
    if let Some(l) = &r.language {
        changes.push((
            Field::Language,
            Value::Text(Language::parse(l)?.as_str().to_owned()),
        ));
    }
    if let Some(c) = &r.country {
        changes.push((
            Field::Country,
            Value::Text(Country::parse(c)?.as_str().to_owned()),
        ));
    }
    if let Some(t) = &r.time_zone {
        changes.push((
            Field::TimeZone,
            Value::Text(TimeZone::parse(t)?.as_str().to_owned()),
        ));
    }
    let needs_phone = |set: &Channels| -> AppResult<()> {
        if set.contains(Channel::Sms) && user.phone.is_none() {
            return Err(AppError::new(
                ErrorCode::PhoneRequired,
                "add a phone number before choosing SMS",
            ));
        }
        Ok(())
    };
    if let Some(list) = &r.contact_imports {
        let set = Channels::parse(NoticeKind::ContactImports, list)?;
        needs_phone(&set)?;
        changes.push((Field::ContactImports, Value::Text(set.to_csv())));
    }
    let billing_fields = r.billing.is_some() || r.low_balance.is_some();
    if billing_fields && !user.role.can(Permission::ViewBilling) {
        return Err(AppError::forbidden(
            "change billing notices or the low-balance alert",
        ));
    }
    if let Some(list) = &r.billing {
        let set = Channels::parse(NoticeKind::Billing, list)?;
        needs_phone(&set)?;
        changes.push((Field::Billing, Value::Text(set.to_csv())));
    }
    if let Some(low) = &r.low_balance {
        if let Some(enabled) = low.enabled {
            changes.push((Field::LowBalanceEnabled, Value::Bool(enabled)));
        }
        if let Some(minor) = low.threshold_minor {
            changes.push((
                Field::LowBalanceThreshold,
                Value::Int(Threshold::parse(minor)?.minor()),
            ));
        }
        if let Some(list) = &low.channels {
            let set = Channels::parse(NoticeKind::LowBalance, list)?;
            needs_phone(&set)?;
            changes.push((Field::LowBalanceChannels, Value::Text(set.to_csv())));
        }
    }
    Ok(changes)
}
