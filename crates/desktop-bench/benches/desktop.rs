//! `cargo bench -p desktop-bench --bench desktop` (part of `make bench`): the app's launch
//! → first paint, idle memory and stripped size beside a minimal Tauri window, printed,
//! never asserted. See the `desktop_bench` crate for how each figure is taken.

fn main() -> anyhow::Result<()> {
    desktop_bench::run()
}
