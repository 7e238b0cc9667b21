//! Edits that may be made offline: language and region, notification preferences, and
//! the low-balance alert.
//!
//! An edit is a set of field writes ([`Pref`], the model's `PrefChange`), each named
//! exactly as the server names it in a `version_conflict` (`language`,
//! `lowBalance.thresholdMinor`, …: `PrefField`), so a conflict drops precisely the fields
//! the server lists. Values are domain types (parse, don't
//! validate): a [`PreferencesEdit`] cannot hold a language the product does not have or
//! a channel a notice does not allow.

use std::collections::BTreeMap;

use account_model::dto::{LowBalanceUpdate, UpdatePreferencesRequest};
use account_model::{
    Channels, Country, Language, NoticeKind, ParseError, PrefField, Threshold, TimeZone,
};

/// One field write: the model's [`PrefChange`] (its field, its checked value, and
/// what it needs of the account). Queued in its `{field, value}` form, the same since
/// the first release.
pub use account_model::PrefChange as Pref;

/// The wire request for `prefs`, made against `base_version`.
pub(crate) fn request<'a>(
    base_version: i64,
    prefs: impl IntoIterator<Item = &'a Pref>,
) -> UpdatePreferencesRequest {
    let mut r = UpdatePreferencesRequest {
        base_version,
        ..UpdatePreferencesRequest::default()
    };
    let names = |c: &Channels| c.to_vec().iter().map(|c| c.as_str().to_owned()).collect();
    for pref in prefs {
        match pref {
            Pref::Language(l) => r.language = Some(l.as_str().to_owned()),
            Pref::Country(c) => r.country = Some(c.as_str().to_owned()),
            Pref::TimeZone(t) => r.time_zone = Some(t.as_str().to_owned()),
            Pref::ContactImports(c) => r.contact_imports = Some(names(c)),
            Pref::Billing(c) => r.billing = Some(names(c)),
            Pref::LowBalanceEnabled(e) => low(&mut r).enabled = Some(*e),
            Pref::LowBalanceThreshold(t) => low(&mut r).threshold_minor = Some(t.minor()),
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
        Ok(self.with(Pref::ContactImports(set)))
    }

    /// Channels for billing notices (`email`, `sms`).
    pub fn billing<S: AsRef<str>>(self, channels: &[S]) -> Result<Self, ParseError> {
        let set = Channels::parse(NoticeKind::Billing, channels)?;
        Ok(self.with(Pref::Billing(set)))
    }

    pub fn low_balance_enabled(self, enabled: bool) -> Self {
        self.with(Pref::LowBalanceEnabled(enabled))
    }

    pub fn low_balance_threshold(self, threshold: Threshold) -> Self {
        self.with(Pref::LowBalanceThreshold(threshold))
    }

    /// Channels for the low-balance alert (`email`, `sms`, `desktop`).
    pub fn low_balance_channels<S: AsRef<str>>(self, channels: &[S]) -> Result<Self, ParseError> {
        let set = Channels::parse(NoticeKind::LowBalance, channels)?;
        Ok(self.with(Pref::LowBalanceChannels(set)))
    }

    /// An edit of already-checked changes (a later one of a field replaces an earlier).
    pub fn from_changes(changes: impl IntoIterator<Item = Pref>) -> Self {
        changes.into_iter().fold(Self::new(), Self::with)
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
        let pref = Pref::LowBalanceThreshold(Threshold::parse(2_000).expect("threshold"));

        let json = serde_json::to_value(&pref).expect("json");
        let back: Pref = serde_json::from_value(json.clone()).expect("back");

        assert_eq!(json["field"], "lowBalance.thresholdMinor");
        assert_eq!(json["field"], pref.field().name());
        assert_eq!(back, pref);
    }
}
