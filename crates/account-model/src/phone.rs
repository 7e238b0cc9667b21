//! `PhoneNumber`: a number that can receive SMS, stored in E.164.
//!
//! Parsing uses libphonenumber's metadata (the `phonenumber` crate), so "+34 600 12 34 56",
//! "+34600123456" and "0034 600123456" are one number. A country code is required: the
//! account has no single home region to guess one from, and the help page asks for it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ParseError};
use crate::locale::Country;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

/// Loads libphonenumber's metadata now. The first parse or format would otherwise do
/// it, and it is the slowest step of reading an account (~55 ms here, against ~5 µs for
/// a parse once it is loaded). A program that must answer fast right after starting
/// calls this on a spare thread first thing; a parse meanwhile waits for the same load.
pub fn preload_metadata() {
    let _ = phonenumber::metadata::DATABASE.by_id("US");
}

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let trimmed = input.trim();
        let refuse = |why: &str| {
            ParseError::new(
                ErrorCode::InvalidPhone,
                format!("\"{trimmed}\" is not a valid phone number: {why}"),
            )
        };
        if trimmed.is_empty() {
            return Err(refuse("it is empty"));
        }
        if trimmed.len() > 40 {
            return Err(refuse("it is too long"));
        }
        // "00" is the international prefix in most of the world; treat it like "+".
        let normalized = match trimmed.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => trimmed.to_owned(),
        };
        if !normalized.starts_with('+') {
            return Err(refuse(
                "include the country code, starting with + (for example +34)",
            ));
        }
        let parsed = phonenumber::parse(None, &normalized).map_err(|_| refuse("unreadable"))?;
        if !phonenumber::is_valid(&parsed) {
            return Err(refuse(
                "no such number exists in its country's numbering plan",
            ));
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        Ok(Self(e164))
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

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
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
