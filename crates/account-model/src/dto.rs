//! Wire types of the HTTP API (camelCase JSON).
//!
//! Requests carry raw strings and numbers, and refuse unknown fields: the server turns
//! them into domain values itself (`TryFrom`-style parsing in its service layer) so every
//! bad value gets its own [`ErrorCode`](crate::ErrorCode) instead of a generic serde
//! message. Responses carry domain values, so a client reading them holds checked types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::locale::{Country, Language, TimeZone};
use crate::preferences::PrefField;
use crate::prefs::Channel;
use crate::role::{Permission, Role};
use crate::{Email, PhoneNumber};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

// ---------- requests ----------

/// `Debug` showing `[redacted]` for the secret fields: a `?request` in a log line must
/// never print a password or a session token.
macro_rules! redacted_debug {
    ($ty:ident { $($field:ident),* } secret { $($secret:ident),+ }) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    $(.field(stringify!($secret), &"[redacted]"))+
                    .finish()
            }
        }
    };
}
redacted_debug!(SignInRequest { email, device_name, detected } secret { password });
redacted_debug!(ChangePasswordRequest {} secret { current_password, new_password, repeat_password });
redacted_debug!(PasswordStrengthRequest {} secret { password });
redacted_debug!(EmailChangeRequest { new_email } secret { password });
redacted_debug!(PhoneChangeRequest { phone } secret { password });
redacted_debug!(SignInResponse { session, account } secret { token });

/// For an optional request field: absent, or a value. An explicit `null` is refused
/// (serde would read it as absent): no operation gives `null` a meaning, and the
/// document says "absent or a value", so the server must not take more than that.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// What the client detected on the device (OS locale and time zone). Applied once, at
/// the first sign-in of a user who has never set language and region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegionDefaults {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Language>, nullable = false))]
    pub language: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Country>, nullable = false))]
    pub country: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<TimeZone>, nullable = false))]
    pub time_zone: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
    /// Shown in the sessions list, e.g. "Ana's laptop (Linux)". At most 100 characters,
    /// no control characters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(
            nullable = false,
            max_length = 100,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub device_name: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub detected: Option<RegionDefaults>,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// 15 to 128 characters, not a common password, not containing the user's name or
    /// email, and hard to guess (zxcvbn score 3 or more): `password-strength` tells.
    #[cfg_attr(feature = "openapi", schema(min_length = 15, max_length = 128))]
    pub new_password: String,
    /// The new password again.
    #[cfg_attr(feature = "openapi", schema(min_length = 15, max_length = 128))]
    pub repeat_password: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordStrengthRequest {
    pub password: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailChangeRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = Email))]
    pub new_email: String,
    pub password: String,
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PhoneChangeRequest {
    /// With its country code: `+34 600 123 456`.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::phone_input))]
    pub phone: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfirmCodeRequest {
    /// The 6-digit code from the message.
    pub code: String,
}

/// The low-balance part of a preferences update; absent fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LowBalanceUpdate {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub enabled: Option<bool>,
    /// Minor units (cents) of the organization's currency.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::threshold_minor))]
    pub threshold_minor: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::low_balance_channels))]
    pub channels: Option<Vec<String>>,
}

/// A partial update of language, region and notification preferences.
///
/// `baseVersion` is the account version the edit was made against. The update is
/// refused with `version_conflict` (409, with the current account) when any field it
/// touches was changed after that version; fields it does not touch never conflict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePreferencesRequest {
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub base_version: i64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Language>, nullable = false))]
    pub language: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Country>, nullable = false))]
    pub country: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<TimeZone>, nullable = false))]
    pub time_zone: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::contact_import_channels))]
    pub contact_imports: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::billing_channels))]
    pub billing: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub low_balance: Option<LowBalanceUpdate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeRoleRequest {
    #[cfg_attr(feature = "openapi", schema(value_type = Role))]
    pub role: String,
}

// ---------- responses ----------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrganizationView {
    pub id: i64,
    pub name: String,
    /// ISO 4217; thresholds and balances are in its minor units.
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LowBalanceView {
    pub enabled: bool,
    pub threshold_minor: i64,
    pub channels: Vec<Channel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationsView {
    pub contact_imports: Vec<Channel>,
    /// Absent for users without billing permission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<Vec<Channel>>,
    /// Absent for users without billing permission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_balance: Option<LowBalanceView>,
}

/// A change waiting for its verification code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PendingChangeView {
    /// The new address or number the code was sent to.
    pub target: String,
    pub expires_at: DateTime<Utc>,
    pub resend_available_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: i64,
    pub name: String,
    pub email: Email,
    pub phone: Option<PhoneNumber>,
    pub role: Role,
    pub permissions: Vec<Permission>,
    pub organization: OrganizationView,
    pub language: Language,
    pub country: Option<Country>,
    pub time_zone: TimeZone,
    /// False until language and region were set, by the user or from detected defaults.
    pub region_configured: bool,
    pub notifications: NotificationsView,
    /// The organization's balance; every member may see it (the tray shows it).
    pub balance: BalanceView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_email_change: Option<PendingChangeView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_phone_change: Option<PendingChangeView>,
    /// Increases with every change of the account; the ETag is `"<version>-<balance minor units>"`.
    pub version: i64,
}

/// `details` of a 409 `version_conflict`: the fields changed elsewhere since the
/// request's `baseVersion` (only those are refused), and the account as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionConflictDetails {
    pub fields: Vec<PrefField>,
    pub current: AccountView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    pub device_name: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// True for the session making the request.
    pub current: bool,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SignInResponse {
    /// The bearer token. Keep it in the OS keyring; it is shown only this once.
    pub token: String,
    pub session: SessionView,
    pub account: AccountView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RevokedView {
    pub revoked: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub user_id: i64,
    pub name: String,
    pub email: Email,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MembersView {
    pub members: Vec<MemberView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionsView {
    pub sessions: Vec<SessionView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BalanceView {
    /// Minor units (cents); negative when the organization owes.
    pub amount_minor: i64,
    pub currency: crate::Currency,
}

// ---------- service API (authenticated by the service token, not a user session) ----------

/// A top-up (positive) or charge (negative) of an organization's balance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BalanceAdjustmentRequest {
    /// Minor units; positive adds, negative charges. Not zero.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::adjustment_minor))]
    pub amount_minor: i64,
    /// 1–100 characters, not all white space. The same key applies once; a repeat
    /// returns the first result.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::idempotency_key))]
    pub idempotency_key: String,
    /// At most 200 characters.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "openapi", schema(nullable = false, max_length = 200))]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BalanceAdjustmentView {
    pub id: i64,
    pub organization_id: i64,
    pub amount_minor: i64,
    /// The balance right after this adjustment.
    pub balance_after_minor: i64,
    pub currency: crate::Currency,
    /// False when the idempotency key had been used: nothing was applied this time.
    pub applied: bool,
    pub created_at: DateTime<Utc>,
}

/// Something that happened on the platform, to be told to the users who want to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
// Fields are renamed per variant, not with `rename_all_fields`: serde reads both the
// same, and the OpenAPI derive only knows the per-variant form (with the container's,
// it documented snake_case fields the server refuses).
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlatformEvent {
    /// Routed to every member by their contact-import channels.
    #[serde(rename_all = "camelCase")]
    ContactImportFinished {
        organization_id: i64,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::list_name))]
        list_name: String,
        #[cfg_attr(feature = "openapi", schema(minimum = 0))]
        imported: i64,
        #[cfg_attr(feature = "openapi", schema(minimum = 0))]
        rejected: i64,
    },
    /// Routed to users with billing permission by their billing channels.
    #[serde(rename_all = "camelCase")]
    PaymentReceived {
        organization_id: i64,
        #[cfg_attr(feature = "openapi", schema(minimum = 1))]
        amount_minor: i64,
    },
    /// Routed to users with billing permission by their billing channels.
    #[serde(rename_all = "camelCase")]
    InvoiceIssued {
        organization_id: i64,
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schema::invoice_number))]
        invoice_number: String,
        #[cfg_attr(feature = "openapi", schema(minimum = 1))]
        amount_minor: i64,
        /// `YYYY-MM-DD`.
        due_date: chrono::NaiveDate,
    },
    /// Re-evaluates the low-balance alerts of the organization now. Alerts still fire
    /// once per crossing, so repeating this event never repeats an alert.
    #[serde(rename_all = "camelCase")]
    LowBalance { organization_id: i64 },
}

impl PlatformEvent {
    pub fn organization_id(&self) -> i64 {
        match self {
            Self::ContactImportFinished {
                organization_id, ..
            }
            | Self::PaymentReceived {
                organization_id, ..
            }
            | Self::InvoiceIssued {
                organization_id, ..
            }
            | Self::LowBalance { organization_id } => *organization_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EmitResultView {
    /// Messages written to the outbox (one per user and channel).
    pub messages_queued: u64,
    /// Low-balance alerts that fired.
    pub alerts_fired: u64,
}

// ---------- the live event stream (`GET /v1/events`, server-sent events) ----------

/// The `data` of each server-sent event; its SSE `event:` field is the same `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
// Fields renamed per variant, as in `PlatformEvent` (and for the same reason).
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The organization's balance changed.
    #[serde(rename_all = "camelCase")]
    BalanceChanged {
        amount_minor: i64,
        currency: crate::Currency,
    },
    /// The account changed (here or on another device); fetch it if `version` is newer.
    #[serde(rename_all = "camelCase")]
    AccountChanged { version: i64 },
    /// The server's low-balance alert fired for this user and they chose the desktop
    /// channel: show a native notification.
    #[serde(rename_all = "camelCase")]
    LowBalanceAlert {
        balance_minor: i64,
        threshold_minor: i64,
        currency: crate::Currency,
    },
    /// This session was revoked; the stream ends after this event.
    SessionRevoked,
    /// Events were missed beyond the kept history: fetch the account again.
    Resync,
}

impl StreamEvent {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::BalanceChanged { .. } => "balance_changed",
            Self::AccountChanged { .. } => "account_changed",
            Self::LowBalanceAlert { .. } => "low_balance_alert",
            Self::SessionRevoked => "session_revoked",
            Self::Resync => "resync",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_optional_field_is_absent_or_a_value_never_null() {
        let absent: SignInRequest =
            serde_json::from_value(serde_json::json!({"email": "a@b.example", "password": "x"}))
                .expect("absent is fine");
        assert_eq!(absent.device_name, None);
        let null = serde_json::from_value::<SignInRequest>(
            serde_json::json!({"email": "a@b.example", "password": "x", "deviceName": null}),
        );
        assert!(null.is_err());
        // And what is absent is not written as null either.
        let json = serde_json::to_value(&absent).expect("json");
        assert!(json.get("deviceName").is_none(), "{json}");
    }

    #[test]
    fn passwords_and_tokens_never_show_in_debug_output() {
        let secret = "saffron glacier piano thunder";
        let sign_in: SignInRequest = serde_json::from_value(serde_json::json!({
            "email": "ana@example.com", "password": secret, "deviceName": "laptop"
        }))
        .expect("request");
        let change: ChangePasswordRequest = serde_json::from_value(serde_json::json!({
            "currentPassword": secret, "newPassword": secret, "repeatPassword": secret
        }))
        .expect("request");
        let strength = PasswordStrengthRequest {
            password: secret.into(),
        };
        let email = EmailChangeRequest {
            new_email: "new@example.com".into(),
            password: secret.into(),
        };
        let phone = PhoneChangeRequest {
            phone: "+34600123456".into(),
            password: secret.into(),
        };
        let shown = [
            format!("{sign_in:?}"),
            format!("{change:?}"),
            format!("{strength:?}"),
            format!("{email:?}"),
            format!("{phone:?}"),
        ];
        for text in &shown {
            assert!(!text.contains(secret), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
        assert!(shown[0].contains("ana@example.com") && shown[0].contains("laptop"));
        assert!(shown[3].contains("new@example.com"));
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        let err = serde_json::from_str::<ChangeRoleRequest>(r#"{"role":"admin","isAdmin":true}"#)
            .expect_err("unknown field");
        assert!(err.to_string().contains("unknown field"), "{err}");
        let ok: UpdatePreferencesRequest =
            serde_json::from_str(r#"{"baseVersion":3,"lowBalance":{"thresholdMinor":5000}}"#)
                .expect("ok");
        assert_eq!(ok.low_balance.and_then(|l| l.threshold_minor), Some(5000));
    }

    #[test]
    fn platform_and_stream_events_have_their_wire_shape() {
        let event: PlatformEvent = serde_json::from_str(
            r#"{"type":"invoice_issued","organizationId":1,"invoiceNumber":"INV-1","amountMinor":500,"dueDate":"2026-12-31"}"#,
        )
        .expect("parses");
        assert_eq!(event.organization_id(), 1);
        let bad = serde_json::from_str::<PlatformEvent>(
            r#"{"type":"low_balance","organizationId":1,"extra":1}"#,
        );
        assert!(bad.is_err(), "unknown fields refused");
        let stream = StreamEvent::BalanceChanged {
            amount_minor: 10,
            currency: crate::Currency::parse("EUR").expect("EUR"),
        };
        let json = serde_json::to_value(&stream).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"type":"balance_changed","amountMinor":10,"currency":"EUR"})
        );
        assert_eq!(stream.name(), "balance_changed");
        let back: StreamEvent = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, stream);
    }
}
