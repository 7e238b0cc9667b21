//! Who is told what, and writing it to the outbox in the recipient's language.
//!
//! Routing of platform events: contact-import updates go to every member on their
//! contact-import channels; payments and invoices only to users with billing
//! permission, on their billing channels; a `low_balance` event re-evaluates the
//! alerts (`balance::evaluate_low_balance`). SMS needs a phone number; a user without
//! one gets only the other channels. Security notices (password, email, phone, role)
//! go out through [`email`] whatever the user's choices.

use account_model::dto::{EmitResultView, PlatformEvent};
use account_model::i18n::Message;
use account_model::{Channel, Channels, ErrorCode, Language, Permission};

use super::Services;
use super::balance::evaluate_low_balance;
use crate::clock::from_millis;
use crate::error::{AppError, AppResult};
use crate::store::{NewMessage, OutChannel, StoreResult, UserRecord, WriteTx};

/// Renders `message` in `language` and queues it for `recipient` on `channel`, in the
/// transaction of the change it tells of.
pub async fn enqueue(
    tx: &mut dyn WriteTx,
    user_id: i64,
    channel: OutChannel,
    recipient: &str,
    language: Language,
    message: &Message,
    now: i64,
) -> StoreResult<i64> {
    let rendered = message.render(language);
    tx.enqueue(
        &NewMessage {
            user_id: Some(user_id),
            channel,
            recipient,
            language: language.as_str(),
            kind: message.kind(),
            subject: &rendered.subject,
            body: &rendered.body,
        },
        now,
    )
    .await
}

/// Queues `message` to `user`'s email address, in their language (security notices:
/// they always go out, whatever the user's notification choices).
pub async fn email(
    tx: &mut dyn WriteTx,
    user: &UserRecord,
    message: &Message,
    now: i64,
) -> StoreResult<i64> {
    enqueue(
        tx,
        user.id,
        OutChannel::Email,
        user.email.as_str(),
        user.language,
        message,
        now,
    )
    .await
}

/// What one routing pass wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Routed {
    pub messages: u64,
    pub alerts: u64,
}

/// Queues `message` to `user` on each of `channels` they can receive. Returns how many.
pub(super) async fn send_on(
    tx: &mut dyn WriteTx,
    user: &UserRecord,
    channels: &Channels,
    message: &Message,
    now: i64,
) -> StoreResult<u64> {
    let mut sent = 0;
    for channel in channels.iter() {
        let to = match channel {
            Channel::Email => user.email.as_str(),
            Channel::Sms => match &user.phone {
                Some(phone) => phone.as_str(),
                None => continue,
            },
            Channel::Desktop => continue,
        };
        let Some(out) = OutChannel::of(channel) else {
            continue;
        };
        enqueue(tx, user.id, out, to, user.language, message, now).await?;
        sent += 1;
    }
    Ok(sent)
}

async fn route(tx: &mut dyn WriteTx, event: &PlatformEvent, now: i64) -> StoreResult<Routed> {
    let organization_id = event.organization_id();
    if let PlatformEvent::LowBalance { .. } = event {
        return evaluate_low_balance(tx, organization_id, now).await;
    }
    let Some(org) = tx.organization(organization_id).await? else {
        return Ok(Routed::default());
    };
    let currency = org.currency;
    let mut routed = Routed::default();
    for user in tx.members(organization_id).await? {
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
        routed.messages += send_on(tx, &user, channels, &message, now).await?;
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
            // Lengths are of the text as sent, as the OpenAPI document states them.
            if list_name.trim().is_empty() || list_name.chars().count() > 200 {
                return bad("listName must be 1 to 200 characters, not all white space");
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
                return bad("invoiceNumber must be 1 to 64 characters, not all white space");
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
    /// Routes a platform event to the users who want it.
    pub async fn emit(&self, event: PlatformEvent) -> AppResult<EmitResultView> {
        check_event(&event)?;
        let now = self.now_ms();
        let organization_id = event.organization_id();
        let mut tx = self.store.write().await?;
        if tx.lock_organization(organization_id).await?.is_none() {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!("there is no organization {organization_id}"),
            ));
        }
        let routed = route(&mut *tx, &event, now).await?;
        self.commit(tx).await?;
        Ok(EmitResultView {
            messages_queued: routed.messages,
            alerts_fired: routed.alerts,
        })
    }
}
