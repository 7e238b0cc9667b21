//! The one error shape the UI receives: `{ code, message }` (plus `retryAfterSeconds`
//! when the server gave one). `code` is the shared [`ErrorCode`] vocabulary, or one of
//! the app's own states the server never sends: `offline` (the operation needs the
//! server and it is not reachable) and `signed_out`. The UI picks its localized text
//! by `code`; `message` is English detail for logs and support.

use account_model::{ErrorCode, ParseError};
use desktop_core::CoreError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UiError {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

impl UiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            retry_after_seconds: None,
        }
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal.as_str(), message.to_string())
    }
}

impl From<CoreError> for UiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Offline { .. } => Self::new("offline", e.to_string()),
            CoreError::SignedOut => Self::new("signed_out", e.to_string()),
            CoreError::Refused(r) => Self {
                code: r.code.as_str().to_owned(),
                message: r.message,
                retry_after_seconds: r.retry_after_seconds,
            },
            other => {
                tracing::error!(error = %other, "command failed");
                Self::new(other.code().as_str(), other.to_string())
            }
        }
    }
}

impl From<ParseError> for UiError {
    fn from(e: ParseError) -> Self {
        Self::new(e.code.as_str(), e.message)
    }
}

pub type UiResult<T> = Result<T, UiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_and_signed_out_get_their_own_codes() {
        assert_eq!(UiError::from(CoreError::SignedOut).code, "signed_out");
        let parse = ParseError::new(ErrorCode::InvalidCountry, "\"XX\" is not a country");
        let ui = UiError::from(parse);
        assert_eq!(ui.code, "invalid_country");
        assert_eq!(
            serde_json::to_value(&ui).expect("json"),
            serde_json::json!({ "code": "invalid_country", "message": "\"XX\" is not a country" })
        );
    }
}
