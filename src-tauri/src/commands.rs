//! The Tauri commands: thin async forwarders into desktop-core. Each parses its
//! arguments into the model's types (so a bad value is refused with its own code before
//! anything else happens), calls the engine, and turns the answer into a payload from
//! [`crate::payload`] or a [`UiError`]. The contract is in `ui/README.md`; every
//! command is also listed in `commands.list` (permissions) and granted in
//! `capabilities/main.json`.

use account_model::dto::{LowBalanceUpdate, MemberView, PendingChangeView, RevokedView};
use account_model::{
    ChangeKind, ErrorCode, NewContact, ParseError, PrefChange, PrefInput, Role, Strength,
};
use desktop_core::PreferencesEdit;
use secrecy::SecretString;
use serde::Deserialize;
use tauri::{AppHandle, Runtime, State, WebviewWindow};

use crate::desktop::{self, Desktop};
use crate::error::{UiCode, UiError, UiResult};
use crate::payload::{
    AccountPayload, AppStatePayload, ConflictPayload, DevicePayload, EditPayload, MembersPayload,
    ReferenceData, RejectedPayload, SessionsPayload,
};
use crate::settings::ServerAddress;

#[tauri::command]
pub async fn app_state(desktop: State<'_, Desktop>) -> UiResult<AppStatePayload> {
    tracing::debug!("app_state");
    desktop.app_state().await
}

#[tauri::command]
pub fn reference_data() -> ReferenceData {
    ReferenceData::build()
}

#[tauri::command]
pub async fn sign_in<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    server: String,
    email: String,
    password: SecretString,
) -> UiResult<AccountPayload> {
    let server = ServerAddress::parse(&server)
        .map_err(|e| UiError::new(UiCode::InvalidServerUrl, e.message))?;
    desktop.sign_in(&app, server, email.trim(), &password).await
}

#[tauri::command]
pub async fn sign_out<R: Runtime>(app: AppHandle<R>, desktop: State<'_, Desktop>) -> UiResult<()> {
    desktop.sign_out(&app).await
}

#[tauri::command]
pub async fn refresh(desktop: State<'_, Desktop>) -> UiResult<AccountPayload> {
    Ok(desktop.engine().await.refresh().await?.into())
}

/// The `edit` argument of `update_preferences`: any of the fields, as the UI sends them
/// (the HTTP request's fields without `baseVersion`: the engine knows the version).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EditArgs {
    language: Option<String>,
    country: Option<String>,
    time_zone: Option<String>,
    contact_imports: Option<Vec<String>>,
    billing: Option<Vec<String>>,
    low_balance: Option<LowBalanceUpdate>,
}

impl EditArgs {
    /// Parses every field with the model's one parser (the server's too); the first bad
    /// one is refused with its own code.
    pub fn parse(self) -> Result<PreferencesEdit, ParseError> {
        let changes = PrefChange::parse_all(&PrefInput {
            language: self.language.as_deref(),
            country: self.country.as_deref(),
            time_zone: self.time_zone.as_deref(),
            contact_imports: self.contact_imports.as_deref(),
            billing: self.billing.as_deref(),
            low_balance: self.low_balance.as_ref(),
        })?;
        if changes.is_empty() {
            return Err(ParseError::new(
                ErrorCode::InvalidRequest,
                "the edit changes nothing",
            ));
        }
        Ok(PreferencesEdit::from_changes(changes))
    }
}

#[tauri::command]
pub async fn update_preferences(
    desktop: State<'_, Desktop>,
    edit: EditArgs,
) -> UiResult<EditPayload> {
    let edit = edit.parse()?;
    let outcome = desktop.engine().await.apply_edit(edit).await?;
    let (synced, conflicts, rejected) = match outcome.flushed {
        Ok(report) => (
            report.pending == 0,
            report
                .conflicts
                .iter()
                .map(|c| ConflictPayload {
                    fields: c.discarded.iter().map(|p| p.field()).collect(),
                })
                .collect(),
            report
                .rejected
                .iter()
                .map(|r| RejectedPayload {
                    fields: r.discarded.iter().map(|p| p.field()).collect(),
                    code: r.code.as_str(),
                    message: r.message.clone(),
                })
                .collect(),
        ),
        // Saved locally and queued: it is sent when the server is reachable again.
        Err(e) => {
            tracing::debug!(error = %e, "edit queued");
            (false, Vec::new(), Vec::new())
        }
    };
    Ok(EditPayload {
        account: outcome.account.into(),
        synced,
        conflicts,
        rejected,
    })
}

#[tauri::command]
pub async fn password_strength(
    desktop: State<'_, Desktop>,
    candidate: SecretString,
) -> UiResult<Strength> {
    Ok(desktop.engine().await.password_strength(&candidate).await?)
}

#[tauri::command]
pub async fn change_password(
    desktop: State<'_, Desktop>,
    current: SecretString,
    new: SecretString,
    repeat: SecretString,
) -> UiResult<()> {
    Ok(desktop
        .engine()
        .await
        .change_password(&current, &new, &repeat)
        .await?)
}

// The email and phone changes: eight commands (the capability names each), one way
// through the engine each step takes.

async fn request_change(
    desktop: &Desktop,
    new: NewContact<'_>,
    password: &SecretString,
) -> UiResult<PendingChangeView> {
    Ok(desktop.engine().await.request_change(new, password).await?)
}

async fn resend_code(desktop: &Desktop, kind: ChangeKind) -> UiResult<PendingChangeView> {
    Ok(desktop.engine().await.resend_code(kind).await?)
}

async fn confirm_change(
    desktop: &Desktop,
    kind: ChangeKind,
    code: &str,
) -> UiResult<AccountPayload> {
    Ok(desktop
        .engine()
        .await
        .confirm_change(kind, code.trim())
        .await?
        .into())
}

async fn cancel_change(desktop: &Desktop, kind: ChangeKind) -> UiResult<()> {
    Ok(desktop.engine().await.cancel_change(kind).await?)
}

/// The address is checked here first, so a typo is told without a round trip.
#[tauri::command]
pub async fn request_email_change(
    desktop: State<'_, Desktop>,
    email: String,
    password: SecretString,
) -> UiResult<PendingChangeView> {
    let email = account_model::Email::parse(&email)?;
    request_change(&desktop, NewContact::Email(email.as_str()), &password).await
}

#[tauri::command]
pub async fn resend_email_code(desktop: State<'_, Desktop>) -> UiResult<PendingChangeView> {
    resend_code(&desktop, ChangeKind::Email).await
}

#[tauri::command]
pub async fn confirm_email_change(
    desktop: State<'_, Desktop>,
    code: String,
) -> UiResult<AccountPayload> {
    confirm_change(&desktop, ChangeKind::Email, &code).await
}

#[tauri::command]
pub async fn cancel_email_change(desktop: State<'_, Desktop>) -> UiResult<()> {
    cancel_change(&desktop, ChangeKind::Email).await
}

/// What can be told without the numbering plans (empty, no country code) is told here,
/// without a round trip; the server checks the number against its country's plan.
#[tauri::command]
pub async fn request_phone_change(
    desktop: State<'_, Desktop>,
    phone: String,
    password: SecretString,
) -> UiResult<PendingChangeView> {
    let phone = account_model::precheck_phone(&phone)?;
    request_change(&desktop, NewContact::Phone(&phone), &password).await
}

#[tauri::command]
pub async fn resend_phone_code(desktop: State<'_, Desktop>) -> UiResult<PendingChangeView> {
    resend_code(&desktop, ChangeKind::Phone).await
}

#[tauri::command]
pub async fn confirm_phone_change(
    desktop: State<'_, Desktop>,
    code: String,
) -> UiResult<AccountPayload> {
    confirm_change(&desktop, ChangeKind::Phone, &code).await
}

#[tauri::command]
pub async fn cancel_phone_change(desktop: State<'_, Desktop>) -> UiResult<()> {
    cancel_change(&desktop, ChangeKind::Phone).await
}

/// The cached list: every refresh renews it (and publishes a `sessions` event), so
/// showing it costs no request; fetched only when none is cached yet.
#[tauri::command]
pub async fn list_sessions(desktop: State<'_, Desktop>) -> UiResult<SessionsPayload> {
    Ok(desktop.engine().await.sessions().await?.into())
}

#[tauri::command]
pub async fn revoke_session(desktop: State<'_, Desktop>, id: String) -> UiResult<()> {
    Ok(desktop.engine().await.revoke_session(&id).await?)
}

#[tauri::command]
pub async fn revoke_other_sessions(desktop: State<'_, Desktop>) -> UiResult<RevokedView> {
    let revoked = desktop.engine().await.revoke_other_sessions().await?;
    Ok(RevokedView { revoked })
}

/// The cached members list (owners and admins), as `list_sessions`.
#[tauri::command]
pub async fn list_members(desktop: State<'_, Desktop>) -> UiResult<MembersPayload> {
    Ok(desktop.engine().await.members().await?.into())
}

#[tauri::command]
pub async fn change_role(
    desktop: State<'_, Desktop>,
    user_id: i64,
    role: String,
) -> UiResult<MemberView> {
    let role = Role::parse(&role)?;
    Ok(desktop.engine().await.change_role(user_id, role).await?)
}

/// The window's first frame is on screen: what waited for it (the tray) is built now,
/// and the line `first-paint` goes to stdout (the benchmark times launch → this line).
#[tauri::command]
pub fn ui_painted<R: Runtime>(app: AppHandle<R>) {
    tracing::debug!("first frame on screen");
    crate::build_tray_soon(&app);
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "first-paint");
    let _ = out.flush();
}

/// This computer's own settings (`login_start`). Async, like every command that touches
/// the disk: Tauri runs the others on the main thread.
#[tauri::command]
pub async fn device_settings<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
) -> UiResult<DevicePayload> {
    Ok(DevicePayload {
        start_at_login: desktop.start_at_login(&app)?,
    })
}

/// Starts the app at login on this device, or stops doing so; answers what the OS says now.
#[tauri::command]
pub async fn set_start_at_login<R: Runtime>(
    app: AppHandle<R>,
    desktop: State<'_, Desktop>,
    enabled: bool,
) -> UiResult<DevicePayload> {
    Ok(DevicePayload {
        start_at_login: desktop.choose_start_at_login(&app, enabled)?,
    })
}

/// What is known about updates (the app checks at start and every day by itself).
#[tauri::command]
pub async fn update_status<R: Runtime>(app: AppHandle<R>) -> crate::updates::UpdatePayload {
    crate::updates::status(&app).await
}

/// Asks the update endpoint now ("Check for updates").
#[tauri::command]
pub async fn check_for_update<R: Runtime>(
    app: AppHandle<R>,
) -> UiResult<crate::updates::UpdatePayload> {
    crate::updates::check(&app).await
}

/// Downloads, verifies and installs the update found, then restarts as the new
/// version; answers only when that failed (the app runs on as it was).
#[tauri::command]
pub async fn install_update<R: Runtime>(app: AppHandle<R>) -> UiResult<()> {
    crate::updates::install(&app).await
}

/// Ctrl+W: close to the tray (the webview is destroyed; the app keeps running).
#[tauri::command]
pub fn close_window<R: Runtime>(window: WebviewWindow<R>) -> UiResult<()> {
    window.close().map_err(UiError::internal)
}

/// Refreshes in the background (tray "Refresh"); failures show up in the sync state.
pub fn refresh_in_background<R: Runtime>(app: &AppHandle<R>) {
    use tauri::Manager;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let Some(desktop) = app.try_state::<Desktop>() else {
            return;
        };
        let engine = desktop.engine().await;
        if let Err(e) = engine.refresh().await {
            tracing::info!(error = %e, "refresh from the tray failed");
        }
        desktop::show_in_tray(&app, &engine).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(json: serde_json::Value) -> Result<EditArgs, serde_json::Error> {
        serde_json::from_value(json)
    }

    #[test]
    fn edits_parse_into_the_models_types_or_name_the_bad_field() {
        let edit = args(serde_json::json!({
            "language": "es", "country": "es", "timeZone": "Europe/Madrid",
            "contactImports": ["email"],
            "lowBalance": { "enabled": true, "thresholdMinor": 2500, "channels": ["desktop", "email"] }
        }))
        .expect("shape")
        .parse()
        .expect("valid");
        let mut fields: Vec<_> = edit.prefs().map(|p| p.field().name()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "contactImports",
                "country",
                "language",
                "lowBalance.channels",
                "lowBalance.enabled",
                "lowBalance.thresholdMinor",
                "timeZone"
            ]
        );

        let bad_zone = args(serde_json::json!({ "timeZone": "Mars/Olympus" }))
            .expect("shape")
            .parse()
            .expect_err("zone");
        assert_eq!(bad_zone.code, ErrorCode::InvalidTimeZone);
        let empty = EditArgs::default().parse().expect_err("empty");
        assert_eq!(empty.code, ErrorCode::InvalidRequest);
        assert!(
            args(serde_json::json!({ "colour": "red" })).is_err(),
            "unknown fields are refused"
        );
    }
}
