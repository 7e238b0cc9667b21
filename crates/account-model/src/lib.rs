//! The vocabulary every part of Account Settings shares: validated domain values,
//! the HTTP API's wire types, the one [`ErrorCode`] enum, and the message catalogs.
//!
//! Parse, don't validate: an [`Email`], [`DisplayName`], [`PhoneNumber`], [`Password`],
//! [`Language`], [`Country`], [`TimeZone`], [`Channels`] or [`Threshold`] can only be
//! built through a constructor that checks it and says precisely what is wrong. Code
//! holding one never re-checks it. This crate does no I/O.

mod contact;
pub mod dto;
mod email;
mod error;
pub mod i18n;
mod locale;
mod lookalike;
mod name;
pub mod password;
mod phone;
pub mod preferences;
mod prefs;
mod role;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod url;

pub use contact::{ChangeKind, NewContact};
pub use email::Email;
pub use error::{ErrorBody, ErrorCode, ParseError};
pub use locale::{Country, Language, TimeZone};
pub use name::DisplayName;
pub use password::{Owner, Password, Refusal, Strength};
pub use phone::{PhoneNumber, precheck as precheck_phone};
pub use preferences::{PrefChange, PrefField, PrefInput, PreferencesUpdate};
pub use prefs::{
    Channel, Channels, Currency, MAX_ADJUSTMENT_MINOR, MAX_THRESHOLD_MINOR, NoticeKind, Threshold,
};
pub use role::{Permission, Role};
