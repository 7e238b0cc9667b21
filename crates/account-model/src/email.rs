//! `Email`: an address a message can be sent to, in the one form we store and compare.
//!
//! We lowercase the whole address. RFC 5321 lets a server treat the local part as case
//! sensitive, but no mainstream provider does, and two accounts differing only in case
//! are always a mistake; lowercasing makes "already used" checks simple and exact.
//!
//! # Look-alikes (UTS #39)
//!
//! Addresses are shown to other members (the member list), so one that *looks like*
//! another is a way to pass for its owner: `оwner@demo.example` with a Cyrillic `о`
//! beside `owner@demo.example`. [`Email::parse`] therefore:
//!
//! 1. **Normalizes to NFC before anything else** (and again after lowercasing, which
//!    can decompose): `é` typed as one character or as `e` + a combining accent is one
//!    address, stored once.
//! 2. **Refuses compatibility characters** — those NFKC would change: fullwidth `ｏ`,
//!    the ligature `ﬁ`, superscript `²`, the micro sign `µ`. Refused rather than folded:
//!    a mail server does not fold them, so `ｏwner2@…` and `owner2@…` may be different
//!    mailboxes, and folding would send the code to one the user did not type. The
//!    message names the plain character to type instead.
//! 3. **Refuses non-ASCII characters that UTS #39's General Security Profile does not
//!    allow in identifiers** (Identifier_Status=Allowed): invisible ones (zero-width
//!    joiners, bidi controls, Hangul fillers), symbols, emoji, and scripts not in modern
//!    use. ASCII is left to the address syntax, which allows `+`, `!`, `'` and the like
//!    in a local part.
//! 4. **Refuses a mixed-script local part or domain label** (UTS #39 single-script:
//!    digits, `.`, `-`, `_` and combining marks go with any script; Han with Hiragana
//!    and Katakana, with Hangul, or with Bopomofo counts as one). The local part and
//!    each label are checked on their own, so `用户@example.com` is fine.
//!
//! Each refusal is [`ErrorCode::EmailConfusable`] and names the character and why;
//! [`ErrorCode::InvalidEmail`] stays for what is not an address at all.
//!
//! **Non-Latin addresses are accepted** (RFC 6531 internationalized addresses, IDN
//! domains such as `пользователь@пример.рф` or `用户@例子.中国`) as long as each part is
//! in one script: the people this product serves are not all Latin-script users, and
//! a single-script part cannot hide a letter of another alphabet. Domains are kept as
//! typed (in Unicode), not converted to punycode.
//!
//! A part in one script can still look like a part in another (`аре`, all Cyrillic,
//! is `ape`). That is what [`Email::skeleton`] is for: UTS #39's skeleton maps every
//! character to a prototype it is confusable with, so two addresses that look alike
//! have the same skeleton, and the server keeps skeletons unique across accounts. Its
//! data is Unicode's and changes with it: [`Email::skeleton_data`] names the version a
//! stored skeleton was computed with, so a store can recompute them on an upgrade.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_security::GeneralSecurityProfile;

use crate::error::{ErrorCode, ParseError};
use crate::lookalike;

/// The longest address SMTP can carry in a path (RFC 5321 §4.5.3.1.3 minus the brackets).
pub(crate) const MAX_LEN: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Which skeleton data [`Email::skeleton`] uses (the Unicode version of the
    /// confusables table, and a revision of this function): a store that keeps
    /// skeletons recomputes them when this differs from what it computed them with.
    pub fn skeleton_data() -> String {
        let (major, minor, update) = unicode_security::UNICODE_VERSION;
        format!("uts39-skeleton/1 unicode {major}.{minor}.{update}")
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let typed = input.trim();
        let nfc: String = typed.nfc().collect();
        // Lowercasing can leave a string that is not NFC (`İ` becomes `i` + U+0307).
        let candidate: String = nfc.to_lowercase().nfc().collect();
        let refuse = |why: &str| {
            ParseError::new(
                ErrorCode::InvalidEmail,
                format!("\"{typed}\" is not a valid email address: {why}"),
            )
        };
        if candidate.is_empty() {
            return Err(refuse("it is empty"));
        }
        if candidate.chars().count() > MAX_LEN {
            return Err(refuse("it is longer than 254 characters"));
        }
        // Before the syntax, so that `demo．example` is told about its fullwidth dot
        // rather than that it has no dot.
        refuse_look_alike_characters(typed, &candidate)?;
        // Without display text: the crate's default reads `Ana <ana@example.com>` as
        // valid, which would be stored whole, name and brackets included.
        let syntax = email_address::Options::default().without_display_text();
        if email_address::EmailAddress::parse_with_options(&candidate, syntax).is_err() {
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
        refuse_mixed_scripts(typed, local, domain)?;
        Ok(Self(candidate))
    }

    /// The UTS #39 skeleton of the address: equal for two addresses that look alike
    /// (`оwner@demo.example` and `owner@demo.example`, `rn` and `m`, `1` and `l`). Not
    /// an address (it is not meant to be shown or sent to): a key for uniqueness.
    pub fn skeleton(&self) -> String {
        unicode_security::skeleton(&self.0).collect()
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

fn confusable(typed: &str, why: String) -> ParseError {
    ParseError::new(
        ErrorCode::EmailConfusable,
        format!("\"{typed}\" could be taken for another address: {why}"),
    )
}

/// Steps 2 and 3 of the module doc, on the NFC, lowercased `candidate`.
fn refuse_look_alike_characters(typed: &str, candidate: &str) -> Result<(), ParseError> {
    for c in candidate.chars().filter(|c| !c.is_ascii()) {
        let plain: String = std::iter::once(c).nfkc().collect();
        if plain != c.to_string() {
            return Err(confusable(
                typed,
                format!(
                    "{} is a compatibility form of \"{plain}\"; type \"{plain}\" instead",
                    lookalike::describe(c)
                ),
            ));
        }
        if !c.identifier_allowed() {
            let kind = if lookalike::is_invisible(c) {
                "an invisible character"
            } else {
                "not a letter or digit an address may hold"
            };
            return Err(confusable(
                typed,
                format!("{} is {kind}", lookalike::describe(c)),
            ));
        }
    }
    Ok(())
}

/// Step 4 of the module doc: the local part and each domain label in one script.
fn refuse_mixed_scripts(typed: &str, local: &str, domain: &str) -> Result<(), ParseError> {
    for part in std::iter::once(local).chain(domain.split('.')) {
        if let Some((c, script, main)) = lookalike::mixed_script(part) {
            return Err(confusable(
                typed,
                format!(
                    "\"{part}\" {}; type it in one alphabet",
                    lookalike::mixing(c, script, main)
                ),
            ));
        }
    }
    Ok(())
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
            // Found by fuzz/ (target email): a display name is not part of an address.
            "Ana <ana@example.com>",
            "\0 <ana@example.com>",
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

    /// Parses `raw` expecting a look-alike refusal whose message names `needle`.
    fn confusable(raw: &str, needle: &str) -> String {
        let err = Email::parse(raw).expect_err(raw);
        assert_eq!(
            err.code,
            ErrorCode::EmailConfusable,
            "{raw}: {}",
            err.message
        );
        assert!(err.message.contains(needle), "{raw}: {}", err.message);
        err.message
    }

    #[test]
    fn a_cyrillic_letter_in_a_latin_local_part_is_refused_and_named() {
        // The address: Cyrillic о (U+043E) for the first letter of owner.
        let message = confusable("оwner@demo.example", "U+043E");
        assert!(
            message.contains("Cyrillic") && message.contains("Latin"),
            "{message}"
        );
        // Typed in capitals, lowercased first.
        confusable("ОWNER@demo.example", "U+043E");
    }

    #[test]
    fn a_cyrillic_letter_in_a_latin_domain_label_is_refused_and_named() {
        // Cyrillic е (U+0435) in demo.
        let message = confusable("owner@dеmo.example", "U+0435");
        assert!(message.contains("\"dеmo\""), "{message}");
        confusable("owner@demo.exаmple", "U+0430");
    }

    #[test]
    fn fullwidth_and_other_compatibility_forms_are_refused_with_the_plain_character() {
        // Fullwidth ｏ (U+FF4F): NFKC folds it to o.
        let message = confusable("ｏwner2@demo.example", "U+FF4F");
        assert!(message.contains("type \"o\" instead"), "{message}");
        confusable("ＯＷＮＥＲ2@demo.example", "U+FF4F");
        confusable("owner@demo．example", "U+FF0E");
        confusable("ﬁnance@example.com", "U+FB01");
        confusable("µ@example.com", "U+00B5");
        confusable("owner²@example.com", "U+00B2");
    }

    #[test]
    fn invisible_characters_symbols_and_emoji_are_refused() {
        confusable(
            "own\u{200B}er@demo.example",
            "U+200B is an invisible character",
        );
        confusable("owner\u{200D}@demo.example", "U+200D");
        confusable("\u{202E}renwo@demo.example", "U+202E");
        confusable("owner@demo\u{AD}.example", "U+00AD");
        confusable("☃@example.com", "U+2603");
        confusable("ana😀@example.com", "U+1F600");
    }

    #[test]
    fn nfd_input_is_stored_in_nfc() {
        let decomposed = "jose\u{301}@example.com";
        let email = Email::parse(decomposed).expect("valid");
        assert_eq!(email.as_str(), "jos\u{e9}@example.com");
        assert_eq!(email, Email::parse("JOS\u{c9}@example.com").expect("valid"));
        assert_eq!(
            email.skeleton(),
            Email::parse("jos\u{e9}@example.com")
                .expect("valid")
                .skeleton()
        );
    }

    #[test]
    fn single_script_non_latin_addresses_are_accepted() {
        for raw in [
            "пользователь@пример.рф",
            "用户@例子.中国",
            "やまだ@例え.jp",
            "用户@example.com",
            "δοκιμή@παράδειγμα.ελ",
            "ana.garcía@example.com",
        ] {
            let email = Email::parse(raw).expect(raw);
            assert_eq!(email.as_str(), raw);
        }
        assert_eq!(
            Email::parse("ПОЛЬЗОВАТЕЛЬ@ПРИМЕР.РФ")
                .expect("valid")
                .as_str(),
            "пользователь@пример.рф"
        );
    }

    #[test]
    fn addresses_that_look_alike_share_a_skeleton_and_others_do_not() {
        let skeleton = |raw: &str| Email::parse(raw).expect(raw).skeleton();
        let owner = skeleton("owner@demo.example");
        // All-Cyrillic а, р, е: single-script, so parse accepts it; the skeleton is
        // what keeps it from sitting beside ape@….
        assert_eq!(skeleton("аре@example.com"), skeleton("ape@example.com"));
        assert_eq!(
            skeleton("modern@example.com"),
            skeleton("rnodern@example.com")
        );
        assert_eq!(skeleton("bill1@example.com"), skeleton("billl@example.com"));
        assert_ne!(skeleton("owner2@demo.example"), owner);
        assert_ne!(skeleton("admin@demo.example"), owner);
        // What parse refuses would have collided: the mixed-script address has the
        // same skeleton as the one it imitates.
        assert_eq!(
            Email::from_stored("оwner@demo.example")
                .expect("shape")
                .skeleton(),
            owner
        );
        assert!(Email::skeleton_data().contains("unicode"));
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
