//! Integration tests of the client: a real account-server on 127.0.0.1 port 0, real
//! HTTP, a real SQLite file per test.

mod calls;
mod events;
mod failures;
mod helpers;
