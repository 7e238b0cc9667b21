//! Writing messages to the outbox, in the recipient's language.

use account_model::Language;
use account_model::i18n::Message;
use rusqlite::Connection;

use crate::store::StoreResult;
use crate::store::outbox::{self, NewMessage, OutChannel};

/// Renders `message` in `language` and queues it for `recipient` on `channel`.
pub fn enqueue(
    conn: &Connection,
    user_id: i64,
    channel: OutChannel,
    recipient: &str,
    language: Language,
    message: &Message,
    now: i64,
) -> StoreResult<i64> {
    let rendered = message.render(language);
    outbox::enqueue(
        conn,
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
}
