//! The one error shape the UI receives: `{ code, message }` (plus `retryAfterSeconds`
//! when the server gave one). `code` is a [`UiCode`]: the shared [`ErrorCode`]
//! vocabulary, or one of the app's own states the server never sends. The UI picks
//! its localized text by `code` (`error.<code>` in every catalog, checked by the tests
//! below in both directions); `message` is English detail for logs and support.
//!
//! Two codes both send the user to the sign-in screen, and stay two because the user is
//! told different things: `unauthenticated` is the server refusing the session (revoked
//! from another device, expired): "your session has ended"; `signed_out` is this device
//! holding no session for the server at all (never signed in, signed out, or the cache
//! belongs to another server address): "you're signed out".

use account_model::{ErrorCode, ParseError};
use desktop_core::CoreError;
use serde::{Serialize, Serializer};

/// What the UI branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UiCode {
    /// The server's refusal, or a local check that mirrors one of its rules.
    Server(ErrorCode),
    /// The operation needs the server and it is not reachable.
    Offline,
    /// No session on this device for this server.
    SignedOut,
    /// The server address typed on the sign-in screen is not one the app may use.
    InvalidServerUrl,
    /// The OS refused to add or remove the app's login start (see `login_start`).
    LoginStartFailed,
    /// An update could not be checked for, downloaded or installed (see `updates`).
    UpdateFailed,
    /// An update was refused: not signed by the app's key, or offered over plain http.
    UpdateRefused,
}

impl UiCode {
    /// The app's own codes, beside every [`ErrorCode`].
    pub const LOCAL: [UiCode; 6] = [
        Self::Offline,
        Self::SignedOut,
        Self::InvalidServerUrl,
        Self::LoginStartFailed,
        Self::UpdateFailed,
        Self::UpdateRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server(code) => code.as_str(),
            Self::Offline => "offline",
            Self::SignedOut => "signed_out",
            Self::InvalidServerUrl => "invalid_server_url",
            Self::LoginStartFailed => "login_start_failed",
            Self::UpdateFailed => "update_failed",
            Self::UpdateRefused => "update_refused",
        }
    }

    /// Every code the UI can receive.
    pub fn all() -> impl Iterator<Item = UiCode> {
        ErrorCode::ALL
            .iter()
            .copied()
            .map(Self::Server)
            .chain(Self::LOCAL)
    }
}

impl Serialize for UiCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiError {
    pub code: UiCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

impl UiError {
    pub fn new(code: UiCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_seconds: None,
        }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(UiCode::Server(ErrorCode::Internal), message.to_string())
    }
}

impl From<CoreError> for UiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Offline { .. } => Self::new(UiCode::Offline, e.to_string()),
            CoreError::SignedOut => Self::new(UiCode::SignedOut, e.to_string()),
            CoreError::Refused(r) => Self {
                code: UiCode::Server(r.code),
                message: r.message,
                retry_after_seconds: r.retry_after_seconds,
            },
            other => {
                tracing::error!(error = %other, "command failed");
                Self::new(UiCode::Server(other.code()), other.to_string())
            }
        }
    }
}

impl From<ParseError> for UiError {
    fn from(e: ParseError) -> Self {
        Self::new(UiCode::Server(e.code), e.message)
    }
}

pub type UiResult<T> = Result<T, UiError>;

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    use super::*;

    /// `error.*` keys of the catalogs that are not codes: the UI's own form checks and
    /// wording, never sent by the app's Rust side.
    const UI_ONLY: [&str; 5] = [
        "generic",
        "retryAfter",
        "required",
        "code_format",
        "choose_country",
    ];

    fn error_keys(lang: &str) -> BTreeSet<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../ui/i18n/{lang}.js"));
        let text = std::fs::read_to_string(&path).expect("catalog");
        let json = text
            .trim()
            .strip_prefix("export default")
            .and_then(|t| t.trim().strip_suffix(';'))
            .expect("export default {…};");
        let catalog: BTreeMap<String, String> = serde_json::from_str(json).expect("json");
        catalog
            .into_keys()
            .filter_map(|k| k.strip_prefix("error.").map(str::to_owned))
            .collect()
    }

    #[test]
    fn every_code_the_ui_can_receive_has_its_words_and_every_error_text_a_code() {
        let codes: BTreeSet<&str> = UiCode::all().map(UiCode::as_str).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len() + UiCode::LOCAL.len());
        for lang in ["en", "es", "fr", "de", "it", "pt"] {
            let keys = error_keys(lang);
            let unspoken: Vec<_> = codes.iter().filter(|c| !keys.contains(**c)).collect();
            assert!(
                unspoken.is_empty(),
                "{lang}: no error.<code> text for {unspoken:?}"
            );
            let dead: Vec<_> = keys
                .iter()
                .filter(|k| !codes.contains(k.as_str()) && !UI_ONLY.contains(&k.as_str()))
                .collect();
            assert!(dead.is_empty(), "{lang}: error texts of no code: {dead:?}");
        }
    }

    #[test]
    fn offline_and_signed_out_get_their_own_codes() {
        assert_eq!(UiError::from(CoreError::SignedOut).code, UiCode::SignedOut);
        let parse = ParseError::new(ErrorCode::InvalidCountry, "\"XX\" is not a country");
        let ui = UiError::from(parse);
        assert_eq!(ui.code, UiCode::Server(ErrorCode::InvalidCountry));
        assert_eq!(
            serde_json::to_value(&ui).expect("json"),
            serde_json::json!({ "code": "invalid_country", "message": "\"XX\" is not a country" })
        );
        assert_eq!(
            serde_json::to_value(UiCode::InvalidServerUrl).expect("json"),
            "invalid_server_url"
        );
    }
}
