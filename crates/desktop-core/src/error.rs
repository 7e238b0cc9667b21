//! The desktop core's errors. Each says what the UI should do: sign in, wait for the
//! network, show the server's refusal (by its [`ErrorCode`]), or report a local fault.

use account_client::{ClientError, Refusal};
use account_model::{ErrorCode, ParseError};

use crate::cache::CacheError;
use crate::tokens::TokenStoreError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The operation needs the server and it is not reachable. Password, email and phone
    /// changes are never queued, so they end here while offline.
    #[error("you are offline: {operation} needs a connection to the server; try again when online")]
    Offline {
        operation: &'static str,
        #[source]
        cause: ClientError,
    },
    #[error("not signed in")]
    SignedOut,
    /// The server (or a local check mirroring it) refused the request.
    #[error("{}: {}", .0.code, .0.message)]
    Refused(Box<Refusal>),
    #[error(transparent)]
    Server(ClientError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Keyring(#[from] TokenStoreError),
    #[error("a background task failed: {0}")]
    Task(String),
}

impl CoreError {
    /// The product's code: the server's for refusals, `unauthenticated` when signed out,
    /// `internal` otherwise. Offline has no code in the shared vocabulary yet: check
    /// [`CoreError::is_offline`].
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code,
            Self::SignedOut => ErrorCode::Unauthenticated,
            _ => ErrorCode::Internal,
        }
    }

    pub fn is_offline(&self) -> bool {
        matches!(self, Self::Offline { .. })
    }

    pub(crate) fn from_client(operation: &'static str, e: ClientError) -> Self {
        match e {
            ClientError::Refused(r) => Self::Refused(r),
            e if e.is_network() => Self::Offline {
                operation,
                cause: e,
            },
            e => Self::Server(e),
        }
    }

    /// A local refusal that mirrors the server's rule, so the user hears it at once.
    pub(crate) fn local(e: ParseError, status: u16) -> Self {
        Self::Refused(Box::new(Refusal {
            status,
            code: e.code,
            message: e.message,
            retry_after_seconds: None,
            details: None,
        }))
    }
}

impl From<tokio::task::JoinError> for CoreError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Task(e.to_string())
    }
}
