//! Every request body of the HTTP API (`account_model::dto`), read from any bytes the
//! way the server's `AppJson` reads it: only a JSON object gets past it, parsed to a
//! `serde_json::Value` and the type read from that (so a repeated key is the last one,
//! as there). Its number rewrite (`1.0` read as `1`) is the server's and not applied
//! here: those bodies are refused instead, a subset. Each input is tried as every type.
//! - A body that deserializes serializes to JSON that deserializes again to a request
//!   with the same JSON (nothing lost or invented on the way).
//! - `Debug` of a request carrying a password shows nothing of it: it prints the same
//!   whatever the password.
//! - Then the conversion the server applies where it lives in a library: the
//!   preferences update (`PreferencesUpdate::try_from`), the detected region, the new
//!   email and phone, the role and the password policy. A preferences update that
//!   parses has its base version, each field at most once in page order, and changes
//!   that keep their queue form; the request the desktop would send for those same
//!   changes parses back to them.
#![no_main]

use std::any::type_name;

use account_model::dto::{
    BalanceAdjustmentRequest, ChangePasswordRequest, ChangeRoleRequest, ConfirmCodeRequest,
    EmailChangeRequest, PasswordStrengthRequest, PhoneChangeRequest, PlatformEvent, RegionDefaults,
    SignInRequest, UpdatePreferencesRequest,
};
use account_model::password::strength;
use account_model::{
    Email, ErrorCode, Owner, Password, PhoneNumber, PrefChange, PreferencesUpdate, Role,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// `body` as the server reads a `T`; when it is one, its JSON must read back the same.
fn read<T: DeserializeOwned + Serialize>(body: &Value) -> Option<T> {
    let request = T::deserialize(body).ok()?;
    let json = serde_json::to_value(&request).expect("a request serializes");
    let back: T = serde_json::from_value(json.clone()).unwrap_or_else(|e| {
        panic!(
            "{} does not read its own JSON {json}: {e}",
            type_name::<T>()
        )
    });
    let again = serde_json::to_value(&back).expect("a request serializes");
    assert_eq!(
        again,
        json,
        "{} changed in its round trip",
        type_name::<T>()
    );
    Some(request)
}

/// `Debug` of `request` does not depend on the secret `blank` clears.
fn redacted<T: Clone + std::fmt::Debug>(request: &T, blank: impl Fn(&mut T)) {
    let mut other = request.clone();
    blank(&mut other);
    assert_eq!(
        format!("{request:?}"),
        format!("{other:?}"),
        "{} shows its secret in Debug",
        type_name::<T>()
    );
}

fn region(detected: &RegionDefaults) {
    if let Ok(changes) = detected.changes() {
        let present = [&detected.language, &detected.country, &detected.time_zone]
            .iter()
            .filter(|v| v.is_some())
            .count();
        assert_eq!(changes.len(), present);
        assert!(changes.iter().all(|c| c.field().is_region()));
    }
}

fn preferences(request: &UpdatePreferencesRequest) {
    let update = match PreferencesUpdate::try_from(request) {
        Ok(update) => update,
        Err(e) => {
            assert!(
                matches!(
                    e.code,
                    ErrorCode::InvalidRequest
                        | ErrorCode::InvalidLanguage
                        | ErrorCode::InvalidCountry
                        | ErrorCode::InvalidTimeZone
                        | ErrorCode::InvalidChannel
                        | ErrorCode::InvalidThreshold
                ),
                "refused with {:?}",
                e.code
            );
            return;
        }
    };
    assert!(update.base_version() >= 1);
    assert_eq!(update.base_version(), request.base_version);
    let fields: Vec<_> = update.fields().collect();
    assert!(!fields.is_empty());
    assert!(
        fields.windows(2).all(|w| w[0] < w[1]),
        "fields not in page order or repeated: {fields:?}"
    );
    for change in update.changes() {
        let stored = serde_json::to_string(change).expect("a change serializes");
        let back: PrefChange = serde_json::from_str(&stored)
            .unwrap_or_else(|e| panic!("the queue form {stored} does not read back: {e}"));
        assert_eq!(&back, change, "queue form round trip");
    }
    let resent = desktop_core::cache::fuzzing::request(update.base_version(), update.changes());
    let reparsed = PreferencesUpdate::try_from(&resent)
        .unwrap_or_else(|e| panic!("the desktop's request {resent:?} is refused: {e}"));
    assert_eq!(
        reparsed, update,
        "the desktop's request parses to other changes"
    );
}

fn password(candidate: &str) {
    let meter = strength(candidate, Owner::default());
    let change = Password::parse(candidate, Owner::default());
    assert_eq!(meter.acceptable, change.is_ok());
}

fuzz_target!(|data: &[u8]| {
    if data.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return;
    }
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let body = &body;
    if let Some(r) = read::<SignInRequest>(body) {
        redacted(&r, |r| r.password.clear());
        let _ = Email::parse(&r.email);
        if let Some(detected) = &r.detected {
            region(detected);
        }
    }
    if let Some(r) = read::<ChangePasswordRequest>(body) {
        redacted(&r, |r| {
            r.current_password.clear();
            r.new_password.clear();
            r.repeat_password.clear();
        });
        password(&r.new_password);
    }
    if let Some(r) = read::<PasswordStrengthRequest>(body) {
        redacted(&r, |r| r.password.clear());
        password(&r.password);
    }
    if let Some(r) = read::<EmailChangeRequest>(body) {
        redacted(&r, |r| r.password.clear());
        let _ = Email::parse(&r.new_email);
    }
    if let Some(r) = read::<PhoneChangeRequest>(body) {
        redacted(&r, |r| r.password.clear());
        let _ = PhoneNumber::parse(&r.phone);
    }
    let _ = read::<ConfirmCodeRequest>(body);
    if let Some(r) = read::<UpdatePreferencesRequest>(body) {
        preferences(&r);
    }
    if let Some(r) = read::<ChangeRoleRequest>(body)
        && let Ok(role) = Role::parse(&r.role)
    {
        assert_eq!(role.as_str(), r.role.trim());
        assert_eq!(Role::parse(role.as_str()), Ok(role));
    }
    let _ = read::<BalanceAdjustmentRequest>(body);
    let _ = read::<PlatformEvent>(body);
});
