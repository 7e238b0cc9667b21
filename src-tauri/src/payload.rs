//! What the UI receives: the shapes documented in `ui/README.md`, built from
//! desktop-core's types. Nothing secret is in any of them (no token, no password).

use account_model::dto::{AccountView, MemberView, SessionView};
use account_model::{Country, Language, PrefField};
use chrono::{DateTime, Utc};
use desktop_core::engine::{Connectivity, SyncState};
use desktop_core::{CachedAccount, CachedBalance, RegionDefaults, Synced};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPayload {
    pub view: AccountView,
    pub pending_fields: Vec<PrefField>,
    pub pending_edits: usize,
    pub synced_at: Option<DateTime<Utc>>,
}

impl From<CachedAccount> for AccountPayload {
    fn from(c: CachedAccount) -> Self {
        Self {
            view: c.view,
            pending_fields: c.pending_fields.into_iter().collect(),
            pending_edits: c.pending_edits,
            synced_at: c.synced_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPayload {
    pub connectivity: &'static str,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub pending_edits: usize,
    pub live: bool,
}

impl From<&SyncState> for SyncPayload {
    fn from(s: &SyncState) -> Self {
        Self {
            connectivity: match s.connectivity {
                Connectivity::Online => "online",
                Connectivity::Offline => "offline",
                Connectivity::Syncing => "syncing",
            },
            last_synced_at: s.last_synced_at,
            pending_edits: s.pending_edits,
            live: s.live,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalancePayload {
    pub amount_minor: i64,
    pub currency: String,
    pub synced_at: DateTime<Utc>,
}

impl From<CachedBalance> for BalancePayload {
    fn from(b: CachedBalance) -> Self {
        Self {
            amount_minor: b.balance.amount_minor,
            currency: b.balance.currency.as_str().to_owned(),
            synced_at: b.synced_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detected {
    pub language: Language,
    pub country: Option<Country>,
    pub time_zone: &'static str,
}

impl From<RegionDefaults> for Detected {
    fn from(r: RegionDefaults) -> Self {
        Self {
            language: r.language,
            country: r.country,
            time_zone: r.time_zone.as_str(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatePayload {
    pub server: String,
    pub signed_in: bool,
    pub account: Option<AccountPayload>,
    pub sync: SyncPayload,
    pub detected: Detected,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountryRef {
    pub code: Country,
    pub calling_code: Option<u16>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceData {
    pub languages: Vec<Language>,
    pub countries: Vec<CountryRef>,
    pub time_zones: Vec<&'static str>,
}

impl ReferenceData {
    pub fn build() -> Self {
        Self {
            languages: Language::ALL.to_vec(),
            countries: Country::all()
                .map(|code| CountryRef {
                    calling_code: code.calling_code(),
                    code,
                })
                .collect(),
            // Canonical region/city zones plus UTC; the legacy aliases (`US/Eastern`,
            // `Etc/GMT+3`, …) would only make the search noisier.
            time_zones: chrono_tz::TZ_VARIANTS
                .iter()
                .map(|tz| tz.name())
                .filter(|n| {
                    *n == "UTC"
                        || (n.contains('/')
                            && !n.starts_with("Etc/")
                            && !n.starts_with("US/")
                            && !n.starts_with("SystemV/")
                            && n.starts_with(|c: char| c.is_ascii_uppercase()))
                })
                .collect(),
        }
    }
}

/// A cached list and when the server sent it (`syncedAt` null: never fetched).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPayload<T> {
    /// Named like the server's list (`sessions`, `members`).
    #[serde(flatten)]
    pub list: T,
    pub synced_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sessions {
    pub sessions: Vec<SessionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Members {
    pub members: Vec<MemberView>,
}

pub type SessionsPayload = ListPayload<Sessions>;
pub type MembersPayload = ListPayload<Members>;

impl<T> ListPayload<T> {
    fn of<V>(cached: Option<Synced<Vec<V>>>, wrap: impl FnOnce(Vec<V>) -> T) -> Self {
        let (value, synced_at) =
            cached.map_or((Vec::new(), None), |s| (s.value, Some(s.synced_at)));
        Self {
            list: wrap(value),
            synced_at,
        }
    }
}

impl SessionsPayload {
    /// A list the server has just sent (the `sessions` event).
    pub fn fresh(sessions: Vec<SessionView>) -> Self {
        Self::from(Some(Synced {
            value: sessions,
            synced_at: Utc::now(),
        }))
    }
}

impl MembersPayload {
    /// A list the server has just sent (the `members` event).
    pub fn fresh(members: Vec<MemberView>) -> Self {
        Self::from(Some(Synced {
            value: members,
            synced_at: Utc::now(),
        }))
    }
}

impl From<Option<Synced<Vec<SessionView>>>> for SessionsPayload {
    fn from(s: Option<Synced<Vec<SessionView>>>) -> Self {
        Self::of(s, |sessions| Sessions { sessions })
    }
}

impl From<Option<Synced<Vec<MemberView>>>> for MembersPayload {
    fn from(s: Option<Synced<Vec<MemberView>>>) -> Self {
        Self::of(s, |members| Members { members })
    }
}

/// Fields the server's values replaced (`conflict` event / edit answer).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictPayload {
    pub fields: Vec<PrefField>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedPayload {
    pub fields: Vec<PrefField>,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EditPayload {
    pub account: AccountPayload,
    /// True when the edit reached the server; false when it waits in the queue.
    pub synced: bool,
    pub conflicts: Vec<ConflictPayload>,
    pub rejected: Vec<RejectedPayload>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_the_contracts_shape() {
        let never: SessionsPayload = None.into();
        assert_eq!(
            serde_json::to_value(&never).expect("json"),
            serde_json::json!({ "sessions": [], "syncedAt": null })
        );
        let at = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let members: MembersPayload = Some(Synced {
            value: Vec::<MemberView>::new(),
            synced_at: at,
        })
        .into();
        assert_eq!(
            serde_json::to_value(&members).expect("json"),
            serde_json::json!({ "members": [], "syncedAt": "2026-11-28T12:00:00Z" })
        );
    }

    #[test]
    fn the_list_events_have_the_commands_shape() {
        for event in [
            serde_json::to_value(SessionsPayload::fresh(Vec::new())).expect("json"),
            serde_json::to_value(MembersPayload::fresh(Vec::new())).expect("json"),
        ] {
            let keys: Vec<_> = event
                .as_object()
                .expect("an object")
                .keys()
                .cloned()
                .collect();
            assert_eq!(keys.len(), 2, "{event}");
            assert!(event["syncedAt"].is_string(), "{event}");
            assert!(
                event
                    .get("sessions")
                    .or(event.get("members"))
                    .is_some_and(|l| l.is_array())
            );
        }
    }
}

/// This computer's own settings, beside the account's.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevicePayload {
    /// The OS starts the app, tray only, at login.
    pub start_at_login: bool,
}
