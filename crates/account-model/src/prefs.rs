//! Notification channels, money and the low-balance threshold.
//!
//! Each kind of notice allows its own channels: contact-import updates and billing
//! notices go by email or SMS; the low-balance alert may also be a desktop notification
//! (raised by the app itself, fed by the event stream). `Channels` is built against the
//! set a notice allows, so "desktop" for billing notices is refused at the edge.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ParseError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Desktop,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Desktop => "desktop",
        }
    }

    fn parse(input: &str) -> Option<Self> {
        match input {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            "desktop" => Some(Self::Desktop),
            _ => None,
        }
    }
}

/// Which kind of notice a channel set is for; decides which channels are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    ContactImports,
    Billing,
    LowBalance,
}

impl NoticeKind {
    pub fn allowed(self) -> &'static [Channel] {
        match self {
            Self::ContactImports | Self::Billing => &[Channel::Email, Channel::Sms],
            Self::LowBalance => &[Channel::Email, Channel::Sms, Channel::Desktop],
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::ContactImports => "contact-import updates",
            Self::Billing => "billing notices",
            Self::LowBalance => "the low-balance alert",
        }
    }
}

/// A set of channels (possibly empty: "don't notify me"), sorted, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Channels(BTreeSet<Channel>);

impl Channels {
    pub fn parse<S: AsRef<str>>(kind: NoticeKind, input: &[S]) -> Result<Self, ParseError> {
        let mut set = BTreeSet::new();
        for raw in input {
            let raw = raw.as_ref();
            let channel = Channel::parse(raw)
                .filter(|c| kind.allowed().contains(c))
                .ok_or_else(|| {
                    let allowed: Vec<_> = kind.allowed().iter().map(|c| c.as_str()).collect();
                    ParseError::new(
                        ErrorCode::InvalidChannel,
                        format!(
                            "\"{raw}\" is not a channel for {}; use {}",
                            kind.label(),
                            allowed.join(" or ")
                        ),
                    )
                })?;
            set.insert(channel);
        }
        Ok(Self(set))
    }

    pub fn contains(&self, channel: Channel) -> bool {
        self.0.contains(&channel)
    }

    pub fn iter(&self) -> impl Iterator<Item = Channel> + '_ {
        self.0.iter().copied()
    }

    /// The stored form: `email,sms`.
    pub fn to_csv(&self) -> String {
        self.iter()
            .map(Channel::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads the stored form back; the store only ever holds what `to_csv` wrote.
    pub fn from_csv(kind: NoticeKind, csv: &str) -> Result<Self, ParseError> {
        let parts: Vec<&str> = csv.split(',').filter(|p| !p.is_empty()).collect();
        Self::parse(kind, &parts)
    }

    pub fn to_vec(&self) -> Vec<Channel> {
        self.iter().collect()
    }
}

/// An ISO 4217 currency and how many decimal places its minor unit has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Currency([u8; 3]);

/// Currencies whose minor unit is not 1/100.
const ZERO_DECIMAL: &[&str] = &[
    "JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF", "PYG", "UGX",
];

impl Currency {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let t = input.trim();
        if t.len() == 3 && t.bytes().all(|b| b.is_ascii_uppercase()) {
            let b = t.as_bytes();
            Ok(Self([b[0], b[1], b[2]]))
        } else {
            Err(ParseError::new(
                ErrorCode::InvalidRequest,
                format!("\"{input}\" is not an ISO 4217 currency code such as EUR"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    pub fn decimals(&self) -> u32 {
        if ZERO_DECIMAL.contains(&self.as_str()) {
            0
        } else {
            2
        }
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The largest balance adjustment, either way: ten billion in major units.
pub const MAX_ADJUSTMENT_MINOR: i64 = 1_000_000_000_000;

/// The largest threshold accepted: ten billion in major units, far above any balance.
pub const MAX_THRESHOLD_MINOR: i64 = 1_000_000_000_000;

/// The low-balance alert threshold, in minor units of the organization's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Threshold(i64);

impl Threshold {
    pub fn parse(minor: i64) -> Result<Self, ParseError> {
        if (0..=MAX_THRESHOLD_MINOR).contains(&minor) {
            Ok(Self(minor))
        } else {
            Err(ParseError::new(
                ErrorCode::InvalidThreshold,
                format!(
                    "the threshold must be between 0 and {MAX_THRESHOLD_MINOR} (in cents); got {minor}"
                ),
            ))
        }
    }

    pub fn minor(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn channel_sets_follow_what_each_notice_allows() {
        let set = Channels::parse(NoticeKind::LowBalance, &["sms", "desktop", "sms"]).expect("ok");
        assert_eq!(set.to_csv(), "sms,desktop");
        assert_eq!(
            Channels::from_csv(NoticeKind::LowBalance, &set.to_csv()).expect("csv"),
            set
        );
        let err = Channels::parse(NoticeKind::Billing, &["desktop"]).expect_err("not allowed");
        assert_eq!(err.code, ErrorCode::InvalidChannel);
        assert!(err.message.contains("billing"));
        assert_eq!(
            Channels::parse(NoticeKind::ContactImports, &["fax"])
                .expect_err("fax")
                .code,
            ErrorCode::InvalidChannel
        );
        assert!(
            Channels::parse::<&str>(NoticeKind::ContactImports, &[])
                .expect("empty")
                .to_vec()
                .is_empty()
        );
    }

    #[test]
    fn thresholds_and_currencies() {
        assert_eq!(Threshold::parse(5_000).expect("ok").minor(), 5_000);
        assert_eq!(
            Threshold::parse(-1).expect_err("negative").code,
            ErrorCode::InvalidThreshold
        );
        assert_eq!(
            Threshold::parse(MAX_THRESHOLD_MINOR + 1)
                .expect_err("huge")
                .code,
            ErrorCode::InvalidThreshold
        );
        assert_eq!(Currency::parse("EUR").expect("eur").decimals(), 2);
        assert_eq!(Currency::parse("JPY").expect("jpy").decimals(), 0);
        assert!(Currency::parse("eur").is_err());
    }

    proptest! {
        #[test]
        fn threshold_accepts_exactly_its_range(minor in any::<i64>()) {
            prop_assert_eq!(Threshold::parse(minor).is_ok(), (0..=MAX_THRESHOLD_MINOR).contains(&minor));
        }

        #[test]
        fn currency_accepts_exactly_three_upper_case_letters(input in "\\PC{0,5}") {
            let expected = input.trim().len() == 3 && input.trim().bytes().all(|b| b.is_ascii_uppercase());
            prop_assert_eq!(Currency::parse(&input).is_ok(), expected);
            if let Ok(c) = Currency::parse(&input) {
                prop_assert_eq!(c.as_str(), input.trim());
            }
        }

        #[test]
        fn channels_csv_round_trips(picks in proptest::collection::vec(prop_oneof![Just("email"), Just("sms"), Just("desktop")], 0..6)) {
            let set = Channels::parse(NoticeKind::LowBalance, &picks).expect("all allowed");
            prop_assert_eq!(Channels::from_csv(NoticeKind::LowBalance, &set.to_csv()).expect("csv"), set);
        }
    }
}
