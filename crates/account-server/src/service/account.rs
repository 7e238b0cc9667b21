//! Reading the account, changing the password, and the preferences update with
//! field-level optimistic concurrency.
//!
//! Concurrency: every change bumps the account version, and each preference field
//! remembers the version it last changed at. An update names the version it was based
//! on; it is refused with `version_conflict` (409, the current account in `details`)
//! when any field it touches changed after that version, and then nothing is written.
//! Fields it does not touch never conflict, so an offline edit of the language is not
//! refused because the threshold was changed elsewhere meanwhile. The check and the
//! write happen with the user's row locked, so two instances cannot both pass it.

use account_model::dto::{
    AccountView, BalanceView, LowBalanceView, NotificationsView, OrganizationView,
    PendingChangeView, VersionConflictDetails,
};
use account_model::i18n::Message;
use account_model::{ErrorCode, Owner, Password, Permission, PreferencesUpdate, Strength};
use std::sync::Arc;

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};

use super::Services;
use super::auth::Caller;
use super::cache::CachedAccount;
use super::notify;
use crate::clock::from_millis;
use crate::error::{AppError, AppResult};
use crate::store::{PendingChange, PendingChanges, ReadTx, StoreError, StoredResponse, UserRecord};

/// What tells one version of the account view from another: its version and the
/// balance (what every change moves), and which pending changes it shows — a pending
/// change expiring changes the view without a write, so nothing moves the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountTag {
    pub version: i64,
    pub balance_minor: i64,
    /// Bit 0: a pending email change is shown; bit 1: a pending phone change.
    pub pending: u8,
}

impl AccountTag {
    pub fn of(view: &AccountView) -> Self {
        Self {
            version: view.version,
            balance_minor: view.balance.amount_minor,
            pending: Self::pending_bits(
                view.pending_email_change.is_some(),
                view.pending_phone_change.is_some(),
            ),
        }
    }

    /// The tag of the view `user` and `pending` give at `now` (what `account_view_of`
    /// would build, without building it).
    fn of_account(user: &UserRecord, pending: &PendingChanges, now: i64) -> Self {
        let live = |p: &Option<PendingChange>| p.as_ref().is_some_and(|p| p.expires_at > now);
        Self {
            version: user.version,
            balance_minor: user.balance_minor,
            pending: Self::pending_bits(live(&pending.email), live(&pending.phone)),
        }
    }

    fn pending_bits(email: bool, phone: bool) -> u8 {
        u8::from(email) | (u8::from(phone) << 1)
    }
}

/// `GET /v1/account`'s answer.
#[derive(Debug)]
pub enum AccountRead {
    /// The client's copy is current.
    Unchanged(AccountTag),
    View(Box<AccountView>),
}

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
    pub(crate) fn pending_view(&self, p: &PendingChange) -> PendingChangeView {
        PendingChangeView {
            target: p.target.clone(),
            expires_at: from_millis(p.expires_at),
            resend_available_at: from_millis(p.last_sent_at)
                + Duration::seconds(self.config.limits.resend_cooldown_secs),
        }
    }

    /// Builds the account view in `tx` (a read or a write transaction).
    pub async fn account_view_in(
        &self,
        tx: &mut dyn ReadTx,
        user: &UserRecord,
    ) -> AppResult<AccountView> {
        let pending = tx.pending_changes(user.id).await?;
        Ok(self.account_view_of(user, pending))
    }

    /// The account view of `user` with their `pending` changes.
    fn account_view_of(&self, user: &UserRecord, pending: PendingChanges) -> AccountView {
        let now = self.now_ms();
        let live = |p: Option<PendingChange>| p.filter(|p| p.expires_at > now);
        let (email, phone) = (live(pending.email), live(pending.phone));
        let billing = user.role.can(Permission::ViewBilling);
        AccountView {
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
        }
    }

    /// The account of the session behind `token`, unless the client's copy is one of
    /// `known` (or `any` copy will do): the session check and the account in one read
    /// transaction, the hottest path there is.
    pub async fn read_account(
        &self,
        token: &str,
        known: &[AccountTag],
        any: bool,
    ) -> AppResult<AccountRead> {
        let hash = crate::crypto::token_hash(token);
        let cutoff = self.idle_cutoff();
        let account = match self.cache.get(&hash, cutoff) {
            Some(account) => account,
            None => {
                let stamp = self.cache.stamp();
                let found = self
                    .store
                    .read()
                    .await?
                    .account_by_token(&hash, cutoff)
                    .await?;
                let (session, user, pending) = found.ok_or_else(AppError::unauthenticated)?;
                let account = Arc::new(CachedAccount {
                    session,
                    user,
                    pending,
                });
                self.cache.put(&hash, Arc::clone(&account), stamp);
                account
            }
        };
        self.touch_when_due(&account.session).await?;
        let tag = AccountTag::of_account(&account.user, &account.pending, self.now_ms());
        if any || known.contains(&tag) {
            return Ok(AccountRead::Unchanged(tag));
        }
        let view = self.account_view_of(&account.user, account.pending.clone());
        Ok(AccountRead::View(Box::new(view)))
    }

    pub async fn account_view(&self, user: &UserRecord) -> AppResult<AccountView> {
        let mut tx = self.store.read().await?;
        self.account_view_in(&mut *tx, user).await
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
        let now = self.now_ms();
        let mut tx = self.store.write().await?;
        tx.lock_user(user.id).await?;
        tx.set_password_hash(user.id, &hash, now).await?;
        tx.revoke_other_sessions(user.id, &caller.session_id, now)
            .await?;
        notify::email(&mut *tx, user, &Message::PasswordChanged, now).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Applies a partial preferences update; see the module doc for conflicts.
    /// With an idempotency key, a repeated request returns the first one's response.
    pub async fn update_preferences(
        &self,
        caller: &Caller,
        update: PreferencesUpdate,
        idempotency: Option<(String, Vec<u8>)>,
    ) -> AppResult<UpdateOutcome> {
        let user = &caller.user;
        let changes = update.changes();
        if changes.iter().any(|c| c.needs_billing_permission())
            && !user.role.can(Permission::ViewBilling)
        {
            return Err(AppError::forbidden(
                "change billing notices or the low-balance alert",
            ));
        }
        if changes.iter().any(|c| c.chooses_sms()) && user.phone.is_none() {
            return Err(AppError::new(
                ErrorCode::PhoneRequired,
                "add a phone number before choosing SMS",
            ));
        }
        let base = update.base_version();
        let alert = update.fields().any(|f| f.affects_low_balance_alert());
        let now = self.now_ms();
        let mut tx = self.store.write().await?;
        // The organization first (see the store's lock order): a threshold change
        // re-evaluates its alerts against its balance.
        if alert {
            tx.lock_organization(user.organization_id).await?;
        }
        tx.lock_user(user.id).await?;
        if let Some((key, hash)) = &idempotency
            && let Some(stored) = tx.stored_response(user.id, key).await?
        {
            if &stored.request_hash != hash {
                return Err(AppError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "this Idempotency-Key was used for a different request",
                ));
            }
            return Ok(UpdateOutcome::Replayed {
                status: stored.status,
                body: stored.body,
            });
        }
        let current = tx
            .user_by_id(user.id)
            .await?
            .ok_or_else(AppError::unauthenticated)?;
        if base > current.version {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                format!(
                    "baseVersion {base} is newer than the account (version {})",
                    current.version
                ),
            ));
        }
        let fields: Vec<_> = update.fields().collect();
        let conflicts = tx.changed_since(user.id, base, &fields).await?;
        if !conflicts.is_empty() {
            let view = self.account_view_in(&mut *tx, &current).await?;
            let names: Vec<&str> = conflicts.iter().map(|f| f.name()).collect();
            return Err(AppError::new(
                ErrorCode::VersionConflict,
                format!(
                    "changed elsewhere since version {base}: {}",
                    names.join(", ")
                ),
            )
            .with_details(
                serde_json::to_value(VersionConflictDetails {
                    fields: conflicts,
                    current: view,
                })
                .map_err(AppError::internal)?,
            ));
        }
        tx.apply_preferences(user.id, changes, now).await?;
        if alert {
            // A threshold raised above the balance is a crossing.
            super::balance::evaluate_low_balance(&mut *tx, current.organization_id, now).await?;
        }
        let updated = tx
            .user_by_id(user.id)
            .await?
            .ok_or_else(AppError::unauthenticated)?;
        let view = self.account_view_in(&mut *tx, &updated).await?;
        if let Some((key, hash)) = &idempotency {
            let body = serde_json::to_string(&view)
                .map_err(|e| AppError::from(StoreError::Corrupt(e.to_string())))?;
            let response = StoredResponse {
                request_hash: hash.clone(),
                status: 200,
                body,
            };
            tx.store_response(user.id, key, &response, now).await?;
        }
        self.commit(tx).await?;
        Ok(UpdateOutcome::Applied(Box::new(view)))
    }
}

pub fn owner(user: &UserRecord) -> Owner<'_> {
    Owner {
        email_local_part: user.email.local_part(),
        name: &user.name,
    }
}
