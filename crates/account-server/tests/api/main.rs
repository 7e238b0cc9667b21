//! Integration tests of the HTTP API: real server, real HTTP, real SQLite file per test.

mod account;
mod authz;
mod bad_input;
mod changes;
mod helpers;
mod openapi;
mod org;
mod preferences;
mod sessions;
