use account_model::ErrorBody;
use account_model::dto::{
    AccountView, ConfirmCodeRequest, EmailChangeRequest, PendingChangeView, PhoneChangeRequest,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::SecretString;

use super::extract::{AppJson, Auth};
use crate::error::AppResult;
use crate::service::Services;
use account_model::ChangeKind;

/// Starts an email change: a code goes to the new address.
#[utoipa::path(post, path = "/v1/account/email-change", tag = "email change", security(("bearer" = [])),
    request_body = EmailChangeRequest,
    responses((status = 202, body = PendingChangeView), (status = 403, description = "wrong_password", body = ErrorBody),
              (status = 409, description = "email_taken", body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_email_change(
    State(s): State<Services>,
    Auth(c): Auth,
    AppJson(r): AppJson<EmailChangeRequest>,
) -> AppResult<(StatusCode, Json<PendingChangeView>)> {
    let view = s
        .request_email_change(&c, &r.new_email, SecretString::from(r.password))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// Sends a new code for the pending email change.
#[utoipa::path(post, path = "/v1/account/email-change/resend", tag = "email change", security(("bearer" = [])),
    responses((status = 202, body = PendingChangeView), (status = 404, description = "no_pending_change", body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn resend_email_code(
    State(s): State<Services>,
    Auth(c): Auth,
) -> AppResult<(StatusCode, Json<PendingChangeView>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(s.resend_code(&c, ChangeKind::Email).await?),
    ))
}

/// Confirms the email change with the code; the old address is told.
#[utoipa::path(post, path = "/v1/account/email-change/confirm", tag = "email change", security(("bearer" = [])),
    request_body = ConfirmCodeRequest,
    responses((status = 200, body = AccountView), (status = 422, description = "code_invalid", body = ErrorBody),
              (status = 410, description = "code_expired or code_attempts_exceeded", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn confirm_email_change(
    State(s): State<Services>,
    Auth(c): Auth,
    AppJson(r): AppJson<ConfirmCodeRequest>,
) -> AppResult<Json<AccountView>> {
    Ok(Json(
        s.confirm_change(&c, ChangeKind::Email, &r.code).await?,
    ))
}

/// Cancels the pending email change.
#[utoipa::path(delete, path = "/v1/account/email-change", tag = "email change", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn cancel_email_change(
    State(s): State<Services>,
    Auth(c): Auth,
) -> AppResult<StatusCode> {
    s.cancel_change(&c, ChangeKind::Email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts a phone change: an SMS code goes to the new number.
#[utoipa::path(post, path = "/v1/account/phone-change", tag = "phone change", security(("bearer" = [])),
    request_body = PhoneChangeRequest,
    responses((status = 202, body = PendingChangeView), (status = 403, description = "wrong_password", body = ErrorBody),
              (status = 422, description = "invalid_phone, phone_country_not_allowed", body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_phone_change(
    State(s): State<Services>,
    Auth(c): Auth,
    AppJson(r): AppJson<PhoneChangeRequest>,
) -> AppResult<(StatusCode, Json<PendingChangeView>)> {
    let view = s
        .request_phone_change(&c, &r.phone, SecretString::from(r.password))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// Sends a new SMS code for the pending phone change.
#[utoipa::path(post, path = "/v1/account/phone-change/resend", tag = "phone change", security(("bearer" = [])),
    responses((status = 202, body = PendingChangeView), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn resend_phone_code(
    State(s): State<Services>,
    Auth(c): Auth,
) -> AppResult<(StatusCode, Json<PendingChangeView>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(s.resend_code(&c, ChangeKind::Phone).await?),
    ))
}

/// Validates the SMS code and applies the new number.
#[utoipa::path(post, path = "/v1/account/phone-change/confirm", tag = "phone change", security(("bearer" = [])),
    request_body = ConfirmCodeRequest,
    responses((status = 200, body = AccountView), (status = 422, body = ErrorBody), (status = 410, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn confirm_phone_change(
    State(s): State<Services>,
    Auth(c): Auth,
    AppJson(r): AppJson<ConfirmCodeRequest>,
) -> AppResult<Json<AccountView>> {
    Ok(Json(
        s.confirm_change(&c, ChangeKind::Phone, &r.code).await?,
    ))
}

/// Cancels the pending phone change.
#[utoipa::path(delete, path = "/v1/account/phone-change", tag = "phone change", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn cancel_phone_change(
    State(s): State<Services>,
    Auth(c): Auth,
) -> AppResult<StatusCode> {
    s.cancel_change(&c, ChangeKind::Phone).await?;
    Ok(StatusCode::NO_CONTENT)
}
