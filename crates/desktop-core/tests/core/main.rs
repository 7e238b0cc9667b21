//! Integration tests of the desktop core: a real account-server on 127.0.0.1 (stopped
//! and restarted on the same port and database file), a real cache file per test, the
//! real OS keyring when the session allows it, and a helper process killed with SIGKILL.

mod crash;
mod helpers;
mod keyring;
mod live;
mod sync;
