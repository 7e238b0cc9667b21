//! The desktop's stored offline edits (`edit_queue.fields` in the SQLite cache), read
//! from any text as every step of the queue reads them.
//! - What decodes encodes to a form that decodes to the same writes and bases (what the
//!   queue writes back after merging or settling is what it read).
//! - Every write holds a value the product allows, so the request the sender makes of
//!   the writes sharing the lowest base (the last write of a field wins, as in an edit)
//!   is accepted by the server's parser (`PreferencesUpdate::try_from`) and parses to
//!   exactly those writes.
#![no_main]

use std::collections::BTreeMap;

use account_model::PreferencesUpdate;
use desktop_core::cache::fuzzing::{decode_fields, encode_fields, request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(fields) = decode_fields(raw) else {
        return;
    };
    let stored = encode_fields(&fields).expect("decoded writes encode");
    let again = decode_fields(&stored)
        .unwrap_or_else(|e| panic!("the queue's own form {stored} does not decode: {e}"));
    assert_eq!(again, fields, "stored as {stored}");

    let Some(base) = fields.iter().map(|(_, base)| *base).min() else {
        return;
    };
    if base < 1 {
        // No version the server sends is below 1: it refuses such a request and the
        // queue drops the entry, so there is no parse to compare.
        return;
    }
    let sent: BTreeMap<_, _> = fields
        .iter()
        .filter(|(_, b)| *b == base)
        .map(|(pref, _)| (pref.field(), pref.clone()))
        .collect();
    let r = request(base, sent.values());
    let update = PreferencesUpdate::try_from(&r)
        .unwrap_or_else(|e| panic!("the server refuses the queued {r:?}: {e}"));
    assert_eq!(update.base_version(), base);
    assert_eq!(
        update.changes(),
        sent.into_values().collect::<Vec<_>>(),
        "the server parses {r:?} to other changes"
    );
});
