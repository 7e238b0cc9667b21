//! A Tauri plugin used from Rust alone, without the script it would put in the page.
//!
//! Why: the app raises its notifications from Rust (`native_alert.rs`; the plugin is
//! used on Windows and macOS), so the page never uses the notification plugin, and its capability grants none of the plugin's
//! commands. The plugin still adds a script to every page start: it replaces
//! `window.Notification` and asks `plugin:notification|is_permission_granted` over IPC
//! at once, a call the capability then refuses. That is one more IPC round trip through
//! the main thread while the window loads, for nothing. [`RustOnly`] forwards every
//! part of a plugin to it except that script.

use tauri::ipc::Invoke;
use tauri::plugin::Plugin;
use tauri::webview::PageLoadPayload;
use tauri::{AppHandle, RunEvent, Runtime, Webview, Window};

/// `plugin` without its page script; everything else (setup, commands, events) as is.
pub struct RustOnly<P>(pub P);

impl<P> std::fmt::Debug for RustOnly<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RustOnly(..)")
    }
}

impl<R: Runtime, P: Plugin<R>> Plugin<R> for RustOnly<P> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn initialize(
        &mut self,
        app: &AppHandle<R>,
        config: serde_json::Value,
    ) -> Result<(), Box<dyn std::error::Error>> {
        self.0.initialize(app, config)
    }

    /// The point of the wrapper: no script. (`initialization_script_2`, which Tauri
    /// reads, defaults to this one.)
    fn initialization_script(&self) -> Option<String> {
        None
    }

    fn window_created(&mut self, window: Window<R>) {
        self.0.window_created(window);
    }

    fn webview_created(&mut self, webview: Webview<R>) {
        self.0.webview_created(webview);
    }

    fn on_navigation(&mut self, webview: &Webview<R>, url: &tauri::Url) -> bool {
        self.0.on_navigation(webview, url)
    }

    fn on_page_load(&mut self, webview: &Webview<R>, payload: &PageLoadPayload<'_>) {
        self.0.on_page_load(webview, payload);
    }

    fn on_event(&mut self, app: &AppHandle<R>, event: &RunEvent) {
        self.0.on_event(app, event);
    }

    fn extend_api(&mut self, invoke: Invoke<R>) -> bool {
        self.0.extend_api(invoke)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_plugin_keeps_its_name_and_loses_its_page_script() {
        let probe = || {
            tauri::plugin::Builder::<tauri::Wry>::new("probe")
                .js_init_script("window.probe = true;".to_owned())
                .build()
        };
        let plain = probe();
        assert!(
            Plugin::<tauri::Wry>::initialization_script(&plain).is_some(),
            "the plugin has a page script to drop"
        );
        let wrapped = RustOnly(probe());
        assert_eq!(Plugin::<tauri::Wry>::name(&wrapped), "probe");
        assert!(Plugin::<tauri::Wry>::initialization_script(&wrapped).is_none());
        assert!(Plugin::<tauri::Wry>::initialization_script_2(&wrapped).is_none());
    }
}
