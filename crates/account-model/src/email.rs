//! `Email`: an address a message can be sent to, in the one form we store and compare.
//!
//! We lowercase the whole address. RFC 5321 lets a server treat the local part as case
//! sensitive, but no mainstream provider does, and two accounts differing only in case
//! are always a mistake; lowercasing makes "already used" checks simple and exact.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ParseError};

/// The longest address SMTP can carry in a path (RFC 5321 §4.5.3.1.3 minus the brackets).
pub(crate) const MAX_LEN: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let candidate = input.trim().to_lowercase();
        let refuse = |why: &str| {
            ParseError::new(
                ErrorCode::InvalidEmail,
                format!("\"{}\" is not a valid email address: {why}", input.trim()),
            )
        };
        if candidate.is_empty() {
            return Err(refuse("it is empty"));
        }
        if candidate.chars().count() > MAX_LEN {
            return Err(refuse("it is longer than 254 characters"));
        }
        if !email_address::EmailAddress::is_valid(&candidate) {
            return Err(refuse("expected name@example.com"));
        }
        let (local, domain) = candidate
            .rsplit_once('@')
            .ok_or_else(|| refuse("it has no @"))?;
        // The crate accepts quoted local parts, IP literals and dotless hosts; none of
        // them reach a real mailbox of a marketing platform's user.
        if local.starts_with('"') || domain.starts_with('[') {
            return Err(refuse("quoted names and IP addresses are not accepted"));
        }
        if !domain.contains('.') || domain.ends_with('.') {
            return Err(refuse("the domain needs a dot, like example.com"));
        }
        Ok(Self(candidate))
    }

    /// An address this system stored after [`Email::parse`] accepted (and lowercased)
    /// it. Only its shape is checked; the full parse ran when it was stored, and reading
    /// a user back is on every request's path.
    pub fn from_stored(stored: &str) -> Result<Self, ParseError> {
        let shaped = stored.chars().count() <= MAX_LEN
            && stored
                .rsplit_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.ends_with('.'));
        if shaped {
            Ok(Self(stored.to_owned()))
        } else {
            Err(ParseError::new(
                ErrorCode::InvalidEmail,
                format!("\"{stored}\" is not a stored email address"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, used by the password policy.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(local, _)| local)
    }

    /// `j***@example.com`: enough to recognise an address in a notice without revealing it.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
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
    fn accepts_and_normalizes_ordinary_addresses() {
        let email = Email::parse("  Ana.Garcia+news@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "ana.garcia+news@example.com");
        assert_eq!(email.local_part(), "ana.garcia+news");
        assert_eq!(email.masked(), "a***@example.com");
    }

    #[test]
    fn refuses_what_no_mailbox_has() {
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "ana@",
            "ana@localhost",
            "ana@example.",
            "\"ana\"@example.com",
            "ana@[127.0.0.1]",
            "ana@@example.com",
            "ana example@example.com",
        ] {
            let err = Email::parse(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::InvalidEmail, "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            Email::parse(&long).expect_err("too long").code,
            ErrorCode::InvalidEmail
        );
    }

    #[test]
    fn stored_addresses_are_read_back_by_shape_only() {
        let email = Email::parse("Ana@Example.com").expect("valid");
        assert_eq!(Email::from_stored(email.as_str()).expect("stored"), email);
        for bad in ["", "ana", "@example.com", "ana@localhost", "ana@example."] {
            assert_eq!(
                Email::from_stored(bad).expect_err(bad).code,
                ErrorCode::InvalidEmail
            );
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(input in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&input) {
                let again = Email::parse(email.as_str()).expect("a parsed email parses again");
                prop_assert_eq!(Email::from_stored(email.as_str()).expect("stored form reads back"), email.clone());
                prop_assert_eq!(again, email);
            }
        }

        #[test]
        fn simple_addresses_always_parse(local in "[a-z0-9]{1,20}", host in "[a-z]{1,20}", tld in "[a-z]{2,6}") {
            let raw = format!("{local}@{host}.{tld}");
            let email = Email::parse(&raw).expect("valid");
            prop_assert_eq!(email.as_str(), raw.as_str());
        }
    }
}
