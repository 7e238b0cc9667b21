//! The bundled text face (`ui/fonts`, see the note on `--font` in `ui/styles.css`) is
//! wired the way the first frame needs it: every `@font-face` names a WOFF2 file that
//! exists, carries no `unicode-range` and is preloaded by `index.html`; every file in
//! `ui/fonts` is used; the licence travels with the files; and every character of the
//! page's own text (catalogs, `index.html`) is inside the Latin subset shipped, so none
//! of it falls back to a system font lookup.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn ui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui")
}

fn read(rel: &str) -> String {
    let path = ui_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The files of `ui/<dir>` whose names end in `suffix`, as paths relative to `ui/`.
fn files_in(dir: &str, suffix: &str) -> BTreeSet<String> {
    std::fs::read_dir(ui_dir().join(dir))
        .unwrap_or_else(|e| panic!("ui/{dir}: {e}"))
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(suffix))
        .map(|name| format!("{dir}/{name}"))
        .collect()
}

/// The `@font-face` blocks of the stylesheet, as their bodies.
fn font_faces(css: &str) -> Vec<&str> {
    css.match_indices("@font-face")
        .map(|(at, _)| {
            let rest = &css[at..];
            let open = rest.find('{').expect("@font-face without a body");
            let close = rest.find('}').expect("@font-face without an end");
            &rest[open + 1..close]
        })
        .collect()
}

/// The value of `name: value;` inside a block, trimmed.
fn property<'a>(block: &'a str, name: &str) -> Option<&'a str> {
    block.split(';').find_map(|decl| {
        let (key, value) = decl.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// The first `url("…")` of a `src` value.
fn url(src: &str) -> &str {
    let start = src.find("url(").expect("src without url()") + 4;
    let rest = &src[start..];
    let end = rest.find(')').expect("unclosed url(");
    rest[..end].trim_matches(['"', '\''])
}

/// The `href` of every `<link rel="preload" as="font" …>`, checking its other attributes.
fn preloaded_fonts(html: &str) -> BTreeSet<String> {
    html.match_indices("<link")
        .map(|(at, _)| {
            let rest = &html[at..];
            &rest[..rest.find('>').expect("unclosed <link")]
        })
        .filter(|tag| tag.contains(r#"rel="preload""#) && tag.contains(r#"as="font""#))
        .map(|tag| {
            assert!(
                tag.contains(r#"type="font/woff2""#) && tag.contains("crossorigin"),
                "a font preload needs type=\"font/woff2\" and crossorigin (or the face \
                 fetches the file again): {tag}"
            );
            let start = tag.find(r#"href=""#).expect("preload without href") + 6;
            let end = tag[start..].find('"').expect("unclosed href") + start;
            tag[start..end].to_owned()
        })
        .collect()
}

/// The Latin subset of the shipped files (the ranges of `ui/fonts`' source, Fontsource's
/// `latin`): Basic Latin and Latin-1, ı, Œ œ, modifier letters, combining marks used by
/// the precomposed letters, general punctuation, €, ™, arrows ↑ ↓, minus, division slash,
/// the byte-order mark and the replacement character.
const LATIN_SUBSET: [(u32, u32); 19] = [
    (0x0000, 0x00FF),
    (0x0131, 0x0131),
    (0x0152, 0x0153),
    (0x02BB, 0x02BC),
    (0x02C6, 0x02C6),
    (0x02DA, 0x02DA),
    (0x02DC, 0x02DC),
    (0x0304, 0x0304),
    (0x0308, 0x0308),
    (0x0329, 0x0329),
    (0x2000, 0x206F),
    (0x20AC, 0x20AC),
    (0x2122, 0x2122),
    (0x2191, 0x2191),
    (0x2193, 0x2193),
    (0x2212, 0x2212),
    (0x2215, 0x2215),
    (0xFEFF, 0xFEFF),
    (0xFFFD, 0xFFFD),
];

fn in_subset(c: char) -> bool {
    let c = u32::from(c);
    LATIN_SUBSET.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

#[test]
fn every_face_is_a_shipped_preloaded_woff2_without_unicode_range() {
    let css = read("styles.css");
    let faces = font_faces(&css);
    assert!(!faces.is_empty(), "styles.css declares no @font-face");
    let mut urls = BTreeSet::new();
    let mut weights = BTreeSet::new();
    for face in &faces {
        let family = property(face, "font-family").expect("a face without font-family");
        assert_eq!(family.trim_matches(['"', '\'']), "Inter", "{face}");
        assert_eq!(property(face, "font-display"), Some("block"), "{face}");
        assert!(
            property(face, "unicode-range").is_none(),
            "with a unicode-range the first layout is as slow as with a system family \
             (see styles.css): {face}"
        );
        weights.insert(
            property(face, "font-weight")
                .expect("font-weight")
                .to_owned(),
        );
        let src = url(property(face, "src").expect("a face without src"));
        let bytes = std::fs::read(ui_dir().join(src))
            .unwrap_or_else(|e| panic!("{src}, named by styles.css: {e}"));
        assert!(bytes.starts_with(b"wOF2"), "{src} is not a WOFF2 file");
        urls.insert(src.to_owned());
    }
    assert_eq!(
        weights,
        BTreeSet::from(["400".to_owned(), "600".to_owned(), "700".to_owned()]),
        "one face for each weight of the type scale"
    );
    assert_eq!(
        preloaded_fonts(&read("index.html")),
        urls,
        "index.html preloads exactly the faces styles.css declares"
    );

    let shipped = files_in("fonts", ".woff2");
    assert_eq!(shipped, urls, "every file in ui/fonts is used by a face");
    assert!(
        read("fonts/OFL.txt").contains("SIL OPEN FONT LICENSE Version 1.1"),
        "the fonts' licence ships beside them"
    );
}

#[test]
fn the_page_text_is_inside_the_shipped_subset() {
    let mut outside = BTreeSet::new();
    let mut files = vec!["index.html".to_owned()];
    files.extend(files_in("i18n", ".js"));
    assert!(files.len() >= 7, "index.html and six catalogs: {files:?}");
    for file in &files {
        for c in read(file).chars().filter(|&c| !in_subset(c)) {
            outside.insert(format!("{c:?} (U+{:04X}) in {file}", u32::from(c)));
        }
    }
    assert!(
        outside.is_empty(),
        "characters outside the bundled Latin subset (each one costs a system font \
         lookup when shown): {outside:?}"
    );
}

#[test]
fn the_subset_check_tells_latin_from_the_rest() {
    for c in ['a', 'ñ', 'ß', 'œ', 'Œ', '€', '–', '“', '…'] {
        assert!(in_subset(c), "{c}");
    }
    for c in ['ł', '→', '✓', 'Ж', '中'] {
        assert!(!in_subset(c), "{c}");
    }
}
