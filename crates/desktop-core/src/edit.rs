//! Edits that may be made offline: language and region, notification preferences, and
//! the low-balance alert.
//!
//! An edit is a set of field writes ([`Pref`]), each named exactly as the server names
//! it in a `version_conflict` (`language`, `lowBalance.thresholdMinor`, …), so a conflict
//! drops precisely the fields the server lists. Values are domain types (parse, don't
//! validate): a [`PreferencesEdit`] cannot hold a language the product does not have or
//! a channel a notice does not allow.

use std::collections::BTreeMap;

use account_model::dto::{AccountView, LowBalanceUpdate, UpdatePreferencesRequest};
use account_model::{
    Channel, Channels, Country, Language, NoticeKind, ParseError, PrefField, Threshold, TimeZone,
};
use serde::{Deserialize, Serialize};

/// One field write. The serde names are the server's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value")]
pub enum Pref {
    #[serde(rename = "language")]
    Language(Language),
    #[serde(rename = "country")]
    Country(Country),
    #[serde(rename = "timeZone")]
    TimeZone(TimeZone),
    #[serde(rename = "contactImports")]
    ContactImports(Vec<Channel>),
    #[serde(rename = "billing")]
    Billing(Vec<Channel>),
    #[serde(rename = "lowBalance.enabled")]
    LowBalanceEnabled(bool),
    /// Minor units; built only from a [`Threshold`].
    #[serde(rename = "lowBalance.thresholdMinor")]
    LowBalanceThreshold(i64),
    #[serde(rename = "lowBalance.channels")]
    LowBalanceChannels(Vec<Channel>),
}

impl Pref {
    /// The field it writes (its serde name is the field's wire name).
    pub fn field(&self) -> PrefField {
        match self {
            Self::Language(_) => PrefField::Language,
            Self::Country(_) => PrefField::Country,
            Self::TimeZone(_) => PrefField::TimeZone,
            Self::ContactImports(_) => PrefField::ContactImports,
            Self::Billing(_) => PrefField::Billing,
            Self::LowBalanceEnabled(_) => PrefField::LowBalanceEnabled,
            Self::LowBalanceThreshold(_) => PrefField::LowBalanceThreshold,
            Self::LowBalanceChannels(_) => PrefField::LowBalanceChannels,
        }
    }

    /// Billing notices and the low-balance alert exist only for users with billing
    /// permission.
    pub fn needs_billing_permission(&self) -> bool {
        self.field().needs_billing_permission()
    }

    /// True when the write chooses SMS, which needs a phone number on the account.
    pub fn chooses_sms(&self) -> bool {
        match self {
            Self::ContactImports(c) | Self::Billing(c) | Self::LowBalanceChannels(c) => {
                c.contains(&Channel::Sms)
            }
            _ => false,
        }
    }

    /// Shows the write in `view`, as the server would once it applies it.
    pub fn apply_to(&self, view: &mut AccountView) {
        let n = &mut view.notifications;
        match self {
            Self::Language(l) => {
                view.language = *l;
                view.region_configured = true;
            }
            Self::Country(c) => {
                view.country = Some(*c);
                view.region_configured = true;
            }
            Self::TimeZone(t) => {
                view.time_zone = *t;
                view.region_configured = true;
            }
            Self::ContactImports(c) => n.contact_imports = c.clone(),
            Self::Billing(c) => {
                if let Some(b) = n.billing.as_mut() {
                    *b = c.clone();
                }
            }
            Self::LowBalanceEnabled(e) => {
                if let Some(lb) = n.low_balance.as_mut() {
                    lb.enabled = *e;
                }
            }
            Self::LowBalanceThreshold(t) => {
                if let Some(lb) = n.low_balance.as_mut() {
                    lb.threshold_minor = *t;
                }
            }
            Self::LowBalanceChannels(c) => {
                if let Some(lb) = n.low_balance.as_mut() {
                    lb.channels = c.clone();
                }
            }
        }
    }
}

/// The wire request for `prefs`, made against `base_version`.
pub(crate) fn request<'a>(
    base_version: i64,
    prefs: impl IntoIterator<Item = &'a Pref>,
) -> UpdatePreferencesRequest {
    let mut r = UpdatePreferencesRequest {
        base_version,
        ..UpdatePreferencesRequest::default()
    };
    let names = |c: &[Channel]| c.iter().map(|c| c.as_str().to_owned()).collect();
    for pref in prefs {
        match pref {
            Pref::Language(l) => r.language = Some(l.as_str().to_owned()),
            Pref::Country(c) => r.country = Some(c.as_str().to_owned()),
            Pref::TimeZone(t) => r.time_zone = Some(t.as_str().to_owned()),
            Pref::ContactImports(c) => r.contact_imports = Some(names(c)),
            Pref::Billing(c) => r.billing = Some(names(c)),
            Pref::LowBalanceEnabled(e) => low(&mut r).enabled = Some(*e),
            Pref::LowBalanceThreshold(t) => low(&mut r).threshold_minor = Some(*t),
            Pref::LowBalanceChannels(c) => low(&mut r).channels = Some(names(c)),
        }
    }
    r
}

fn low(r: &mut UpdatePreferencesRequest) -> &mut LowBalanceUpdate {
    r.low_balance.get_or_insert_with(LowBalanceUpdate::default)
}

/// A user's edit of one or more preference fields; a later write of the same field
/// replaces an earlier one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreferencesEdit {
    prefs: BTreeMap<PrefField, Pref>,
}

impl PreferencesEdit {
    pub fn new() -> Self {
        Self::default()
    }

    fn with(mut self, pref: Pref) -> Self {
        self.prefs.insert(pref.field(), pref);
        self
    }

    pub fn language(self, language: Language) -> Self {
        self.with(Pref::Language(language))
    }

    pub fn country(self, country: Country) -> Self {
        self.with(Pref::Country(country))
    }

    pub fn time_zone(self, time_zone: TimeZone) -> Self {
        self.with(Pref::TimeZone(time_zone))
    }

    /// Channels for contact-import updates (`email`, `sms`); empty: don't notify.
    pub fn contact_imports<S: AsRef<str>>(self, channels: &[S]) -> Result<Self, ParseError> {
        let set = Channels::parse(NoticeKind::ContactImports, channels)?;
        Ok(self.with(Pref::ContactImports(set.to_vec())))
    }

    /// Channels for billing notices (`email`, `sms`).
    pub fn billing<S: AsRef<str>>(self, channels: &[S]) -> Result<Self, ParseError> {
        let set = Channels::parse(NoticeKind::Billing, channels)?;
        Ok(self.with(Pref::Billing(set.to_vec())))
    }

    pub fn low_balance_enabled(self, enabled: bool) -> Self {
        self.with(Pref::LowBalanceEnabled(enabled))
    }

    pub fn low_balance_threshold(self, threshold: Threshold) -> Self {
        self.with(Pref::LowBalanceThreshold(threshold.minor()))
    }

    /// Channels for the low-balance alert (`email`, `sms`, `desktop`).
    pub fn low_balance_channels<S: AsRef<str>>(self, channels: &[S]) -> Result<Self, ParseError> {
        let set = Channels::parse(NoticeKind::LowBalance, channels)?;
        Ok(self.with(Pref::LowBalanceChannels(set.to_vec())))
    }

    pub fn is_empty(&self) -> bool {
        self.prefs.is_empty()
    }

    pub fn prefs(&self) -> impl Iterator<Item = &Pref> {
        self.prefs.values()
    }

    pub(crate) fn into_prefs(self) -> impl Iterator<Item = Pref> {
        self.prefs.into_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_keeps_the_last_write_of_each_field_and_builds_a_partial_request() {
        let edit = PreferencesEdit::new()
            .language(Language::Es)
            .language(Language::Fr)
            .low_balance_threshold(Threshold::parse(1_500).expect("threshold"))
            .low_balance_channels(&["desktop", "email"])
            .expect("channels");

        let r = request(7, edit.prefs());

        assert_eq!(edit.prefs().count(), 3);
        assert_eq!(r.base_version, 7);
        assert_eq!(r.language.as_deref(), Some("fr"));
        assert_eq!(r.country, None);
        let low = r.low_balance.expect("low balance part");
        assert_eq!(low.threshold_minor, Some(1_500));
        assert_eq!(low.enabled, None);
        assert_eq!(
            low.channels,
            Some(vec!["email".to_owned(), "desktop".to_owned()])
        );
    }

    #[test]
    fn channels_a_notice_does_not_allow_are_refused_when_the_edit_is_built() {
        let err = PreferencesEdit::new()
            .billing(&["desktop"])
            .expect_err("desktop is not a billing channel");

        assert_eq!(err.code, account_model::ErrorCode::InvalidChannel);
    }

    #[test]
    fn a_pref_is_stored_under_the_servers_field_name_and_reads_back() {
        let pref = Pref::LowBalanceThreshold(2_000);

        let json = serde_json::to_value(&pref).expect("json");
        let back: Pref = serde_json::from_value(json.clone()).expect("back");

        assert_eq!(json["field"], "lowBalance.thresholdMinor");
        assert_eq!(json["field"], pref.field().name());
        assert_eq!(back, pref);
    }
}
