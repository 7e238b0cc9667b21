//! The app's commands are named in four places that nothing else ties together: the
//! list `build.rs` makes permissions from (`commands.list`), the window's capability
//! (`capabilities/main.json`), the handler list (`generate_handler!` in `src/lib.rs`)
//! and the UI's `call("…")`s. A command missing from one of them fails only at run
//! time (refused by the capability, or unknown), so this test holds them to one set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn listed() -> BTreeSet<String> {
    read(&crate_dir().join("commands.list"))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn granted() -> BTreeSet<String> {
    let capability: serde_json::Value =
        serde_json::from_str(&read(&crate_dir().join("capabilities/main.json"))).expect("json");
    capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect()
}

fn handled() -> BTreeSet<String> {
    let lib = read(&crate_dir().join("src/lib.rs"));
    let start = lib
        .find("generate_handler![")
        .expect("generate_handler! in lib.rs");
    let list = &lib[start..];
    let list = &list[..list.find(']').expect("the handler list ends")];
    list.split(',')
        .filter_map(|item| item.trim().rsplit("::").next())
        .filter(|name| !name.is_empty() && !name.contains('['))
        .map(str::to_owned)
        .collect()
}

fn js_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("ui folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            js_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "js") {
            out.push(path);
        }
    }
}

/// Every `call("name"` of the UI; a `call(` with anything but a string literal fails
/// the test, since its command could not be checked.
fn called() -> BTreeSet<String> {
    let mut files = Vec::new();
    js_files(&crate_dir().join("../ui"), &mut files);
    let mut names = BTreeSet::new();
    for file in files {
        let text = read(&file);
        for (at, _) in text.match_indices("call(") {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue; // another function whose name ends in `call`, or a method
            }
            let rest = &text[at + "call(".len()..];
            if rest.starts_with("command") {
                continue; // api.js's own definition, `call(command, args)`
            }
            let name = rest
                .strip_prefix('"')
                .and_then(|r| r.split_once('"'))
                .map(|(name, _)| name)
                .unwrap_or_else(|| {
                    panic!("{}: a call( whose command is not a literal", file.display())
                });
            names.insert(name.to_owned());
        }
    }
    names
}

#[test]
fn the_command_list_the_capability_the_handlers_and_the_ui_name_the_same_commands() {
    let listed = listed();
    assert!(listed.len() >= 20, "commands.list has only {listed:?}");
    assert!(listed.contains("confirm_phone_change"));
    for (place, found) in [
        ("capabilities/main.json", granted()),
        ("generate_handler! in src/lib.rs", handled()),
        ("the UI's call(\"…\")s", called()),
    ] {
        let missing: Vec<_> = listed.difference(&found).collect();
        let extra: Vec<_> = found.difference(&listed).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{place} differs from commands.list: missing {missing:?}, not listed {extra:?}"
        );
    }
}
