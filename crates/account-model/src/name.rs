//! `DisplayName`: the name other members see beside an address (the member list), so
//! the same UTS #39 care as for [`Email`](crate::Email) applies to it.
//!
//! A name may be in any one script — `Ana García`, `Ольга Петрова`, `山田 太郎` — with
//! spaces, digits, punctuation and combining marks, which go with every script. Refused:
//!
//! - a **mixed-script** name (`Оlivia` with a Cyrillic `О` passes for `Olivia`); a name
//!   that really is written in two scripts has to pick one, the price of the rule;
//! - **invisible characters** (zero-width joiners and spaces, soft hyphens, Hangul
//!   fillers), **bidi controls** (which reorder what a reader sees around them),
//!   controls, and whitespace other than the plain space (tabs, line breaks, no-break
//!   spaces);
//! - an empty name, or one longer than [`DisplayName::MAX_CHARS`].
//!
//! It is normalized to NFC, like an address, so one name is stored one way. Unlike an
//! address it is not lowercased, not held to the identifier profile (names have
//! apostrophes and dots) and not unique: two people may share a name, and the address
//! beside it tells them apart.
//!
//! Where names are set: no API edits a name today. They are created with the user —
//! the demo seed, the test fixture — and `import-sqlite` copies names that a build
//! creating them this way stored. The store takes a `DisplayName` for a new user, so a
//! future path that creates or renames users cannot skip the check. A refusal is
//! [`ErrorCode::InvalidRequest`]: with no endpoint taking a name, no client acts on a
//! code of its own; an endpoint that edits names should add one.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::error::{ErrorCode, ParseError};
use crate::lookalike;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisplayName(String);

impl DisplayName {
    /// Long enough for any real name with a title; short enough for a list's column.
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let name: String = input.trim().nfc().collect();
        let refuse = |why: String| {
            ParseError::new(
                ErrorCode::InvalidRequest,
                format!("\"{name}\" cannot be a display name: {why}"),
            )
        };
        if name.is_empty() {
            return Err(refuse("it is empty".into()));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(refuse(format!(
                "it is longer than {} characters",
                Self::MAX_CHARS
            )));
        }
        if let Some(c) = name
            .chars()
            .find(|&c| lookalike::is_invisible(c) || (c.is_whitespace() && c != ' '))
        {
            return Err(refuse(format!(
                "{} is an invisible or layout character; names hold letters, plain \
                 spaces and punctuation",
                lookalike::describe(c)
            )));
        }
        if let Some((c, script, main)) = lookalike::mixed_script(&name) {
            return Err(refuse(format!(
                "it {}, which lets one name pass for another; write it in one alphabet",
                lookalike::mixing(c, script, main)
            )));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_one_script_are_accepted_and_normalized() {
        for name in [
            "Olivia Ortega",
            "Ana García-López",
            "Seán O'Brien Jr.",
            "Ольга Петрова",
            "山田 太郎",
            "やまだ たろう",
            "김민준",
            "Νίκος Παπαδόπουλος",
            "Test Person 2",
        ] {
            assert_eq!(DisplayName::parse(name).expect(name).as_str(), name);
        }
        let decomposed = "Jose\u{301}";
        assert_eq!(
            DisplayName::parse(&format!("  {decomposed} "))
                .expect("NFD")
                .as_str(),
            "José"
        );
    }

    #[test]
    fn a_mixed_script_name_is_refused_naming_the_odd_letter() {
        // Cyrillic О (U+041E) in a Latin name.
        let err = DisplayName::parse("Оlivia Ortega").expect_err("mixed");
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert!(err.message.contains("U+041E"), "{}", err.message);
        assert!(err.message.contains("Cyrillic"), "{}", err.message);
        assert!(err.message.contains("Latin"), "{}", err.message);
        // Greek ο in a Latin name.
        assert!(DisplayName::parse("Marc Mοreno").is_err());
    }

    #[test]
    fn invisible_and_bidi_control_characters_are_refused() {
        for bad in [
            "Adam\u{200B}Alvarez",
            "Adam\u{200D} Alvarez",
            "Adam \u{202E}zerevlA",
            "\u{2067}Adam\u{2069}",
            "Adam\u{AD}Alvarez",
            "\u{3164}",
            "Adam\tAlvarez",
            "Adam\nAlvarez",
            "Adam\u{A0}Alvarez",
        ] {
            let err = DisplayName::parse(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad:?}");
            assert!(err.message.contains("U+"), "{}", err.message);
        }
    }

    #[test]
    fn empty_and_overlong_names_are_refused() {
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"a".repeat(DisplayName::MAX_CHARS)).is_ok());
        assert!(DisplayName::parse(&"a".repeat(DisplayName::MAX_CHARS + 1)).is_err());
    }
}
