//! What a call to the backend can end in, besides success.
//!
//! The desktop must tell three situations apart because it reacts differently to each:
//! - [`ClientError::Network`]: the server was not reached or did not answer in time.
//!   Nothing is known about whether the request took effect; the app goes offline and
//!   keeps queued edits for later.
//! - [`ClientError::Refused`]: the server answered 4xx with the product's [`ErrorCode`],
//!   message and details. Retrying the same request will not help; the UI branches on
//!   the code.
//! - [`ClientError::Server`]: the server answered 5xx. Transient from the client's point
//!   of view; retried where the call is safe to repeat.
//!
//! [`ClientError::Protocol`] covers answers that do not fit the API (a body that does not
//! parse): a bug on one side, never a user error.

use account_model::{ErrorBody, ErrorCode};

/// Why the server could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkFailure {
    /// No connection could be made (refused, unreachable, DNS, TLS handshake).
    Connect,
    /// Connected, but no complete answer arrived before the call's timeout.
    Timeout,
    /// The connection broke mid-request or mid-response.
    Interrupted,
}

/// A 4xx answer: the server understood the request and refused it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub code: ErrorCode,
    pub message: String,
    /// Seconds until the same request may succeed (rate limits, cooldowns, lockouts).
    pub retry_after_seconds: Option<u64>,
    /// Structured extras: `{ fields, current }` for `version_conflict`, `{ score }` for
    /// password refusals.
    pub details: Option<serde_json::Value>,
}

impl Refusal {
    pub(crate) fn from_body(status: u16, body: ErrorBody) -> Self {
        Self {
            status,
            code: body.code,
            message: body.message,
            retry_after_seconds: body.retry_after_seconds,
            details: body.details,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the server could not be reached ({failure:?}): {source}")]
    Network {
        failure: NetworkFailure,
        #[source]
        source: reqwest::Error,
    },
    #[error("{}: {}", .0.code, .0.message)]
    Refused(Box<Refusal>),
    #[error("the server failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    #[error("the server's answer does not fit the API: {0}")]
    Protocol(String),
    #[error("the client could not be built: {0}")]
    Setup(String),
}

impl ClientError {
    /// The product's error code for this failure; network failures and answers that do
    /// not fit are reported as `internal`, since no code came from the server.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code,
            _ => ErrorCode::Internal,
        }
    }

    /// The refusal, when the server answered 4xx.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            Self::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// True when the server was not reached: the caller should consider itself offline.
    pub fn is_network(&self) -> bool {
        matches!(self, Self::Network { .. })
    }

    /// True when repeating the same request later may succeed (network or 5xx).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Network { .. } | Self::Server { .. })
    }

    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        let failure = if e.is_timeout() {
            NetworkFailure::Timeout
        } else if e.is_connect() {
            NetworkFailure::Connect
        } else if e.is_decode() {
            return Self::Protocol(e.to_string());
        } else if e.is_builder() {
            return Self::Setup(e.to_string());
        } else {
            NetworkFailure::Interrupted
        };
        Self::Network { failure, source: e }
    }
}
