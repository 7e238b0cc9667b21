//! Balances, low-balance alerts and routing of platform events to users.
//!
//! Low-balance alerts fire once per downward crossing of each user's threshold: a user
//! with billing permission and the alert on is "armed"; when the balance is below the
//! threshold and the user is armed, the alert goes out on each chosen channel and the
//! user is disarmed; the alert re-arms when the balance is back at or above the
//! threshold. The state lives in the database and every evaluation runs inside the same
//! write transaction as the change that prompted it (an adjustment, a threshold or
//! role change, a `low_balance` event), and SQLite serializes writers: two concurrent
//! charges or two copies of an event can never both find the user armed.
//!
//! Routing: contact-import updates go to every member on their contact-import channels;
//! payments and invoices only to users with billing permission, on their billing
//! channels. SMS needs a phone number; a user without one gets only the other channels.
//! Security notices (password, email, phone, role) are sent elsewhere and always go out.

use account_model::dto::{BalanceAdjustmentView, EmitResultView, PlatformEvent, StreamEvent};
use account_model::i18n::Message;
use account_model::{Channel, Channels, Currency, ErrorCode, Permission};
use rusqlite::Connection;

use super::Services;
use super::notify;
use crate::clock::from_millis;
use crate::error::{AppError, AppResult};
use crate::store::events::{self, NewEvent};
use crate::store::outbox::OutChannel;
use crate::store::users::{self, UserRecord};
use crate::store::{StoreError, StoreResult, alerts, balance};

/// What one routing pass wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Routed {
    pub messages: u64,
    pub alerts: u64,
}

fn currency_of(org: &balance::Organization) -> StoreResult<Currency> {
    Currency::parse(&org.currency)
        .map_err(|e| StoreError::Corrupt(format!("organizations.currency: {e}")))
}

/// Queues `message` to `user` on each of `channels` they can receive. Returns how many.
fn send_on(
    conn: &Connection,
    user: &UserRecord,
    channels: &Channels,
    message: &Message,
    now: i64,
) -> StoreResult<u64> {
    let mut sent = 0;
    for channel in channels.iter() {
        let (out, to) = match channel {
            Channel::Email => (OutChannel::Email, user.email.as_str()),
            Channel::Sms => match &user.phone {
                Some(phone) => (OutChannel::Sms, phone.as_str()),
                None => continue,
            },
            Channel::Desktop => continue,
        };
        notify::enqueue(conn, user.id, out, to, user.language, message, now)?;
        sent += 1;
    }
    Ok(sent)
}

/// Fires, keeps or re-arms each user's low-balance alert for the organization's current
/// balance. Must run inside the write transaction that changed what it depends on.
pub fn evaluate_low_balance(
    conn: &Connection,
    organization_id: i64,
    now: i64,
) -> StoreResult<Routed> {
    let Some(org) = balance::organization(conn, organization_id)? else {
        return Ok(Routed::default());
    };
    let currency = currency_of(&org)?;
    let mut routed = Routed::default();
    for user in users::members(conn, organization_id)? {
        if !(user.low_balance_enabled && user.role.can(Permission::ViewBilling)) {
            alerts::clear(conn, user.id)?;
            continue;
        }
        let threshold = user.low_balance_threshold.minor();
        let below = org.balance_minor < threshold;
        let armed = alerts::armed(conn, user.id)?;
        if below && armed {
            let message = Message::LowBalance {
                balance_minor: org.balance_minor,
                threshold_minor: threshold,
                currency,
            };
            routed.messages += send_on(conn, &user, &user.low_balance_channels, &message, now)?;
            if user.low_balance_channels.contains(Channel::Desktop) {
                events::insert(
                    conn,
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
                )?;
            }
            alerts::set_armed(conn, user.id, false, now)?;
            routed.alerts += 1;
        } else if !below && !armed {
            alerts::set_armed(conn, user.id, true, now)?;
        }
    }
    Ok(routed)
}

fn route(conn: &Connection, event: &PlatformEvent, now: i64) -> StoreResult<Routed> {
    let organization_id = event.organization_id();
    if let PlatformEvent::LowBalance { .. } = event {
        return evaluate_low_balance(conn, organization_id, now);
    }
    let Some(org) = balance::organization(conn, organization_id)? else {
        return Ok(Routed::default());
    };
    let currency = currency_of(&org)?;
    let mut routed = Routed::default();
    for user in users::members(conn, organization_id)? {
        let at = from_millis(now).with_timezone(&user.time_zone.tz());
        let (channels, message) = match event {
            PlatformEvent::ContactImportFinished {
                list_name,
                imported,
                rejected,
                ..
            } => (
                &user.contact_imports,
                Message::ContactImportFinished {
                    list: list_name.clone(),
                    imported: *imported,
                    rejected: *rejected,
                    finished_at: at,
                },
            ),
            _ if !user.role.can(Permission::ViewBilling) => continue,
            PlatformEvent::PaymentReceived { amount_minor, .. } => (
                &user.billing,
                Message::PaymentReceived {
                    amount_minor: *amount_minor,
                    currency,
                    at,
                },
            ),
            PlatformEvent::InvoiceIssued {
                invoice_number,
                amount_minor,
                due_date,
                ..
            } => (
                &user.billing,
                Message::InvoiceIssued {
                    number: invoice_number.clone(),
                    amount_minor: *amount_minor,
                    currency,
                    due: *due_date,
                },
            ),
            PlatformEvent::LowBalance { .. } => continue,
        };
        routed.messages += send_on(conn, &user, channels, &message, now)?;
    }
    Ok(routed)
}

fn check_event(event: &PlatformEvent) -> AppResult<()> {
    let bad = |why: &str| Err(AppError::new(ErrorCode::InvalidRequest, why.to_owned()));
    match event {
        PlatformEvent::ContactImportFinished {
            list_name,
            imported,
            rejected,
            ..
        } => {
            if list_name.trim().is_empty() || list_name.chars().count() > 200 {
                return bad("listName must be 1 to 200 characters");
            }
            if *imported < 0 || *rejected < 0 {
                return bad("imported and rejected cannot be negative");
            }
        }
        PlatformEvent::PaymentReceived { amount_minor, .. } if *amount_minor <= 0 => {
            return bad("a payment's amountMinor must be positive");
        }
        PlatformEvent::InvoiceIssued {
            invoice_number,
            amount_minor,
            ..
        } => {
            if invoice_number.trim().is_empty() || invoice_number.chars().count() > 64 {
                return bad("invoiceNumber must be 1 to 64 characters");
            }
            if *amount_minor <= 0 {
                return bad("an invoice's amountMinor must be positive");
            }
        }
        _ => {}
    }
    Ok(())
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
        let key = key.trim().to_owned();
        if key.is_empty() || key.chars().count() > 100 {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "idempotencyKey must be 1 to 100 characters",
            ));
        }
        if amount_minor == 0 || amount_minor.unsigned_abs() > 1_000_000_000_000 {
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
        let view = self
            .db
            .write(move |tx| -> StoreResult<AppResult<BalanceAdjustmentView>> {
                let Some(org) = balance::organization(tx, organization_id)? else {
                    return Ok(Err(AppError::new(
                        ErrorCode::NotFound,
                        format!("there is no organization {organization_id}"),
                    )));
                };
                let currency = currency_of(&org)?;
                let (adjustment, applied) = match balance::by_key(tx, organization_id, &key)? {
                    Some(existing)
                        if existing.amount_minor != amount_minor
                            || existing.description != description =>
                    {
                        return Ok(Err(AppError::new(
                            ErrorCode::IdempotencyKeyReused,
                            format!("idempotencyKey \"{key}\" was used for a different adjustment"),
                        )));
                    }
                    Some(existing) => (existing, false),
                    None => {
                        let adjustment = balance::apply(
                            tx,
                            organization_id,
                            &key,
                            amount_minor,
                            &description,
                            now,
                        )?;
                        events::insert(
                            tx,
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
                        )?;
                        evaluate_low_balance(tx, organization_id, now)?;
                        (adjustment, true)
                    }
                };
                Ok(Ok(BalanceAdjustmentView {
                    id: adjustment.id,
                    organization_id,
                    amount_minor: adjustment.amount_minor,
                    balance_after_minor: adjustment.balance_after,
                    currency,
                    applied,
                    created_at: from_millis(adjustment.created_at),
                }))
            })
            .await??;
        self.wake();
        Ok(view)
    }

    /// Routes a platform event to the users who want it.
    pub async fn emit(&self, event: PlatformEvent) -> AppResult<EmitResultView> {
        check_event(&event)?;
        let now = self.now_ms();
        let organization_id = event.organization_id();
        let routed = self
            .db
            .write(move |tx| -> StoreResult<AppResult<Routed>> {
                if balance::organization(tx, organization_id)?.is_none() {
                    return Ok(Err(AppError::new(
                        ErrorCode::NotFound,
                        format!("there is no organization {organization_id}"),
                    )));
                }
                Ok(Ok(route(tx, &event, now)?))
            })
            .await??;
        self.wake();
        Ok(EmitResultView {
            messages_queued: routed.messages,
            alerts_fired: routed.alerts,
        })
    }

    /// Looks an organization up by id or exact name (for the CLI).
    pub async fn find_organization(&self, id_or_name: &str) -> AppResult<i64> {
        let needle = id_or_name.to_owned();
        let found = self
            .db
            .call(move |c| match needle.parse::<i64>() {
                Ok(id) => Ok(balance::organization(c, id)?.map(|o| o.id)),
                Err(_) => crate::store::orgs::by_name(c, &needle),
            })
            .await?;
        found.ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                format!("there is no organization \"{id_or_name}\""),
            )
        })
    }
}
