//! The phone parsers on any text: `precheck_phone` (all the desktop has, without the
//! numbering plans), `PhoneNumber::parse` (the server's, with them) and
//! `PhoneNumber::from_stored` (the E.164 shape check of the wire and the store).
//! - The precheck answers the number with `+` in front, at most 40 bytes, and is
//!   idempotent; a number the plans accept passed the precheck.
//! - An accepted number is E.164 (`+`, 4 to 15 digits), parses again to itself, reads
//!   back through `from_stored` and serde, and its country's calling code (the table the
//!   desktop's picker shows) is the number's prefix. Typed with `00` instead of `+`, it
//!   is the same number.
//! - `from_stored` accepts exactly `+` and 4 to 15 ASCII digits.
#![no_main]

use account_model::{PhoneNumber, precheck_phone};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };

    let prechecked = precheck_phone(input);
    if let Ok(p) = &prechecked {
        assert!(p.starts_with('+'), "{p:?}");
        assert!(p.len() <= 40, "{p:?}");
        assert_eq!(precheck_phone(p).as_ref(), Ok(p), "precheck not idempotent");
    }

    let digits = input.strip_prefix('+').unwrap_or("");
    let e164_shaped =
        (4..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    assert_eq!(
        PhoneNumber::from_stored(input).is_ok(),
        e164_shaped,
        "from_stored on {input:?}"
    );

    let Ok(phone) = PhoneNumber::parse(input) else {
        return;
    };
    assert!(prechecked.is_ok(), "accepted without passing the precheck");
    let s = phone.as_str();
    assert_eq!(phone.to_string(), s);
    assert_eq!(
        PhoneNumber::from_stored(s).as_ref(),
        Ok(&phone),
        "not E.164: {s:?}"
    );
    assert_eq!(
        PhoneNumber::parse(s).as_ref(),
        Ok(&phone),
        "parse not idempotent"
    );
    let json = serde_json::to_string(&phone).expect("serializes");
    let back: PhoneNumber = serde_json::from_str(&json).expect("its JSON deserializes");
    assert_eq!(back, phone, "serde round trip");
    if let Some(country) = phone.country() {
        let code = country
            .calling_code()
            .unwrap_or_else(|| panic!("{country} has numbers but no calling code"));
        assert!(
            s[1..].starts_with(&code.to_string()),
            "{s} is in {country}, whose calling code is {code}"
        );
    }
    assert!(phone.masked().ends_with(&s[s.len() - 3..]));
    if let Some(rest) = input.trim().strip_prefix('+') {
        let dialled = format!("00{rest}");
        if dialled.len() <= 40 {
            assert_eq!(
                PhoneNumber::parse(&dialled).as_ref(),
                Ok(&phone),
                "{dialled:?} is another number than {input:?}"
            );
        }
    }
});
