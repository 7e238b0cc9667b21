//! The preference-change vocabulary: which settings may change, under which names, and
//! what a change needs.
//!
//! One typed list is shared by the server (which stores and versions each field), the
//! desktop (which queues offline edits field by field) and the conflict answer (which
//! names the fields changed elsewhere). A field's wire name is written once, in
//! [`PrefField::name`]; a change holds a domain value, so an update that parsed holds
//! nothing the product does not allow.
//!
//! Parsing an [`UpdatePreferencesRequest`] ([`PreferencesUpdate::try_from`]) checks every
//! value and the shape of the update; what depends on the account (billing permission,
//! a phone number before SMS) is the server's rule, asked through
//! [`PrefChange::needs_billing_permission`] and [`PrefChange::chooses_sms`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dto::{AccountView, LowBalanceUpdate, RegionDefaults, UpdatePreferencesRequest};
use crate::error::{ErrorCode, ParseError};
use crate::locale::{Country, Language, TimeZone};
use crate::prefs::{Channel, Channels, NoticeKind, Threshold};

/// A preference field, named on the wire (and in `version_conflict` details) as its
/// JSON path in the update request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrefField {
    Language,
    Country,
    TimeZone,
    ContactImports,
    Billing,
    LowBalanceEnabled,
    LowBalanceThreshold,
    LowBalanceChannels,
}

impl PrefField {
    /// Every field, in the order of the settings page.
    pub const ALL: [PrefField; 8] = [
        Self::Language,
        Self::Country,
        Self::TimeZone,
        Self::ContactImports,
        Self::Billing,
        Self::LowBalanceEnabled,
        Self::LowBalanceThreshold,
        Self::LowBalanceChannels,
    ];

    /// The name on the wire: the field's JSON path in the update request.
    pub fn name(self) -> &'static str {
        match self {
            Self::Language => "language",
            Self::Country => "country",
            Self::TimeZone => "timeZone",
            Self::ContactImports => "contactImports",
            Self::Billing => "billing",
            Self::LowBalanceEnabled => "lowBalance.enabled",
            Self::LowBalanceThreshold => "lowBalance.thresholdMinor",
            Self::LowBalanceChannels => "lowBalance.channels",
        }
    }

    /// The field a wire name names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Language, country and time zone: the "region" the client may detect.
    pub fn is_region(self) -> bool {
        matches!(self, Self::Language | Self::Country | Self::TimeZone)
    }

    /// Billing notices and the low-balance alert exist only for users with billing
    /// permission.
    pub fn needs_billing_permission(self) -> bool {
        matches!(
            self,
            Self::Billing
                | Self::LowBalanceEnabled
                | Self::LowBalanceThreshold
                | Self::LowBalanceChannels
        )
    }

    /// Whether changing it can make a user's low-balance alert fire or re-arm.
    pub fn affects_low_balance_alert(self) -> bool {
        matches!(self, Self::LowBalanceEnabled | Self::LowBalanceThreshold)
    }
}

impl Serialize for PrefField {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for PrefField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::from_name(&raw)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown preference field {raw}")))
    }
}

/// One field's new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefChange {
    Language(Language),
    Country(Country),
    TimeZone(TimeZone),
    ContactImports(Channels),
    Billing(Channels),
    LowBalanceEnabled(bool),
    LowBalanceThreshold(Threshold),
    LowBalanceChannels(Channels),
}

impl PrefChange {
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

    pub fn needs_billing_permission(&self) -> bool {
        self.field().needs_billing_permission()
    }

    /// True when the change chooses SMS, which needs a phone number on the account.
    pub fn chooses_sms(&self) -> bool {
        match self {
            Self::ContactImports(c) | Self::Billing(c) | Self::LowBalanceChannels(c) => {
                c.contains(Channel::Sms)
            }
            _ => false,
        }
    }
}

impl PrefChange {
    /// Shows the change in `view`, as the server's account view will once it applies it
    /// (the desktop's offline view; billing fields exist only where the view has them).
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
            Self::ContactImports(c) => n.contact_imports = c.to_vec(),
            Self::Billing(c) => {
                if let Some(b) = n.billing.as_mut() {
                    *b = c.to_vec();
                }
            }
            Self::LowBalanceEnabled(e) => {
                if let Some(lb) = n.low_balance.as_mut() {
                    lb.enabled = *e;
                }
            }
            Self::LowBalanceThreshold(t) => {
                if let Some(lb) = n.low_balance.as_mut() {
                    lb.threshold_minor = t.minor();
                }
            }
            Self::LowBalanceChannels(c) => {
                if let Some(lb) = n.low_balance.as_mut() {
                    lb.channels = c.to_vec();
                }
            }
        }
    }
}

/// One change as `{"field": "<wire name>", "value": …}`: the form the desktop keeps an
/// offline edit in (the same since its first release, so a queue written by an older
/// app is read). Reading checks the value again (a damaged queue entry is an error, not
/// a value the product does not allow).
impl Serialize for PrefChange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("PrefChange", 2)?;
        out.serialize_field("field", &self.field())?;
        match self {
            Self::Language(v) => out.serialize_field("value", v)?,
            Self::Country(v) => out.serialize_field("value", v)?,
            Self::TimeZone(v) => out.serialize_field("value", v)?,
            Self::ContactImports(v) | Self::Billing(v) | Self::LowBalanceChannels(v) => {
                out.serialize_field("value", v)?
            }
            Self::LowBalanceEnabled(v) => out.serialize_field("value", v)?,
            Self::LowBalanceThreshold(v) => out.serialize_field("value", v)?,
        }
        out.end()
    }
}

impl<'de> Deserialize<'de> for PrefChange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            field: PrefField,
            value: serde_json::Value,
        }
        fn value<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
            serde_json::from_value(v).map_err(|e| e.to_string())
        }
        fn channels(kind: NoticeKind, v: serde_json::Value) -> Result<Channels, String> {
            let names: Vec<String> = value(v)?;
            Channels::parse(kind, &names).map_err(|e| e.message)
        }
        let Stored { field, value: v } = Stored::deserialize(d)?;
        let change = match field {
            PrefField::Language => value(v).map(Self::Language),
            PrefField::Country => value(v).map(Self::Country),
            PrefField::TimeZone => value(v).map(Self::TimeZone),
            PrefField::ContactImports => {
                channels(NoticeKind::ContactImports, v).map(Self::ContactImports)
            }
            PrefField::Billing => channels(NoticeKind::Billing, v).map(Self::Billing),
            PrefField::LowBalanceEnabled => value(v).map(Self::LowBalanceEnabled),
            PrefField::LowBalanceThreshold => value::<i64>(v).and_then(|minor| {
                Threshold::parse(minor)
                    .map(Self::LowBalanceThreshold)
                    .map_err(|e| e.message)
            }),
            PrefField::LowBalanceChannels => {
                channels(NoticeKind::LowBalance, v).map(Self::LowBalanceChannels)
            }
        };
        change.map_err(|e| serde::de::Error::custom(format!("{}: {e}", field.name())))
    }
}

/// A checked preferences update: the version it was based on and at least one change,
/// each field at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferencesUpdate {
    base_version: i64,
    changes: Vec<PrefChange>,
}

impl PreferencesUpdate {
    pub fn base_version(&self) -> i64 {
        self.base_version
    }

    pub fn changes(&self) -> &[PrefChange] {
        &self.changes
    }

    pub fn fields(&self) -> impl Iterator<Item = PrefField> + '_ {
        self.changes.iter().map(PrefChange::field)
    }
}

/// The fields of an update as a client sent them: the HTTP request's
/// ([`UpdatePreferencesRequest`]) and the desktop's `update_preferences` command's.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrefInput<'a> {
    pub language: Option<&'a str>,
    pub country: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    pub contact_imports: Option<&'a [String]>,
    pub billing: Option<&'a [String]>,
    pub low_balance: Option<&'a LowBalanceUpdate>,
}

impl PrefChange {
    /// The changes `input` names, in page order, each value checked: the one parser of
    /// both edges. The first bad value is refused with its own code.
    pub fn parse_all(input: &PrefInput<'_>) -> Result<Vec<PrefChange>, ParseError> {
        let channels =
            |kind, list: Option<&[String]>| list.map(|l| Channels::parse(kind, l)).transpose();
        let mut changes = Vec::new();
        if let Some(l) = input.language {
            changes.push(Self::Language(Language::parse(l)?));
        }
        if let Some(c) = input.country {
            changes.push(Self::Country(Country::parse(c)?));
        }
        if let Some(t) = input.time_zone {
            changes.push(Self::TimeZone(TimeZone::parse(t)?));
        }
        if let Some(set) = channels(NoticeKind::ContactImports, input.contact_imports)? {
            changes.push(Self::ContactImports(set));
        }
        if let Some(set) = channels(NoticeKind::Billing, input.billing)? {
            changes.push(Self::Billing(set));
        }
        if let Some(low) = input.low_balance {
            if *low == LowBalanceUpdate::default() {
                return Err(ParseError::new(
                    ErrorCode::InvalidRequest,
                    "lowBalance names no field: send enabled, thresholdMinor or channels, or leave it out",
                ));
            }
            if let Some(enabled) = low.enabled {
                changes.push(Self::LowBalanceEnabled(enabled));
            }
            if let Some(minor) = low.threshold_minor {
                changes.push(Self::LowBalanceThreshold(Threshold::parse(minor)?));
            }
            if let Some(set) = channels(NoticeKind::LowBalance, low.channels.as_deref())? {
                changes.push(Self::LowBalanceChannels(set));
            }
        }
        Ok(changes)
    }
}

impl TryFrom<&UpdatePreferencesRequest> for PreferencesUpdate {
    type Error = ParseError;

    /// Checks every value; refuses an update that names no field or a base version the
    /// server cannot have sent.
    fn try_from(r: &UpdatePreferencesRequest) -> Result<Self, ParseError> {
        if r.base_version < 1 {
            return Err(ParseError::new(
                ErrorCode::InvalidRequest,
                "baseVersion must be a version the server sent (1 or more)",
            ));
        }
        let changes = PrefChange::parse_all(&PrefInput {
            language: r.language.as_deref(),
            country: r.country.as_deref(),
            time_zone: r.time_zone.as_deref(),
            contact_imports: r.contact_imports.as_deref(),
            billing: r.billing.as_deref(),
            low_balance: r.low_balance.as_ref(),
        })?;
        if changes.is_empty() {
            return Err(ParseError::new(
                ErrorCode::InvalidRequest,
                "the update changes nothing: name at least one field",
            ));
        }
        Ok(Self {
            base_version: r.base_version,
            changes,
        })
    }
}

impl RegionDefaults {
    /// What the client detected, as changes; each value present must be valid.
    pub fn changes(&self) -> Result<Vec<PrefChange>, ParseError> {
        let mut changes = Vec::new();
        if let Some(l) = &self.language {
            changes.push(PrefChange::Language(Language::parse(l)?));
        }
        if let Some(c) = &self.country {
            changes.push(PrefChange::Country(Country::parse(c)?));
        }
        if let Some(t) = &self.time_zone {
            changes.push(PrefChange::TimeZone(TimeZone::parse(t)?));
        }
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_keeps_the_stored_form_of_the_desktops_queue_and_checks_it_when_read() {
        // What the desktop's queue has held since its first release, one per field.
        let stored = [
            r#"{"field":"language","value":"es"}"#,
            r#"{"field":"country","value":"ES"}"#,
            r#"{"field":"timeZone","value":"Europe/Madrid"}"#,
            r#"{"field":"contactImports","value":["email","sms"]}"#,
            r#"{"field":"billing","value":[]}"#,
            r#"{"field":"lowBalance.enabled","value":true}"#,
            r#"{"field":"lowBalance.thresholdMinor","value":2000}"#,
            r#"{"field":"lowBalance.channels","value":["email","desktop"]}"#,
        ];
        let mut fields = Vec::new();
        for text in stored {
            let change: PrefChange = serde_json::from_str(text).expect(text);
            fields.push(change.field());
            let again: serde_json::Value = serde_json::to_value(&change).expect("json");
            let original: serde_json::Value = serde_json::from_str(text).expect("json");
            assert_eq!(again, original, "{text}");
        }
        assert_eq!(fields, PrefField::ALL);
        for damaged in [
            r#"{"field":"language","value":"xx"}"#,
            r#"{"field":"contactImports","value":["desktop"]}"#,
            r#"{"field":"lowBalance.thresholdMinor","value":-5}"#,
            r#"{"field":"colour","value":"blue"}"#,
        ] {
            assert!(
                serde_json::from_str::<PrefChange>(damaged).is_err(),
                "{damaged}"
            );
        }
    }
    use crate::dto::LowBalanceUpdate;

    #[test]
    fn every_field_round_trips_through_its_wire_name() {
        for field in PrefField::ALL {
            assert_eq!(PrefField::from_name(field.name()), Some(field));
            let json = serde_json::to_string(&field).expect("serializes");
            assert_eq!(json, format!("\"{}\"", field.name()));
            assert_eq!(
                serde_json::from_str::<PrefField>(&json).expect("reads"),
                field
            );
        }
        assert_eq!(PrefField::from_name("lowBalance"), None);
    }

    #[test]
    fn a_request_parses_into_one_change_per_field() {
        let request = UpdatePreferencesRequest {
            base_version: 3,
            language: Some("pt".into()),
            country: Some("pt".into()),
            contact_imports: Some(vec!["sms".into(), "email".into()]),
            low_balance: Some(LowBalanceUpdate {
                threshold_minor: Some(5_000),
                channels: Some(vec!["desktop".into()]),
                ..LowBalanceUpdate::default()
            }),
            ..UpdatePreferencesRequest::default()
        };

        let update = PreferencesUpdate::try_from(&request).expect("valid");

        assert_eq!(update.base_version(), 3);
        let fields: Vec<_> = update.fields().collect();
        assert_eq!(
            fields,
            [
                PrefField::Language,
                PrefField::Country,
                PrefField::ContactImports,
                PrefField::LowBalanceThreshold,
                PrefField::LowBalanceChannels
            ]
        );
        assert!(update.changes()[2].chooses_sms());
        assert!(update.changes()[3].needs_billing_permission());
        assert!(!update.changes()[0].needs_billing_permission());
    }

    #[test]
    fn bad_values_empty_updates_and_impossible_versions_are_refused() {
        let bad = |r: UpdatePreferencesRequest| PreferencesUpdate::try_from(&r).expect_err("bad");
        let base = UpdatePreferencesRequest {
            base_version: 1,
            ..UpdatePreferencesRequest::default()
        };
        assert_eq!(bad(base.clone()).code, ErrorCode::InvalidRequest);
        assert_eq!(
            bad(UpdatePreferencesRequest {
                base_version: 0,
                language: Some("en".into()),
                ..base.clone()
            })
            .code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            bad(UpdatePreferencesRequest {
                time_zone: Some("Mars/Olympus".into()),
                ..base.clone()
            })
            .code,
            ErrorCode::InvalidTimeZone
        );
        assert_eq!(
            bad(UpdatePreferencesRequest {
                billing: Some(vec!["desktop".into()]),
                ..base.clone()
            })
            .code,
            ErrorCode::InvalidChannel
        );
        assert_eq!(
            bad(UpdatePreferencesRequest {
                low_balance: Some(LowBalanceUpdate {
                    threshold_minor: Some(-1),
                    ..LowBalanceUpdate::default()
                }),
                ..base
            })
            .code,
            ErrorCode::InvalidThreshold
        );
    }

    #[test]
    fn detected_region_parses_each_value_present() {
        let detected = RegionDefaults {
            language: Some("es".into()),
            time_zone: Some("Europe/Madrid".into()),
            ..RegionDefaults::default()
        };
        let changes = detected.changes().expect("valid");
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().all(|c| c.field().is_region()));
        let wrong = RegionDefaults {
            country: Some("Narnia".into()),
            ..RegionDefaults::default()
        };
        assert_eq!(
            wrong.changes().expect_err("bad").code,
            ErrorCode::InvalidCountry
        );
    }
}
