//! The durable queue of offline edits: the subtlest algorithm of the product.
//!
//! - An edit is applied to the cached `view` and written to `edit_queue` in one
//!   transaction: after a crash either both happened or neither did.
//! - Queue entries keep a per-field base version (the account version the write was
//!   made against). A request sends the fields of one entry that share the lowest base,
//!   with the entry's idempotency key. The key and the fields it covers change only in
//!   the transaction that records the server's answer, so a resend after a crash repeats
//!   the exact same request and the server replays its first answer instead of applying
//!   it twice.
//! - When the server acknowledges fields at version V, every later queued write of
//!   those same fields is re-based on V: they were made on top of the user's own
//!   acknowledged write, so that write must not count as a conflict for them. Fields the
//!   acknowledged request did not touch keep their base, so changes made elsewhere to
//!   them are still detected.
//! - A `version_conflict` drops exactly the fields the server lists (the server's value
//!   wins) and re-bases the others on the current version; a refusal drops the entry.
//! - Queued writes are stored in `Pref`'s serde form (`{field, value, base}`), the same
//!   since the first release, so edits queued by an older app are still read.

use std::collections::BTreeSet;

use account_client::IdempotencyKey;
use account_model::PrefField;
use account_model::dto::AccountView;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::{
    Cache, CacheError, CacheResult, CachedAccount, from_json, ms, read_account, recompute_view,
    store_server_view, to_json,
};
use crate::edit::Pref;

/// One queued field write and the account version it was made against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QueuedField {
    #[serde(flatten)]
    pub pref: Pref,
    pub base: i64,
}

/// A queue entry as the sender sees it: the next request to make.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub seq: i64,
    pub key: IdempotencyKey,
    pub base: i64,
    pub prefs: Vec<Pref>,
}

impl Outgoing {
    pub fn fields(&self) -> BTreeSet<PrefField> {
        self.prefs.iter().map(Pref::field).collect()
    }
}

impl Cache {
    /// Queues `prefs` against the cached server version and shows them in the view, in
    /// one transaction. Merges into the newest entry when no request with its key may
    /// have left yet (one request instead of many after a long offline spell).
    pub(crate) fn enqueue(
        &self,
        prefs: Vec<Pref>,
        now: DateTime<Utc>,
    ) -> CacheResult<CachedAccount> {
        self.write(|tx| {
            let base = read_account(tx)?.ok_or(CacheError::Empty)?.server_version;
            let last: Option<(i64, bool, String)> = tx
                .query_row(
                    "SELECT seq, sent, fields FROM edit_queue ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let incoming = prefs.into_iter().map(|pref| QueuedField { pref, base });
            match last {
                Some((seq, false, raw)) => {
                    let mut fields: Vec<QueuedField> = from_json(&raw)?;
                    for f in incoming {
                        match fields.iter_mut().find(|q| q.pref.field() == f.pref.field()) {
                            // The newer value wins; its base is the older of the two, so a
                            // change made elsewhere since the first write still conflicts.
                            Some(q) => q.pref = f.pref,
                            None => fields.push(f),
                        }
                    }
                    tx.execute(
                        "UPDATE edit_queue SET fields = ?1 WHERE seq = ?2",
                        params![to_json(&fields)?, seq],
                    )?;
                }
                _ => {
                    let fields: Vec<QueuedField> = incoming.collect();
                    tx.execute(
                        "INSERT INTO edit_queue (idempotency_key, fields, created_at) VALUES (?1, ?2, ?3)",
                        params![IdempotencyKey::generate().as_str(), to_json(&fields)?, ms(now)],
                    )?;
                }
            }
            recompute_view(tx)?;
            read_account(tx)?.ok_or(CacheError::Empty)
        })
    }

    /// The next request to send, marked as possibly sent (before it is), or `None` when
    /// the queue is empty.
    pub(crate) fn claim_next(&self) -> CacheResult<Option<Outgoing>> {
        self.write(|tx| {
            let Some((seq, key, raw)) = head(tx)? else {
                return Ok(None);
            };
            let fields: Vec<QueuedField> = from_json(&raw)?;
            let Some(base) = fields.iter().map(|f| f.base).min() else {
                tx.execute("DELETE FROM edit_queue WHERE seq = ?1", params![seq])?;
                return Ok(None);
            };
            let key = IdempotencyKey::parse(&key).ok_or_else(|| {
                CacheError::Corrupt(format!("bad idempotency key in entry {seq}"))
            })?;
            tx.execute(
                "UPDATE edit_queue SET sent = 1 WHERE seq = ?1",
                params![seq],
            )?;
            Ok(Some(Outgoing {
                seq,
                key,
                base,
                prefs: fields
                    .into_iter()
                    .filter(|f| f.base == base)
                    .map(|f| f.pref)
                    .collect(),
            }))
        })
    }

    /// The server applied `sent` (or replayed its first answer): drop those fields,
    /// re-base later writes of the same fields on the new version, store the account.
    pub(crate) fn acknowledged(
        &self,
        sent: &Outgoing,
        account: &AccountView,
        now: DateTime<Utc>,
    ) -> CacheResult<CachedAccount> {
        self.write(|tx| {
            let fields = sent.fields();
            settle(tx, sent, &fields, |f| {
                fields.contains(&f.pref.field()).then_some(account.version)
            })?;
            store_server_view(tx, account, None, now)?;
            read_account(tx)?.ok_or(CacheError::Empty)
        })
    }

    /// The server refused `sent` with a version conflict on `conflicting`: those writes
    /// are dropped (the server's value stands); the rest of the request is re-based on
    /// `current` and will be sent again.
    pub(crate) fn conflicted(
        &self,
        sent: &Outgoing,
        conflicting: &BTreeSet<PrefField>,
        current: &AccountView,
        now: DateTime<Utc>,
    ) -> CacheResult<CachedAccount> {
        self.write(|tx| {
            let dropped: BTreeSet<PrefField> = sent
                .fields()
                .into_iter()
                .filter(|f| conflicting.contains(f))
                .collect();
            // Fields the server did not list are unchanged since the request's base, so
            // they (and later writes of them) are re-based; the listed ones are not.
            let resent: BTreeSet<PrefField> = sent.fields().difference(&dropped).copied().collect();
            settle(tx, sent, &dropped, |f| {
                resent.contains(&f.pref.field()).then_some(current.version)
            })?;
            store_server_view(tx, current, None, now)?;
            read_account(tx)?.ok_or(CacheError::Empty)
        })
    }

    /// The server refused `sent` for good (a value it does not accept): drop it.
    pub(crate) fn rejected(&self, sent: &Outgoing) -> CacheResult<CachedAccount> {
        self.write(|tx| {
            settle(tx, sent, &sent.fields(), |_| None)?;
            recompute_view(tx)?;
            read_account(tx)?.ok_or(CacheError::Empty)
        })
    }

    pub(crate) fn pending_edits(&self) -> CacheResult<usize> {
        self.with(|c| count_queue(c))
    }
}

/// Records the answer to `sent`: removes the sent writes named in `remove` from its
/// entry; moves the base of the entry's remaining sent writes, and of later entries'
/// writes of the sent fields, to the version `rebase` gives (none: unchanged); and gives
/// the entry a fresh key, since the next request made from it has another body.
fn settle(
    tx: &Transaction<'_>,
    sent: &Outgoing,
    remove: &BTreeSet<PrefField>,
    rebase: impl Fn(&QueuedField) -> Option<i64>,
) -> CacheResult<()> {
    let sent_fields = sent.fields();
    let mut stmt = tx.prepare("SELECT seq, fields FROM edit_queue WHERE seq >= ?1 ORDER BY seq")?;
    let rows: Vec<(i64, String)> = stmt
        .query_map(params![sent.seq], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    drop(stmt);
    for (seq, raw) in rows {
        let fields: Vec<QueuedField> = from_json(&raw)?;
        let updated: Vec<QueuedField> = if seq == sent.seq {
            fields
                .into_iter()
                .filter_map(|mut f| {
                    let was_sent = f.base == sent.base && sent_fields.contains(&f.pref.field());
                    if !was_sent {
                        return Some(f);
                    }
                    if remove.contains(&f.pref.field()) {
                        return None;
                    }
                    if let Some(v) = rebase(&f) {
                        f.base = v;
                    }
                    Some(f)
                })
                .collect()
        } else {
            fields
                .into_iter()
                .map(|mut f| {
                    if sent_fields.contains(&f.pref.field())
                        && let Some(v) = rebase(&f)
                    {
                        f.base = f.base.max(v);
                    }
                    f
                })
                .collect()
        };
        if updated.is_empty() {
            tx.execute("DELETE FROM edit_queue WHERE seq = ?1", params![seq])?;
        } else if seq == sent.seq {
            tx.execute(
                "UPDATE edit_queue SET fields = ?1, idempotency_key = ?2, sent = 0 WHERE seq = ?3",
                params![to_json(&updated)?, IdempotencyKey::generate().as_str(), seq],
            )?;
        } else {
            tx.execute(
                "UPDATE edit_queue SET fields = ?1 WHERE seq = ?2",
                params![to_json(&updated)?, seq],
            )?;
        }
    }
    Ok(())
}

fn head(c: &Connection) -> CacheResult<Option<(i64, String, String)>> {
    Ok(c.query_row(
        "SELECT seq, idempotency_key, fields FROM edit_queue ORDER BY seq LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?)
}

pub(super) fn count_queue(c: &Connection) -> CacheResult<usize> {
    let n: i64 = c.query_row("SELECT count(*) FROM edit_queue", [], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

pub(super) fn queued_fields(c: &Connection) -> CacheResult<BTreeSet<PrefField>> {
    let mut stmt = c.prepare(
        "SELECT DISTINCT json_extract(f.value, '$.field') \
         FROM edit_queue AS q, json_each(q.fields) AS f",
    )?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get::<_, Option<String>>(0))?
        .filter_map(|f| f.transpose())
        .collect::<Result<_, _>>()?;
    // Each queued write was read back through `Pref` when it was stored, so its name is
    // a field's; one that is not would be a damaged file.
    names
        .iter()
        .map(|name| {
            PrefField::from_name(name).ok_or_else(|| {
                CacheError::Corrupt(format!("a queued write of an unknown field {name}"))
            })
        })
        .collect()
}
