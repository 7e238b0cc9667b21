//! The one error vocabulary of the product.
//!
//! Every refusal, from the server through the HTTP client and the desktop commands to
//! the UI, is an [`ErrorCode`] (snake_case on the wire) plus a human message. Callers
//! branch on the code, never on the message: messages are English hints for logs and
//! API users, the UI shows its own localized text for each code.

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($variant:ident => $name:literal,)*) => {
        /// What went wrong, as a stable machine-readable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, for exhaustive checks (catalog completeness, docs).
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant,)*];

            /// The snake_case name used on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

error_codes! {
    MalformedJson => "malformed_json",
    InvalidRequest => "invalid_request",
    UnsupportedMediaType => "unsupported_media_type",
    PayloadTooLarge => "payload_too_large",
    NotFound => "not_found",
    MethodNotAllowed => "method_not_allowed",
    InvalidEmail => "invalid_email",
    EmailConfusable => "email_confusable",
    InvalidPhone => "invalid_phone",
    PhoneCountryNotAllowed => "phone_country_not_allowed",
    PasswordTooShort => "password_too_short",
    PasswordTooLong => "password_too_long",
    PasswordTooCommon => "password_too_common",
    PasswordTooWeak => "password_too_weak",
    PasswordContainsPersonalInfo => "password_contains_personal_info",
    PasswordMismatch => "password_mismatch",
    PasswordUnchanged => "password_unchanged",
    InvalidLanguage => "invalid_language",
    InvalidCountry => "invalid_country",
    InvalidTimeZone => "invalid_time_zone",
    InvalidThreshold => "invalid_threshold",
    InvalidChannel => "invalid_channel",
    PhoneRequired => "phone_required",
    InvalidRole => "invalid_role",
    InvalidDeviceName => "invalid_device_name",
    Unauthenticated => "unauthenticated",
    InvalidCredentials => "invalid_credentials",
    WrongPassword => "wrong_password",
    TooManyAttempts => "too_many_attempts",
    Forbidden => "forbidden",
    LastOwner => "last_owner",
    EmailTaken => "email_taken",
    EmailUnchanged => "email_unchanged",
    PhoneUnchanged => "phone_unchanged",
    NoPendingChange => "no_pending_change",
    CodeInvalid => "code_invalid",
    CodeExpired => "code_expired",
    CodeAttemptsExceeded => "code_attempts_exceeded",
    ResendTooSoon => "resend_too_soon",
    SendLimitReached => "send_limit_reached",
    VersionConflict => "version_conflict",
    IdempotencyKeyReused => "idempotency_key_reused",
    Internal => "internal",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The document's `ErrorCode`: the wire names from [`ErrorCode::as_str`], the same
/// function serde's names are checked against (the derive cannot read a name passed
/// through `macro_rules!`, and documented the Rust variant names).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("What went wrong, as a stable machine-readable code."))
            .enum_values(Some(Self::ALL.iter().map(|code| code.as_str())))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for ErrorCode {}

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds until the same request may succeed (rate limits, cooldowns, lockouts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// Extra structured data for some codes: the current account for `version_conflict`,
    /// the zxcvbn score for password refusals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub details: Option<serde_json::Value>,
}

/// A refusal to build a domain value from input: the code plus a specific message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ParseError {
    pub code: ErrorCode,
    pub message: String,
}

impl ParseError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_on_the_wire_and_round_trip() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).expect("serializes");
            let name = json.trim_matches('"');
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            assert_eq!(code.to_string(), name);
            let back: ErrorCode = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, *code);
        }
    }

    #[test]
    fn all_lists_every_code_once() {
        let unique: std::collections::HashSet<_> = ErrorCode::ALL.iter().collect();
        assert_eq!(unique.len(), ErrorCode::ALL.len());
        assert_eq!(ErrorCode::WrongPassword.as_str(), "wrong_password");
    }
}
