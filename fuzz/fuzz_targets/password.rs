//! The password policy on any candidate and owner. The input is text: the candidate,
//! then (after a line feed each) the owner's email local part and name.
//! - The strength meter and the change never disagree: the meter's first reason is the
//!   code `Password::parse` refuses with, and `acceptable` is exactly "parse accepts".
//! - The reasons come in the order the change checks them, each once; the score is 0–4.
//! - An accepted password has 15–128 characters, scores 3 or more, is kept as typed, and
//!   its `Debug` shows nothing of it.
//! - The meter's answer survives its JSON round trip (what the UI receives).
#![no_main]

use account_model::password::{MAX_LEN, MIN_LEN, MIN_SCORE, strength};
use account_model::{Owner, Password, Refusal, Strength};
use libfuzzer_sys::fuzz_target;

/// The order `Password::parse` checks the rules in.
const ORDER: [Refusal; 5] = [
    Refusal::TooShort,
    Refusal::TooLong,
    Refusal::TooCommon,
    Refusal::ContainsPersonalInfo,
    Refusal::TooWeak,
];

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = input.splitn(3, '\n');
    let candidate = parts.next().unwrap_or_default();
    let owner = Owner {
        email_local_part: parts.next().unwrap_or_default(),
        name: parts.next().unwrap_or_default(),
    };

    let meter = strength(candidate, owner);
    let change = Password::parse(candidate, owner);
    assert_eq!(
        meter.reasons.first().map(|r| r.code()),
        change.as_ref().err().map(|e| e.code),
        "the meter and the change disagree"
    );
    assert_eq!(meter.acceptable, change.is_ok());
    assert!(meter.score <= 4, "score {}", meter.score);
    let positions: Vec<usize> = meter
        .reasons
        .iter()
        .map(|r| ORDER.iter().position(|o| o == r).expect("a known rule"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "reasons out of order or repeated: {:?}",
        meter.reasons
    );

    let json = serde_json::to_string(&meter).expect("serializes");
    let back: Strength = serde_json::from_str(&json).expect("its JSON deserializes");
    assert_eq!(back, meter, "serde round trip");

    if let Ok(password) = change {
        let len = candidate.chars().count();
        assert!(
            (MIN_LEN..=MAX_LEN).contains(&len),
            "accepted {len} characters"
        );
        assert!(
            meter.score >= MIN_SCORE,
            "accepted with score {}",
            meter.score
        );
        assert_eq!(password.expose(), candidate);
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
    }
});
