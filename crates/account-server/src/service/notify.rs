//! Writing messages to the outbox, in the recipient's language.

use account_model::Language;
use account_model::i18n::Message;

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
