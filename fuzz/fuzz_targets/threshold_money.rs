//! The money inputs: the low-balance threshold (minor units, from the preferences
//! request), the currency code (from the store and the wire) and how an amount is
//! written in each language (notices, the tray). The input is the amount as 8
//! little-endian bytes (zero-padded), then the currency code as text.
//! - `Threshold::parse` accepts exactly 0..=MAX_THRESHOLD_MINOR and keeps the value; it
//!   serializes as that number.
//! - `Currency::parse` accepts exactly three upper-case ASCII letters (after trimming),
//!   which parse again and survive the JSON round trip; its minor unit is 0 or 2 digits.
//! - `format_money` loses nothing: its digits, read back, are the amount, with a minus
//!   sign exactly when the amount is negative, in every language.
#![no_main]

use account_model::i18n::format_money;
use account_model::{Currency, Language, MAX_THRESHOLD_MINOR, Threshold};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, rest) = data.split_at(data.len().min(8));
    let mut bytes = [0u8; 8];
    bytes[..head.len()].copy_from_slice(head);
    let amount = i64::from_le_bytes(bytes);

    match Threshold::parse(amount) {
        Ok(t) => {
            assert!(
                (0..=MAX_THRESHOLD_MINOR).contains(&amount),
                "accepted {amount}"
            );
            assert_eq!(t.minor(), amount);
            assert_eq!(
                serde_json::to_string(&t).expect("serializes"),
                amount.to_string()
            );
        }
        Err(_) => assert!(
            !(0..=MAX_THRESHOLD_MINOR).contains(&amount),
            "refused {amount}"
        ),
    }

    let Ok(code) = std::str::from_utf8(rest) else {
        return;
    };
    let trimmed = code.trim();
    let shaped = trimmed.len() == 3 && trimmed.bytes().all(|b| b.is_ascii_uppercase());
    let Ok(currency) = Currency::parse(code) else {
        assert!(!shaped, "refused {code:?}");
        return;
    };
    assert!(shaped, "accepted {code:?}");
    assert_eq!(currency.as_str(), trimmed);
    assert_eq!(Currency::parse(currency.as_str()), Ok(currency));
    let json = serde_json::to_string(&currency).expect("serializes");
    assert_eq!(serde_json::from_str::<Currency>(&json).ok(), Some(currency));
    let decimals = currency.decimals();
    assert!(decimals == 0 || decimals == 2, "{decimals} decimals");

    for lang in Language::ALL {
        let written = format_money(amount, &currency, lang);
        let digits: String = written.chars().filter(char::is_ascii_digit).collect();
        let read: u64 = digits.parse().expect("at least one digit");
        assert_eq!(
            read,
            amount.unsigned_abs(),
            "{amount} written as {written:?}"
        );
        assert_eq!(
            written.starts_with('-'),
            amount < 0,
            "{amount} written as {written:?}"
        );
        // Never fewer digits than the minor unit and one for the major part.
        assert!(digits.len() > decimals as usize, "{written:?}");
    }
});
