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
    // Ties go to the script seen first (`max_by_key` keeps the last maximum). A part of
    // Common and Inherited characters alone (combining marks with no letter under them,
    // `\u{64C}\u{300}`) has no main script: it is measured against its first character.
    let main = match counts.iter().rev().max_by_key(|(_, n)| *n) {
        Some((main, _)) => *main,
        None => part.chars().next()?.script(),
    };
    let main_set = part
        .chars()
        .find(|c| c.script() == main)
        .map(AugmentedScriptSet::for_char)?;
    // The first character that cannot share a script with the main one and those before
    // it (Hiragana can with Han, so in Han-and-Hiragana-and-Latin the Latin letter is
    // named). Running, not pairwise: Hangul and Katakana each go with Han but not with
    // each other, so in Han-Hangul-Katakana the Katakana letter is named.
    let mut shared = main_set;
    part.chars()
        .find(|&c| {
            shared.intersect_with(c.into());
            shared.is_empty()
        })
        .map(|c| (c, c.script(), main))
}

/// What is mixed, for a refusal: `mixes Latin and Cyrillic letters ("о" (U+043E) is
/// Cyrillic)`, or, for combining marks of different scripts with no letter under them
/// (where the two scripts [`mixed_script`] answers are both Inherited), that.
pub(crate) fn mixing(c: char, script: Script, main: Script) -> String {
    if script == main {
        format!(
            "holds combining marks of different scripts ({} is one) with no letter under them",
            describe(c)
        )
    } else {
        format!(
            "mixes {} and {} letters ({} is {})",
            main.full_name(),
            script.full_name(),
            describe(c),
            script.full_name()
        )
    }
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
    fn han_with_both_hangul_and_katakana_is_mixed() {
        // Found by fuzz/ (target email): each letter shares a script with Han (Korean,
        // Japanese), but no one script has all three.
        assert!(!"中쾋ス子".is_single_script());
        assert_eq!(
            mixed_script("中쾋ス子"),
            Some(('ス', Script::Katakana, Script::Han))
        );
        assert_eq!(mixed_script("中쾋子"), None);
        assert_eq!(mixed_script("中ス子"), None);
    }

    #[test]
    fn combining_marks_of_different_scripts_without_a_letter_are_mixed() {
        // Found by fuzz/ (target email): an Arabic and a Latin-and-others combining mark,
        // both Inherited, so no script was counted and nothing was named.
        let part = "\u{64C}\u{300}";
        assert!(!part.is_single_script());
        assert_eq!(
            mixed_script(part),
            Some(('\u{300}', Script::Inherited, Script::Inherited))
        );
        assert_eq!(mixed_script("\u{300}\u{301}"), None);
        let (c, script, main) = mixed_script(part).expect("mixed");
        assert_eq!(
            mixing(c, script, main),
            "holds combining marks of different scripts (\"\u{300}\" (U+0300) is one) \
             with no letter under them"
        );
        assert!(
            mixing('о', Script::Cyrillic, Script::Latin).starts_with("mixes Latin and Cyrillic")
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
