//! The page's starting data, embedded in `index.html` as it is served.
//!
//! Why: the first frame of the settings needs two answers, `app_state` (the cached
//! account, the sync state) and `reference_data` (calling codes, to show the phone
//! number). Asked over IPC, they are two round trips through the UI process's main
//! thread after the module graph has run, at the moment it is busiest with the new
//! window: the first frame waited ~9 ms for them. Served with the HTML, the page has
//! them the moment its entry module runs.
//!
//! How: the window's resource hook adds one `<script type="application/json"
//! id="boot-state">` element before `</head>` of the HTML document. A JSON data block
//! is not a script the page runs, so the strict CSP (`script-src 'self'`) is untouched.
//! `<`, `>` and `&` are written as JSON `\u` escapes, so no value (a name, an email)
//! can end the element or open markup. The page reads it once and removes it
//! (`ui/app.js`, `takeEmbeddedState`); after its first frame it asks `app_state` again
//! for whatever changed since, as it always did.
//!
//! When the cache cannot be read, nothing is embedded and the page asks over IPC, where
//! the error reaches it as a `{ code, message }` like any other.

use std::borrow::Cow;

use serde::Serialize;
use tauri::http;
use tauri::{AppHandle, Manager, Runtime};

use crate::desktop::Desktop;
use crate::payload::{AppStatePayload, ReferenceData};

/// The `id` of the element; `ui/app.js` reads it.
pub const ELEMENT_ID: &str = "boot-state";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Embedded {
    app_state: AppStatePayload,
    reference: ReferenceData,
}

/// The log target of the line written for every file the page requests.
pub const ASSET_LOG: &str = "account_desktop::assets";

/// The window's resource hook: embeds the starting data in the HTML document.
pub fn on_request<R: Runtime>(
    app: &AppHandle<R>,
    request: &http::Request<Vec<u8>>,
    response: &mut http::Response<Cow<'static, [u8]>>,
) {
    // Which files the page fetches, in order (the restart journey reads it to tell what
    // the first frame loads from what comes after it).
    tracing::debug!(target: ASSET_LOG, path = request.uri().path(), "page file requested");
    if !is_page(request, response) {
        return;
    }
    let desktop = app.state::<Desktop>();
    // The engine is open by now (it opens while the window is built, ~100 ms before the
    // page is requested); reading the cache takes well under a millisecond.
    let state = match wait_for(desktop.app_state()) {
        Ok(state) => state,
        Err(e) => {
            tracing::debug!(error = %e.message, "no starting data in the page");
            return;
        }
    };
    let embedded = Embedded {
        app_state: state,
        reference: ReferenceData::build(),
    };
    match embed(response.body(), &embedded) {
        Ok(page) => {
            response.headers_mut().remove(http::header::CONTENT_LENGTH);
            *response.body_mut() = Cow::Owned(page);
            tracing::info!("starting data embedded in the page");
        }
        Err(e) => tracing::warn!(error = %e, "the starting data could not be embedded"),
    }
}

/// Waits for `future` from the synchronous hook. Tauri calls the hook inside an asset
/// task on a worker of its multi-thread runtime, where blocking needs `block_in_place`;
/// outside any runtime it blocks on Tauri's.
fn wait_for<F: std::future::Future>(future: F) -> F::Output {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => tokio::task::block_in_place(|| handle.block_on(future)),
        Err(_) => tauri::async_runtime::block_on(future),
    }
}

/// The app's HTML document (not a module, a stylesheet or an IPC call).
fn is_page(
    request: &http::Request<Vec<u8>>,
    response: &http::Response<Cow<'static, [u8]>>,
) -> bool {
    let path = request.uri().path();
    (path == "/" || path == "/index.html")
        && response.status().is_success()
        && response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
}

/// Why the data could not go in the page.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("the page has no </head>")]
    NoHead,
    #[error("the data does not serialize: {0}")]
    Json(#[from] serde_json::Error),
}

/// `page` with a JSON data block of `data` inserted before its `</head>`.
pub fn embed(page: &[u8], data: &impl Serialize) -> Result<Vec<u8>, EmbedError> {
    const HEAD_END: &[u8] = b"</head>";
    let at = page
        .windows(HEAD_END.len())
        .position(|w| w == HEAD_END)
        .ok_or(EmbedError::NoHead)?;
    let json = serde_json::to_string(data)?;
    let mut out = Vec::with_capacity(page.len() + json.len() + 64);
    out.extend_from_slice(&page[..at]);
    out.extend_from_slice(b"<script type=\"application/json\" id=\"");
    out.extend_from_slice(ELEMENT_ID.as_bytes());
    out.extend_from_slice(b"\">");
    for c in json.chars() {
        match c {
            '<' => out.extend_from_slice(b"\\u003c"),
            '>' => out.extend_from_slice(b"\\u003e"),
            '&' => out.extend_from_slice(b"\\u0026"),
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out.extend_from_slice(b"</script>\n");
    out.extend_from_slice(&page[at..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &[u8] = b"<!doctype html><html><head><title>x</title></head><body></body></html>";

    fn block(page: &[u8]) -> String {
        let text = String::from_utf8(page.to_vec()).expect("utf-8");
        let start = text
            .find("<script type=\"application/json\" id=\"boot-state\">")
            .expect("the element");
        let end = text[start..].find("</script>").expect("its end") + start;
        text[start..end]
            .split_once('>')
            .expect("its start tag")
            .1
            .to_owned()
    }

    #[test]
    fn the_data_goes_in_the_head_and_reads_back() {
        let data = serde_json::json!({ "name": "Ana", "n": 3 });
        let page = embed(PAGE, &data).expect("embedded");
        let text = String::from_utf8(page.clone()).expect("utf-8");
        assert!(text.starts_with("<!doctype html><html><head><title>x</title><script"));
        assert!(text.ends_with("</script>\n</head><body></body></html>"));
        let back: serde_json::Value = serde_json::from_str(&block(&page)).expect("json");
        assert_eq!(back, data);
    }

    #[test]
    fn no_value_can_close_the_element_or_open_markup() {
        let hostile = "</script><script>alert(1)</script><!-- & -->";
        let data = serde_json::json!({ "name": hostile });
        let page = embed(PAGE, &data).expect("embedded");
        let inner = block(&page);
        assert!(!inner.contains('<') && !inner.contains('>') && !inner.contains('&'));
        // Exactly one element was added: the hostile text did not end it early.
        let text = String::from_utf8(page).expect("utf-8");
        assert_eq!(text.matches("</script>").count(), 1);
        let back: serde_json::Value = serde_json::from_str(&inner).expect("json");
        assert_eq!(back["name"], hostile);
    }

    #[test]
    fn text_outside_ascii_is_kept() {
        let data = serde_json::json!({ "org": "Müller & Söhne — 東京", "sep": "a\u{2028}b" });
        let page = embed(PAGE, &data).expect("embedded");
        let back: serde_json::Value = serde_json::from_str(&block(&page)).expect("json");
        assert_eq!(back, data);
    }

    #[test]
    fn a_page_without_a_head_is_refused() {
        let err = embed(b"<html><body></body></html>", &1).expect_err("no head");
        assert!(matches!(err, EmbedError::NoHead));
    }
}
