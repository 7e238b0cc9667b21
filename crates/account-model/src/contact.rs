//! The two contact changes confirmed by a code: a new email address or a new phone
//! number. Both follow the same steps (request, resend, confirm, cancel); what differs is
//! only where the code travels.

use serde::{Deserialize, Serialize};

use crate::prefs::Channel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Email,
    Phone,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 2] = [Self::Email, Self::Phone];

    /// The stored and path name: `email`, `phone`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The channel its codes travel by (the send caps are per channel).
    pub fn channel(self) -> Channel {
        match self {
            Self::Email => Channel::Email,
            Self::Phone => Channel::Sms,
        }
    }
}

/// A new address or number to confirm with a code, as the user typed it: the server
/// parses it and answers each kind of bad value with its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewContact<'a> {
    Email(&'a str),
    /// With its country code: `+34 600 123 456`.
    Phone(&'a str),
}

impl NewContact<'_> {
    pub fn kind(self) -> ChangeKind {
        match self {
            Self::Email(_) => ChangeKind::Email,
            Self::Phone(_) => ChangeKind::Phone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_codes_travel_by_their_channel() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ChangeKind::parse("fax"), None);
        assert_eq!(ChangeKind::Email.channel(), Channel::Email);
        assert_eq!(ChangeKind::Phone.channel(), Channel::Sms);
    }
}
