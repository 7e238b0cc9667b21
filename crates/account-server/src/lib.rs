//! The account backend of Account Settings.
//!
//! Layers, outermost first (each only calls the next):
//! - [`routes`]: axum handlers. They parse the request, call one service function and
//!   map its error; no SQL and no business rule lives there.
//! - [`service`]: the rules of the help page (re-authentication, verification codes,
//!   role checks, optimistic concurrency) written once, against the store.
//! - [`store`]: all SQL, one implementation per engine (SQLite, the embedded default;
//!   PostgreSQL, for several instances on one database) behind transaction traits.
//!
//! Everything a test needs to run the real thing on a port-0 listener with its own
//! database is public: [`Config`], [`App::spawn`], [`clock::ManualClock`].

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod delivery;
pub mod error;
pub mod openapi;
pub mod releases;
pub mod routes;
pub mod seed;
pub mod service;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use app::App;
pub use config::Config;
pub use error::AppError;
