//! `PhoneNumber`: a number that can receive SMS, stored in E.164.
//!
//! Two levels of checking, because the numbering plans are large:
//! - [`PhoneNumber::parse`] (feature `numbering-plans`, which the server turns on) uses
//!   libphonenumber's metadata (the `phonenumber` crate), so "+34 600 12 34 56",
//!   "+34600123456" and "0034 600123456" are one number, and a number outside its
//!   country's plan is refused. A country code is required: the account has no single
//!   home region to guess one from, and the help page asks for it.
//! - [`precheck`] is what a client can tell without the plans (empty, too long, no
//!   country code) before it sends what the person typed; the server then parses it. The
//!   desktop app stops there: the plans and the regex engine they need were 0.6 MiB of
//!   its 12 MiB binary, for a check the server makes anyway.
//!
//! A `PhoneNumber` read from the wire or a store ([`PhoneNumber::from_stored`], and
//! `Deserialize`) is one this system parsed before; only its E.164 shape is checked.
//! Requests carry what people typed as plain strings, so nothing typed by a person
//! becomes a `PhoneNumber` without [`PhoneNumber::parse`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ParseError};
#[cfg(feature = "numbering-plans")]
use crate::locale::Country;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

fn refusal(input: &str, why: &str) -> ParseError {
    ParseError::new(
        ErrorCode::InvalidPhone,
        format!("\"{input}\" is not a valid phone number: {why}"),
    )
}

/// What can be told of a typed number without the numbering plans: it is not empty, not
/// over 40 characters, and starts with its country code (`+`, or the `00` prefix most of
/// the world dials, read as `+`). Answers the number with `+` in front, still as typed
/// otherwise, for [`PhoneNumber::parse`] (here or at the server).
pub fn precheck(input: &str) -> Result<String, ParseError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(refusal(trimmed, "it is empty"));
    }
    if trimmed.len() > 40 {
        return Err(refusal(trimmed, "it is too long"));
    }
    let normalized = match trimmed.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => trimmed.to_owned(),
    };
    if !normalized.starts_with('+') {
        return Err(refusal(
            trimmed,
            "include the country code, starting with + (for example +34)",
        ));
    }
    Ok(normalized)
}

impl PhoneNumber {
    /// A typed number, checked against its country's numbering plan.
    #[cfg(feature = "numbering-plans")]
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let normalized = precheck(input)?;
        let trimmed = input.trim();
        let parsed =
            phonenumber::parse(None, &normalized).map_err(|_| refusal(trimmed, "unreadable"))?;
        if !phonenumber::is_valid(&parsed) {
            return Err(refusal(
                trimmed,
                "no such number exists in its country's numbering plan",
            ));
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        Self::from_stored(&e164).map_err(|_| refusal(trimmed, "it has more than 15 digits"))
    }

    /// A number this system stored after [`PhoneNumber::parse`] accepted it. Only its
    /// E.164 shape is checked: the numbering-plan check (libphonenumber's regexes, the
    /// costliest part of reading a user) ran when it was stored.
    pub fn from_stored(e164: &str) -> Result<Self, ParseError> {
        let digits = e164.strip_prefix('+').unwrap_or("");
        if (4..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(e164.to_owned()))
        } else {
            Err(ParseError::new(
                ErrorCode::InvalidPhone,
                format!("\"{e164}\" is not a stored E.164 number"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country the number belongs to, for the SMS allow-list.
    #[cfg(feature = "numbering-plans")]
    pub fn country(&self) -> Option<Country> {
        let parsed = phonenumber::parse(None, &self.0).ok()?;
        let id = parsed.country().id()?;
        Country::parse(id.as_ref()).ok()
    }

    /// `+34 ••• ••• 456`: recognisable in a notice without revealing the number.
    pub fn masked(&self) -> String {
        let digits: Vec<char> = self.0.chars().collect();
        let tail: String = digits[digits.len().saturating_sub(3)..].iter().collect();
        format!("••• {tail}")
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The wire form of a number this system accepted (an account's `phone`): E.164 only.
impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::from_stored(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(all(test, feature = "numbering-plans"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_of_one_number_agree() {
        for raw in [
            "+34 600 12 34 56",
            "+34600123456",
            "0034 600-123-456",
            " +34 (600) 123456 ",
        ] {
            assert_eq!(PhoneNumber::parse(raw).expect(raw).as_str(), "+34600123456");
        }
        let us = PhoneNumber::parse("+1 415 555 2671").expect("US number");
        assert_eq!(us.as_str(), "+14155552671");
        assert_eq!(us.country().expect("region").as_str(), "US");
        assert_eq!(
            PhoneNumber::parse("+34600123456")
                .expect("ES")
                .country()
                .expect("region")
                .as_str(),
            "ES"
        );
    }

    #[test]
    fn refuses_numbers_without_country_code_or_outside_any_plan() {
        for bad in [
            "",
            "600123456",
            "+",
            "+999 123",
            "+34 12",
            "hello",
            "+34 600 12 34 56 78 90 12",
        ] {
            assert_eq!(
                PhoneNumber::parse(bad).expect_err(bad).code,
                ErrorCode::InvalidPhone,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_number_longer_than_e164_allows_is_refused_not_stored() {
        // Found by fuzz/ (target phone): the German plan allows 15 national digits, 17
        // with the country code, which E.164 (and so `from_stored`) does not.
        for long in ["+49 330628496008377", "004/9330MA84/9M008377"] {
            let err = PhoneNumber::parse(long).expect_err(long);
            assert_eq!(err.code, ErrorCode::InvalidPhone);
            assert!(err.message.contains("15 digits"), "{}", err.message);
        }
    }

    #[test]
    fn stored_numbers_are_read_back_by_shape_only() {
        let phone = PhoneNumber::parse("+34 600 12 34 56").expect("valid");
        assert_eq!(
            PhoneNumber::from_stored(phone.as_str()).expect("stored"),
            phone
        );
        for bad in ["", "+", "34600123456", "+34 600", "+3460012345678901"] {
            assert_eq!(
                PhoneNumber::from_stored(bad).expect_err(bad).code,
                ErrorCode::InvalidPhone
            );
        }
    }

    #[test]
    fn masking_keeps_only_the_last_digits() {
        let phone = PhoneNumber::parse("+34600123456").expect("valid");
        assert_eq!(phone.masked(), "••• 456");
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(input in "[+0-9 ()-]{0,24}") {
            if let Ok(phone) = PhoneNumber::parse(&input) {
                prop_assert!(phone.as_str().starts_with('+'));
                prop_assert_eq!(PhoneNumber::parse(phone.as_str()).expect("reparses"), phone);
            }
        }

        #[test]
        fn arbitrary_text_parses_only_to_e164(input in "\\PC{0,60}") {
            if let Ok(phone) = PhoneNumber::parse(&input) {
                prop_assert!(phone.as_str()[1..].chars().all(|c| c.is_ascii_digit()));
            }
        }
    }
}

/// What holds with or without the numbering plans.
#[cfg(test)]
mod shape_tests {
    use super::*;

    #[test]
    fn the_precheck_tells_what_needs_no_plans() {
        assert_eq!(
            precheck(" 0034 600 12 34 56 ").expect("00"),
            "+34 600 12 34 56"
        );
        assert_eq!(precheck("+1 415 555 2671").expect("+"), "+1 415 555 2671");
        for (bad, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("600123456", "country code"),
            (&"+3".repeat(21), "too long"),
        ] {
            let err = precheck(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::InvalidPhone);
            assert!(err.message.contains(why), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn the_wire_form_is_e164_only() {
        let phone: PhoneNumber = serde_json::from_str("\"+34600123456\"").expect("E.164");
        assert_eq!(phone.as_str(), "+34600123456");
        for bad in ["\"+34 600 12 34 56\"", "\"0034600123456\"", "\"+\"", "12"] {
            assert!(serde_json::from_str::<PhoneNumber>(bad).is_err(), "{bad}");
        }
    }
}
