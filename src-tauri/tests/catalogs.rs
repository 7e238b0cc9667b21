//! The UI's six message catalogs (`ui/i18n/<lang>.js`) are complete: the same keys in
//! every language, no empty text, the same `{placeholders}` as English, and every key
//! the page uses (`data-i18n*` attributes, `t("…")` calls) exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LANGUAGES: [&str; 6] = ["en", "es", "fr", "de", "it", "pt"];

fn ui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui")
}

/// A catalog file is `export default { …JSON… };`.
fn catalog(lang: &str) -> BTreeMap<String, String> {
    let path = ui_dir().join(format!("i18n/{lang}.js"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json = text
        .trim()
        .strip_prefix("export default")
        .and_then(|t| t.trim().strip_suffix(';'))
        .unwrap_or_else(|| panic!("{} is not `export default {{…}};`", path.display()));
    serde_json::from_str(json).unwrap_or_else(|e| {
        panic!(
            "{} is not a flat JSON object of strings: {e}",
            path.display()
        )
    })
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .filter(|name| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .collect()
}

#[test]
fn every_catalog_has_every_key_with_the_same_placeholders() {
    let en = catalog("en");
    assert!(
        en.len() > 100,
        "the English catalog has only {} keys",
        en.len()
    );
    let mut problems = Vec::new();
    for lang in LANGUAGES {
        let other = catalog(lang);
        for key in en.keys() {
            match other.get(key) {
                None => problems.push(format!("{lang}: missing {key}")),
                Some(text) if text.trim().is_empty() => {
                    problems.push(format!("{lang}: empty {key}"))
                }
                Some(text) if placeholders(text) != placeholders(&en[key]) => {
                    problems.push(format!(
                        "{lang}: {key} has placeholders {:?}, English has {:?}",
                        placeholders(text),
                        placeholders(&en[key])
                    ))
                }
                Some(_) => {}
            }
        }
        for key in other.keys().filter(|k| !en.contains_key(*k)) {
            problems.push(format!("{lang}: {key} is not in the English catalog"));
        }
    }
    assert!(
        problems.is_empty(),
        "catalog problems:\n{}",
        problems.join("\n")
    );
}

/// The quoted string right after each occurrence of `marker`.
fn quoted_after(text: &str, marker: &str) -> Vec<String> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            let quote = rest
                .chars()
                .next()
                .filter(|c| matches!(c, '"' | '\'' | '`'))?;
            let body = &rest[1..];
            let end = body.find(quote)?;
            let key = &body[..end];
            (!key.contains("${") && !key.is_empty()).then(|| key.to_owned())
        })
        .collect()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("ui folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "i18n") {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "js" || e == "html") {
            out.push(path);
        }
    }
}

#[test]
fn every_key_the_page_uses_exists() {
    let en = catalog("en");
    let mut files = Vec::new();
    sources(&ui_dir(), &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("index.html")),
        "ui/index.html is missing"
    );
    let mut used = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for marker in [
            "data-i18n=",
            "data-i18n-placeholder=",
            "data-i18n-aria-label=",
            "data-i18n-title=",
            " t(",
            "(t(",
            "[t(",
            "{t(",
            "=t(",
        ] {
            for key in quoted_after(&text, marker) {
                used.insert((key, file.display().to_string()));
            }
        }
    }
    assert!(
        used.len() > 50,
        "found only {} catalog keys used by the page",
        used.len()
    );
    let missing: Vec<_> = used
        .iter()
        .filter(|(key, _)| !en.contains_key(key))
        .map(|(key, file)| format!("{key} (used in {file})"))
        .collect();
    assert!(
        missing.is_empty(),
        "keys used but not in ui/i18n/en.js:\n{}",
        missing.join("\n")
    );
}

/// A conflict or a refusal names the fields it dropped (`field.<name>` in the UI's
/// message); every preference field of the shared vocabulary needs those words.
#[test]
fn every_preference_field_has_its_name_in_every_catalog() {
    let mut missing = Vec::new();
    for lang in LANGUAGES {
        let catalog = catalog(lang);
        for field in account_model::PrefField::ALL {
            let key = format!("field.{}", field.name());
            if !catalog.contains_key(&key) {
                missing.push(format!("{lang}: {key}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "missing field names:\n{}",
        missing.join("\n")
    );
}
