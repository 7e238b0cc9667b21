//! Integration tests of the HTTP API: real server, real HTTP, real SQLite file per test.

mod account;
mod alerts;
mod authz;
mod bad_input;
mod balance;
mod changes;
mod delivery;
mod helpers;
mod openapi;
mod org;
mod preferences;
mod routing;
mod sessions;
mod sinks;
mod stream;
