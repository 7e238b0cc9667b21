//! Integration tests of the HTTP API: real server, real HTTP, a database of its own per
//! test. Every test runs twice from the same body, once per engine (`name::sqlite`,
//! `name::postgres`); `cluster` holds what only several instances on PostgreSQL show.

/// Runs an async test body once on SQLite and once on PostgreSQL, as
/// `name::sqlite` and `name::postgres`; the body gets the engine as `$engine`.
macro_rules! engine_test {
    ($(#[$meta:meta])* async fn $name:ident($engine:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            async fn run($engine: account_server::store::Engine) $body

            #[tokio::test]
            async fn sqlite() {
                run(account_server::store::Engine::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                run(account_server::store::Engine::Postgres).await
            }
        }
    };
}

mod account;
mod alerts;
mod authz;
mod bad_input;
mod balance;
mod changes;
mod cluster;
mod delivery;
mod helpers;
mod import;
mod lookalikes;
mod openapi;
mod org;
mod preferences;
mod retention;
mod routing;
// The wire contract, tested from the Linux host: Schemathesis is a host program, which
// the Windows build of these tests (run under Wine) cannot start. The server's behaviour
// on Windows is covered by every other test here.
#[cfg(not(windows))]
mod schemathesis;
mod sessions;
mod store;
mod stream;
