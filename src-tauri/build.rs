//! Generates the Tauri context and the permission set for the app's own commands: every
//! command must be named here, and a capability must grant it, or the UI cannot call it.

fn main() {
    let commands = include_str!("commands.list")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect::<Vec<_>>()
        .leak();
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri-build failed");
}
