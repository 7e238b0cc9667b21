//! `Password`: a new password that meets the policy.
//!
//! The policy follows NIST SP 800-63B-4 for passwords used as the only factor: at least
//! 15 characters, at most 128, no composition rules, and refusal of values that are
//! known to be guessed first. "Known" means three checks, each with its own error code:
//! 1. the bundled list of the 30,000 most common passwords (zxcvbn's list, lowercased);
//! 2. the user's own email local part or name (any part of 3+ letters) inside it;
//! 3. a zxcvbn score below 3, which catches long but trivial values such as
//!    `aaaaaaaaaaaaaaa` or `123456789012345` that no list contains. This is not a
//!    composition rule: any phrase of unrelated words passes.
//!
//! Length is counted in Unicode scalar values, so a passphrase in any script counts
//! by what the user typed, not by bytes.
//!
//! The strength meter answers the same verdict as the change: [`strength`] lists every
//! [`Refusal`] that applies, in the order [`Password::parse`] checks them, so the first
//! one is the error the change would answer with and the UI can name each unmet rule
//! while the person types (a phrase of four strong words that holds their name scores 4
//! and is still refused: the reason says why).

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ParseError};

pub const MIN_LEN: usize = 15;
pub const MAX_LEN: usize = 128;
/// zxcvbn's 0–4 scale; 3 is "safely unguessable: moderate protection from offline attack".
pub const MIN_SCORE: u8 = 3;

static COMMON: OnceLock<HashSet<&'static str>> = OnceLock::new();

fn common_passwords() -> &'static HashSet<&'static str> {
    COMMON.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .collect()
    })
}

/// How many passwords the bundled list holds.
pub fn common_password_count() -> usize {
    common_passwords().len()
}

/// What the strength meter shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Strength {
    /// zxcvbn score, 0 (guessed at once) to 4 (very hard to guess).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 4))]
    pub score: u8,
    /// Whether the password meets the whole policy (`reasons` is empty).
    pub acceptable: bool,
    /// Every rule the password breaks, in the order the change checks them: the first
    /// is the error code changing to this password would answer with.
    #[serde(default)]
    pub reasons: Vec<Refusal>,
}

/// A rule of the policy a password breaks; serialized as the error code the change
/// answers with for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Refusal {
    #[serde(rename = "password_too_short")]
    TooShort,
    #[serde(rename = "password_too_long")]
    TooLong,
    #[serde(rename = "password_too_common")]
    TooCommon,
    #[serde(rename = "password_contains_personal_info")]
    ContainsPersonalInfo,
    #[serde(rename = "password_too_weak")]
    TooWeak,
}

impl Refusal {
    pub fn code(self) -> ErrorCode {
        match self {
            Refusal::TooShort => ErrorCode::PasswordTooShort,
            Refusal::TooLong => ErrorCode::PasswordTooLong,
            Refusal::TooCommon => ErrorCode::PasswordTooCommon,
            Refusal::ContainsPersonalInfo => ErrorCode::PasswordContainsPersonalInfo,
            Refusal::TooWeak => ErrorCode::PasswordTooWeak,
        }
    }
}

/// Who the password belongs to: their own details must not be in it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Owner<'a> {
    pub email_local_part: &'a str,
    pub name: &'a str,
}

impl Owner<'_> {
    fn fragments(&self) -> Vec<String> {
        let mut parts: Vec<String> = self
            .name
            .split(|c: char| !c.is_alphanumeric())
            .chain(std::iter::once(self.email_local_part))
            .map(str::to_lowercase)
            .filter(|p| p.chars().count() >= 3)
            .collect();
        parts.sort();
        parts.dedup();
        parts
    }
}

/// A password that passed the policy. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(input: &str, owner: Owner<'_>) -> Result<Self, ParseError> {
        check(input, owner)?;
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

fn zxcvbn_score(input: &str, owner: Owner<'_>) -> u8 {
    let fragments = owner.fragments();
    let inputs: Vec<&str> = fragments.iter().map(String::as_str).collect();
    zxcvbn::zxcvbn(input, &inputs).score() as u8
}

/// The facts about a candidate the rules are decided on, measured once.
struct Reading {
    len: usize,
    common: bool,
    personal: bool,
    /// `None` when the length alone rules the value out (zxcvbn is not run on 129+
    /// characters: its cost grows with the input).
    score: Option<u8>,
}

impl Reading {
    fn of(input: &str, owner: Owner<'_>) -> Self {
        let len = input.chars().count();
        let lowered = input.to_lowercase();
        Reading {
            len,
            common: common_passwords().contains(lowered.as_str()),
            personal: owner
                .fragments()
                .iter()
                .any(|f| lowered.contains(f.as_str())),
            score: (len > 0 && len <= MAX_LEN).then(|| zxcvbn_score(input, owner)),
        }
    }

    fn refusals(&self) -> Vec<Refusal> {
        let mut out = Vec::new();
        if self.len < MIN_LEN {
            out.push(Refusal::TooShort);
        }
        if self.len > MAX_LEN {
            out.push(Refusal::TooLong);
        }
        if self.common {
            out.push(Refusal::TooCommon);
        }
        if self.personal {
            out.push(Refusal::ContainsPersonalInfo);
        }
        if self.score.is_some_and(|s| s < MIN_SCORE) {
            out.push(Refusal::TooWeak);
        }
        out
    }

    fn error(&self, refusal: Refusal) -> ParseError {
        let (len, score) = (self.len, self.score.unwrap_or(0));
        let message = match refusal {
            Refusal::TooShort => {
                format!("the password has {len} characters; it needs at least {MIN_LEN}")
            }
            Refusal::TooLong => {
                format!("the password has {len} characters; at most {MAX_LEN} are accepted")
            }
            Refusal::TooCommon => {
                "this password is on the list of the most commonly used passwords".to_owned()
            }
            Refusal::ContainsPersonalInfo => {
                "the password must not contain your name or the name part of your email".to_owned()
            }
            Refusal::TooWeak => format!(
                "this password would be guessed quickly (strength {score} of 4); a few unrelated words make a strong one"
            ),
        };
        ParseError::new(refusal.code(), message)
    }
}

fn check(input: &str, owner: Owner<'_>) -> Result<(), ParseError> {
    let reading = Reading::of(input, owner);
    match reading.refusals().first() {
        Some(&first) => Err(reading.error(first)),
        None => Ok(()),
    }
}

/// The strength meter's reading for a candidate password.
pub fn strength(input: &str, owner: Owner<'_>) -> Strength {
    let reading = Reading::of(input, owner);
    let reasons = reading.refusals();
    Strength {
        score: reading.score.unwrap_or(0),
        acceptable: reasons.is_empty(),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ANA: Owner<'static> = Owner {
        email_local_part: "ana.garcia",
        name: "Ana García",
    };

    #[test]
    fn the_bundled_list_is_large_enough() {
        assert!(
            common_password_count() >= 10_000,
            "{}",
            common_password_count()
        );
    }

    #[test]
    fn a_long_unrelated_phrase_is_accepted() {
        let pw = Password::parse("copper kettle orbit lantern", ANA).expect("strong phrase");
        assert_eq!(pw.expose(), "copper kettle orbit lantern");
        assert_eq!(format!("{pw:?}"), "Password(<redacted>)");
        let s = strength("copper kettle orbit lantern", ANA);
        assert!(s.acceptable && s.score >= MIN_SCORE);
    }

    #[test]
    fn each_rule_refuses_with_its_own_code() {
        let cases = [
            ("short phrase", ErrorCode::PasswordTooShort),
            (&*"x".repeat(129), ErrorCode::PasswordTooLong),
            ("1qaz2wsx3edc4rfv", ErrorCode::PasswordTooCommon),
            (
                "García-copper-kettle-orbit",
                ErrorCode::PasswordContainsPersonalInfo,
            ),
            (
                "my ana.garcia kettle orbit",
                ErrorCode::PasswordContainsPersonalInfo,
            ),
            ("aaaaaaaaaaaaaaaa", ErrorCode::PasswordTooWeak),
            ("123456789012345", ErrorCode::PasswordTooWeak),
        ];
        for (input, code) in cases {
            assert_eq!(
                Password::parse(input, ANA).expect_err(input).code,
                code,
                "{input}"
            );
            let s = strength(input, ANA);
            assert!(!s.acceptable, "{input}");
            assert_eq!(s.reasons.first().map(|r| r.code()), Some(code), "{input}");
        }
    }

    #[test]
    fn the_meter_names_every_rule_broken_and_nothing_else() {
        // Four unrelated words score 4, yet the name inside refuses it: the reason says so.
        let named = strength("García copper kettle orbit lantern", ANA);
        assert_eq!(named.score, 4);
        assert!(!named.acceptable);
        assert_eq!(named.reasons, [Refusal::ContainsPersonalInfo]);
        // Short, personal and weak at once: all three, in the order the change checks.
        assert_eq!(
            strength("ana", ANA).reasons,
            [
                Refusal::TooShort,
                Refusal::ContainsPersonalInfo,
                Refusal::TooWeak
            ]
        );
        assert_eq!(strength(&"x".repeat(129), ANA).reasons, [Refusal::TooLong]);
        let fine = strength("copper kettle orbit lantern", ANA);
        assert!(fine.acceptable && fine.reasons.is_empty());
        // The wire form is the error code's.
        assert_eq!(
            serde_json::to_value(&named).expect("json"),
            serde_json::json!({
                "score": 4,
                "acceptable": false,
                "reasons": ["password_contains_personal_info"]
            })
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 15 characters, 30 bytes: long enough.
        let cyrillic = "жёлтый лис ныряет";
        assert_ne!(
            Password::parse(cyrillic, ANA).map_err(|e| e.code),
            Err(ErrorCode::PasswordTooShort)
        );
        // 14 characters of 4 bytes each: too short despite 56 bytes.
        let emoji = "🦊".repeat(14);
        assert_eq!(
            Password::parse(&emoji, ANA).expect_err("short").code,
            ErrorCode::PasswordTooShort
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn accepted_passwords_always_satisfy_every_rule(input in "\\PC{0,40}") {
            if let Ok(pw) = Password::parse(&input, ANA) {
                let len = pw.expose().chars().count();
                prop_assert!((MIN_LEN..=MAX_LEN).contains(&len));
                prop_assert!(!common_passwords().contains(input.to_lowercase().as_str()));
                prop_assert!(!input.to_lowercase().contains("garcía"));
                prop_assert!(strength(&input, ANA).acceptable);
            }
            // The meter and the change never disagree.
            let s = strength(&input, ANA);
            let refused = Password::parse(&input, ANA).err().map(|e| e.code);
            prop_assert_eq!(s.reasons.first().map(|r| r.code()), refused);
            prop_assert_eq!(s.acceptable, refused.is_none());
        }
    }
}
