//! The UTS #39 checks that keep one user from passing for another, shared by
//! [`Email`](crate::Email) and [`DisplayName`](crate::DisplayName): one script per part,
//! no invisible characters. Each returns the offending character, so a refusal can say
//! which one and why.

use unicode_script::{Script, UnicodeScript};
use unicode_security::general_security_profile::IdentifierType;
use unicode_security::mixed_script::AugmentedScriptSet;
use unicode_security::{GeneralSecurityProfile, MixedScript};

/// A character a reader cannot see, or that reorders what they see: UTS #39's
/// Default_Ignorable (zero-width joiners and spaces, bidi embeddings, overrides and
/// isolates, the Hangul fillers, the soft hyphen), controls, and what is no character
/// at all (unassigned, private use).
pub(crate) fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c.identifier_type(),
            Some(IdentifierType::Default_Ignorable | IdentifierType::Not_Character) | None
        )
}

/// `"о" (U+043E)`, or `U+200D` alone for a character that cannot be shown.
pub(crate) fn describe(c: char) -> String {
    if is_invisible(c) {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("\"{c}\" (U+{:04X})", u32::from(c))
    }
}

/// The first character of `part` that is not in the part's main script, with both
/// scripts, when `part` is not single-script in UTS #39's sense (Common and Inherited
/// characters — digits, punctuation, combining marks — go with any script; Han with
/// Hiragana and Katakana, with Hangul, or with Bopomofo counts as one). The main script
/// is the one most of the letters are in, so in `оwner` the Cyrillic `о` is named, not
/// the four Latin letters after it.
pub(crate) fn mixed_script(part: &str) -> Option<(char, Script, Script)> {
    if part.is_single_script() {
        return None;
    }
    let mut counts: Vec<(Script, usize)> = Vec::new();
    for script in part.chars().map(|c| c.script()) {
        if matches!(script, Script::Common | Script::Inherited) {
            continue;
        }
        match counts.iter_mut().find(|(s, _)| *s == script) {
            Some((_, n)) => *n += 1,
            None => counts.push((script, 1)),
        }
    }
    // Ties go to the script seen first (`max_by_key` keeps the last maximum).
    let (main, _) = counts.iter().rev().max_by_key(|(_, n)| *n).copied()?;
    let main_set = part
        .chars()
        .find(|c| c.script() == main)
        .map(AugmentedScriptSet::for_char)?;
    // The first character that cannot share a script with the main one (Hiragana can
    // with Han, so in Han-and-Hiragana-and-Latin the Latin letter is named).
    part.chars()
        .find(|&c| {
            let mut shared = main_set;
            shared.intersect_with(c.into());
            shared.is_empty()
        })
        .map(|c| (c, c.script(), main))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_odd_letter_out_is_named_not_the_majority() {
        assert_eq!(
            mixed_script("оwner"),
            Some(('о', Script::Cyrillic, Script::Latin))
        );
        assert_eq!(
            mixed_script("dеmo"),
            Some(('е', Script::Cyrillic, Script::Latin))
        );
        assert_eq!(mixed_script("owner"), None);
        assert_eq!(mixed_script("пользователь"), None);
        // Japanese mixes Han, Hiragana and Katakana; UTS #39 counts it as one script.
        assert_eq!(mixed_script("山田さんカタカナ"), None);
        assert_eq!(mixed_script("ana.garcia+news-2"), None);
        assert_eq!(
            mixed_script("田中太郎さんab"),
            Some(('a', Script::Latin, Script::Han))
        );
    }

    #[test]
    fn invisible_characters_are_named_by_code_point_alone() {
        for c in [
            '\u{200B}', '\u{200D}', '\u{202E}', '\u{2066}', '\u{AD}', '\u{3164}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
        }
        assert_eq!(describe('\u{200D}'), "U+200D");
        assert_eq!(describe('о'), "\"о\" (U+043E)");
        assert!(!is_invisible('a') && !is_invisible('é') && !is_invisible('用'));
    }
}
