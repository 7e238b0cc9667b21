//! Balances and low-balance alerts (the routing of platform events is in `notify`).
//!
//! Low-balance alerts fire once per downward crossing of each user's threshold: a user
//! with billing permission and the alert on is "armed"; when the balance is below the
//! threshold and the user is armed, the alert goes out on each chosen channel and the
//! user is disarmed; the alert re-arms when the balance is back at or above the
//! threshold. The state lives in the database and every evaluation runs inside the same
//! write transaction as the change that prompted it (an adjustment, a threshold or
//! role change, a `low_balance` event), with the organization's row locked
//! ([`WriteTx::lock_organization`]): two concurrent charges or two copies of an event,
//! through one instance or several, can never both find the user armed.

use account_model::dto::{BalanceAdjustmentView, StreamEvent};
use account_model::i18n::Message;
use account_model::{Channel, ErrorCode, MAX_ADJUSTMENT_MINOR, Permission};

use super::Services;
use super::notify::{Routed, send_on};
use crate::clock::from_millis;
use crate::error::{AppError, AppResult};
use crate::store::{NewEvent, StoreResult, WriteTx};

/// Fires, keeps or re-arms each user's low-balance alert for the organization's current
/// balance. Must run inside the write transaction that changed what it depends on, with
/// the organization locked.
pub async fn evaluate_low_balance(
    tx: &mut dyn WriteTx,
    organization_id: i64,
    now: i64,
) -> StoreResult<Routed> {
    let Some(org) = tx.organization(organization_id).await? else {
        return Ok(Routed::default());
    };
    let currency = org.currency;
    let mut routed = Routed::default();
    for user in tx.members(organization_id).await? {
        if !(user.low_balance_enabled && user.role.can(Permission::ViewBilling)) {
            tx.clear_alert(user.id).await?;
            continue;
        }
        let threshold = user.low_balance_threshold.minor();
        let below = org.balance_minor < threshold;
        let armed = tx.alert_armed(user.id).await?;
        if below && armed {
            let message = Message::LowBalance {
                balance_minor: org.balance_minor,
                threshold_minor: threshold,
                currency,
            };
            routed.messages +=
                send_on(tx, &user, &user.low_balance_channels, &message, now).await?;
            if user.low_balance_channels.contains(Channel::Desktop) {
                tx.insert_event(
                    &NewEvent {
                        organization_id,
                        user_id: Some(user.id),
                        session_id: None,
                        event: &StreamEvent::LowBalanceAlert {
                            balance_minor: org.balance_minor,
                            threshold_minor: threshold,
                            currency,
                        },
                    },
                    now,
                )
                .await?;
            }
            tx.set_alert_armed(user.id, false, now).await?;
            routed.alerts += 1;
        } else if !below && !armed {
            tx.set_alert_armed(user.id, true, now).await?;
        }
    }
    Ok(routed)
}

impl Services {
    /// Applies a top-up or charge once per idempotency key, then re-evaluates alerts.
    pub async fn adjust_balance(
        &self,
        organization_id: i64,
        amount_minor: i64,
        key: &str,
        description: Option<String>,
    ) -> AppResult<BalanceAdjustmentView> {
        // Lengths are of the text as sent, as the OpenAPI document states them; the key is
        // kept as sent too (an opaque token: " a" and "a" are two keys).
        if key.trim().is_empty() || key.chars().count() > 100 {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "idempotencyKey must be 1 to 100 characters, not all white space",
            ));
        }
        let key = key.to_owned();
        if amount_minor == 0 || amount_minor.unsigned_abs() > MAX_ADJUSTMENT_MINOR.unsigned_abs() {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "amountMinor must be non-zero and at most 10^12 in size",
            ));
        }
        let description = description.unwrap_or_default();
        if description.chars().count() > 200 {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "description must be at most 200 characters",
            ));
        }
        let now = self.now_ms();
        let mut tx = self.store.write().await?;
        let Some(org) = tx.lock_organization(organization_id).await? else {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!("there is no organization {organization_id}"),
            ));
        };
        let currency = org.currency;
        let (adjustment, applied) = match tx.adjustment_by_key(organization_id, &key).await? {
            Some(existing)
                if existing.amount_minor != amount_minor || existing.description != description =>
            {
                return Err(AppError::new(
                    ErrorCode::IdempotencyKeyReused,
                    format!("idempotencyKey \"{key}\" was used for a different adjustment"),
                ));
            }
            Some(existing) => (existing, false),
            None => {
                let adjustment = tx
                    .apply_adjustment(organization_id, &key, amount_minor, &description, now)
                    .await?;
                tx.insert_event(
                    &NewEvent {
                        organization_id,
                        user_id: None,
                        session_id: None,
                        event: &StreamEvent::BalanceChanged {
                            amount_minor: adjustment.balance_after,
                            currency,
                        },
                    },
                    now,
                )
                .await?;
                evaluate_low_balance(&mut *tx, organization_id, now).await?;
                (adjustment, true)
            }
        };
        self.commit(tx).await?;
        Ok(BalanceAdjustmentView {
            id: adjustment.id,
            organization_id,
            amount_minor: adjustment.amount_minor,
            balance_after_minor: adjustment.balance_after,
            currency,
            applied,
            created_at: from_millis(adjustment.created_at),
        })
    }

    /// Looks an organization up by id or exact name (for the CLI).
    pub async fn find_organization(&self, id_or_name: &str) -> AppResult<i64> {
        let mut tx = self.store.read().await?;
        let found = match id_or_name.parse::<i64>() {
            Ok(id) => tx.organization(id).await?.map(|o| o.id),
            Err(_) => tx.organization_by_name(id_or_name).await?,
        };
        found.ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                format!("there is no organization \"{id_or_name}\""),
            )
        })
    }
}
