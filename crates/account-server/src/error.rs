//! The server's one error type and how it becomes an HTTP response.
//!
//! Every refusal carries an [`ErrorCode`]; the status code is derived from it here and
//! nowhere else. Internal failures keep their cause for the log (written once, with the
//! whole chain) and answer with an opaque `internal` body.

use account_model::{ErrorBody, ErrorCode, ParseError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub retry_after_seconds: Option<u64>,
    pub details: Option<serde_json::Value>,
    source: Option<anyhow::Error>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_seconds: None,
            details: None,
            source: None,
        }
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(source.into()),
            ..Self::new(ErrorCode::Internal, "something went wrong on our side")
        }
    }

    pub fn retry_after(mut self, seconds: i64) -> Self {
        self.retry_after_seconds = Some(seconds.max(1) as u64);
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "sign in first: the session is missing, expired or revoked",
        )
    }

    pub fn forbidden(what: &str) -> Self {
        Self::new(
            ErrorCode::Forbidden,
            format!("your role does not allow you to {what}"),
        )
    }

    pub fn status(&self) -> StatusCode {
        use ErrorCode::*;
        match self.code {
            MalformedJson => StatusCode::BAD_REQUEST,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            NotFound | NoPendingChange => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Unauthenticated | InvalidCredentials => StatusCode::UNAUTHORIZED,
            WrongPassword | Forbidden => StatusCode::FORBIDDEN,
            TooManyAttempts | ResendTooSoon | SendLimitReached => StatusCode::TOO_MANY_REQUESTS,
            LastOwner | EmailTaken | VersionConflict => StatusCode::CONFLICT,
            CodeExpired | CodeAttemptsExceeded => StatusCode::GONE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
            InvalidRequest
            | InvalidEmail
            | EmailConfusable
            | InvalidPhone
            | PhoneCountryNotAllowed
            | PasswordTooShort
            | PasswordTooLong
            | PasswordTooCommon
            | PasswordTooWeak
            | PasswordContainsPersonalInfo
            | PasswordMismatch
            | PasswordUnchanged
            | InvalidLanguage
            | InvalidCountry
            | InvalidTimeZone
            | InvalidThreshold
            | InvalidChannel
            | PhoneRequired
            | InvalidRole
            | InvalidDeviceName
            | EmailUnchanged
            | PhoneUnchanged
            | CodeInvalid
            | IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: self.message.clone(),
            retry_after_seconds: self.retry_after_seconds,
            details: self.details.clone(),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The cause of an internal failure, so the CLI (anyhow's `{:#}`) and the logs show
/// the whole chain; a refusal has none.
impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e.as_ref() as _)
    }
}

impl From<ParseError> for AppError {
    fn from(e: ParseError) -> Self {
        Self::new(e.code, e.message)
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Some(source) = &self.source {
            tracing::error!(error = ?source, "request failed");
        }
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_seconds
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_client_or_server_error_status() {
        for code in ErrorCode::ALL {
            let status = AppError::new(*code, "x").status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code}"
            );
            assert_eq!(
                status.is_server_error(),
                *code == ErrorCode::Internal,
                "{code}"
            );
        }
    }

    #[test]
    fn an_internal_error_shows_its_cause_chain_but_a_refusal_has_none() {
        let io = std::io::Error::other("disk full");
        let err = AppError::internal(anyhow::Error::new(io).context("writing the outbox"));
        let cause = std::error::Error::source(&err).expect("a cause");
        assert_eq!(cause.to_string(), "writing the outbox");
        assert_eq!(
            cause.source().map(ToString::to_string).as_deref(),
            Some("disk full")
        );
        assert_eq!(
            format!("{:#}", anyhow::Error::new(err)),
            "internal: something went wrong on our side: writing the outbox: disk full"
        );
        assert!(std::error::Error::source(&AppError::unauthenticated()).is_none());
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = AppError::internal(anyhow::anyhow!("disk /secret/path is full"));
        let body = err.body();
        assert_eq!(body.code, ErrorCode::Internal);
        assert!(!body.message.contains("secret"));
    }
}
