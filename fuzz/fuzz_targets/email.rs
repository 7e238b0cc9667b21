//! `Email::parse` on any text. An accepted address is the one form the server stores and
//! compares: NFC, lowercase, at most 254 characters, one `@`, no space or control
//! character; it parses again to itself and reads back through `from_stored` and serde.
//! And it holds none of what the look-alike rules refuse (email.rs, checked here with
//! the UTS #39 crate itself, not the parser's helpers): every non-ASCII character is
//! unchanged by NFKC and allowed in identifiers, and the local part and each domain
//! label are single-script.
#![no_main]

use account_model::Email;
use libfuzzer_sys::fuzz_target;
use unicode_normalization::{UnicodeNormalization, is_nfc};
use unicode_security::{GeneralSecurityProfile, MixedScript};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(email) = Email::parse(input) else {
        return;
    };
    let s = email.as_str();
    assert!(is_nfc(s), "not NFC: {s:?}");
    assert_eq!(s.to_lowercase(), s, "not lowercase: {s:?}");
    assert!(s.chars().count() <= 254, "too long: {s:?}");
    assert_eq!(s.matches('@').count(), 1, "not one @: {s:?}");
    assert!(
        !s.chars().any(|c| c.is_whitespace() || c.is_control()),
        "space or control character: {s:?}"
    );
    assert!(!email.local_part().is_empty(), "empty local part: {s:?}");
    assert_eq!(email.to_string(), s);

    for c in s.chars().filter(|c| !c.is_ascii()) {
        assert!(
            std::iter::once(c).nfkc().eq(std::iter::once(c)),
            "compatibility character U+{:04X} in {s:?}",
            u32::from(c)
        );
        assert!(
            c.identifier_allowed(),
            "U+{:04X} is not allowed in identifiers: {s:?}",
            u32::from(c)
        );
    }
    let (local, domain) = s.rsplit_once('@').expect("one @");
    for part in std::iter::once(local).chain(domain.split('.')) {
        assert!(part.is_single_script(), "{part:?} mixes scripts in {s:?}");
    }

    let again = Email::parse(s).expect("an accepted address parses again");
    assert_eq!(again, email, "parse is not idempotent");
    // The uniqueness key is computed for every stored address.
    let _ = email.skeleton();
    assert_eq!(
        Email::from_stored(s).expect("the stored form reads back"),
        email
    );
    let json = serde_json::to_string(&email).expect("serializes");
    let back: Email = serde_json::from_str(&json).expect("its JSON deserializes");
    assert_eq!(back, email, "serde round trip");
    let masked = email.masked();
    assert!(masked.contains("***@"), "{masked}");
});
