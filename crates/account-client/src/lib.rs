//! A typed async client for the account backend's HTTP API (`/v1`).
//!
//! Contract:
//! - One method per endpoint; each returns `account-model` types or a [`ClientError`]
//!   that keeps the server's [`ErrorCode`](account_model::ErrorCode), message and
//!   details, and tells "not reached" apart from "refused" and "server failed".
//! - Every call has a timeout (connect and whole-call, from [`ClientConfig`]).
//! - Retries with exponential backoff and jitter happen only where repeating cannot
//!   apply a change twice: `GET`s, and the preferences `PATCH` when it carries an
//!   [`IdempotencyKey`] (the server replays its first answer for a repeated key). They
//!   happen only on network failures and 5xx answers; a 4xx is final.
//! - Tokens are [`SecretString`](secrecy::SecretString)s: never logged, redacted in
//!   `Debug`, sent only in the `Authorization` header (which reqwest marks sensitive).
//! - TLS is the OS's own (native-tls: OpenSSL on Linux, SChannel on Windows,
//!   Security.framework on macOS), 1.2 at least, certificates checked against the OS trust
//!   store. Linked, not carried: the desktop binary is 0.7 MiB smaller than with rustls,
//!   and TLS fixes arrive with the OS's updates. The server keeps rustls (it has no OS
//!   stack to lean on in a container).
//!
//! - The live event stream (`/v1/events`) is consumed by a background task that
//!   reconnects with backoff and resumes with `Last-Event-ID`; see [`EventStream`].

mod client;
mod error;
mod events;

pub use client::{AccountFetch, Client, ClientConfig, ETag, IdempotencyKey, SignedIn};
pub use error::{ClientError, NetworkFailure, Refusal};
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use events::parse_sse;
pub use events::{Disconnect, EventStream, EventStreamConfig, StreamEnd, StreamItem};
