//! What the UI receives: the shapes documented in `ui/README.md`, built from
//! desktop-core's types. Nothing secret is in any of them (no token, no password).

use account_model::dto::{AccountView, MemberView, SessionView};
use account_model::{Country, Language};
use chrono::{DateTime, Utc};
use desktop_core::engine::{Connectivity, SyncState};
use desktop_core::{CachedAccount, CachedBalance, RegionDefaults, Synced};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPayload {
    pub view: AccountView,
    pub pending_fields: Vec<String>,
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

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionsPayload {
    pub sessions: Vec<SessionView>,
    pub synced_at: Option<DateTime<Utc>>,
}

impl From<Option<Synced<Vec<SessionView>>>> for SessionsPayload {
    fn from(s: Option<Synced<Vec<SessionView>>>) -> Self {
        match s {
            Some(s) => Self {
                sessions: s.value,
                synced_at: Some(s.synced_at),
            },
            None => Self {
                sessions: Vec::new(),
                synced_at: None,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MembersPayload {
    pub members: Vec<MemberView>,
    pub synced_at: Option<DateTime<Utc>>,
}

impl From<Option<Synced<Vec<MemberView>>>> for MembersPayload {
    fn from(s: Option<Synced<Vec<MemberView>>>) -> Self {
        match s {
            Some(s) => Self {
                members: s.value,
                synced_at: Some(s.synced_at),
            },
            None => Self {
                members: Vec::new(),
                synced_at: None,
            },
        }
    }
}

/// Fields the server's values replaced (`conflict` event / edit answer).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictPayload {
    pub fields: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedPayload {
    pub fields: Vec<&'static str>,
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
