//! The offline queue's stored form, opened to the fuzz targets (`fuzz/`): an
//! `edit_queue.fields` value is read back by every step of the queue (merge, claim,
//! settle, the view's recomputation), from a file that may be damaged or written by an
//! older app, so it is outside input. These are the queue's own codec and request
//! builder, not copies; behind the `fuzzing` feature and hidden, they are not an API.

use account_model::dto::UpdatePreferencesRequest;

use super::queue::QueuedField;
use super::{CacheResult, from_json, to_json};
use crate::edit::Pref;

/// Decodes a stored `fields` value as the queue does: each write and its base version.
pub fn decode_fields(raw: &str) -> CacheResult<Vec<(Pref, i64)>> {
    let fields: Vec<QueuedField> = from_json(raw)?;
    Ok(fields.into_iter().map(|f| (f.pref, f.base)).collect())
}

/// Encodes writes as the queue stores them.
pub fn encode_fields(fields: &[(Pref, i64)]) -> CacheResult<String> {
    let fields: Vec<QueuedField> = fields
        .iter()
        .map(|(pref, base)| QueuedField {
            pref: pref.clone(),
            base: *base,
        })
        .collect();
    to_json(&fields)
}

/// The request the sender makes of queued writes sharing `base_version`.
pub fn request<'a>(
    base_version: i64,
    prefs: impl IntoIterator<Item = &'a Pref>,
) -> UpdatePreferencesRequest {
    crate::edit::request(base_version, prefs)
}
