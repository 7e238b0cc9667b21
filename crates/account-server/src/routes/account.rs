use account_model::dto::{
    AccountView, ChangePasswordRequest, PasswordStrengthRequest, UpdatePreferencesRequest,
};
use account_model::{ErrorBody, ErrorCode, PreferencesUpdate, Strength};
use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;

use super::extract::{AppJson, Auth};
use crate::crypto;
use crate::error::{AppError, AppResult};
use crate::service::Services;
use crate::service::account::UpdateOutcome;

/// The account's ETag: its version and the balance, the two things that change it.
fn etag(version: i64, balance_minor: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}-{balance_minor}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

fn with_etag(view: &AccountView) -> Response {
    let mut response = Json(view).into_response();
    response
        .headers_mut()
        .insert(ETAG, etag(view.version, view.balance.amount_minor));
    response
}

/// The caller's account. Send `If-None-Match` with the last ETag to get 304 when
/// nothing changed.
#[utoipa::path(get, path = "/v1/account", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = AccountView, headers(("ETag" = String))), (status = 304, description = "not modified"),
              (status = 401, body = ErrorBody)))]
pub async fn get_account(
    State(s): State<Services>,
    Auth(caller): Auth,
    headers: HeaderMap,
) -> AppResult<Response> {
    let current = etag(caller.user.version, caller.user.balance_minor);
    let unchanged = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == current || tag.trim() == "*");
    if unchanged {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(ETAG, current);
        return Ok(response);
    }
    Ok(with_etag(&s.account_view(&caller.user).await?))
}

/// Updates language, region and notification preferences (partial). Send
/// `Idempotency-Key` to make retries safe; `baseVersion` guards against lost updates.
#[utoipa::path(patch, path = "/v1/account/preferences", tag = "account", security(("bearer" = [])),
    request_body = UpdatePreferencesRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1-100 characters; a repeat returns the first response")),
    responses((status = 200, body = AccountView), (status = 409, description = "version_conflict, details.current holds the account", body = ErrorBody),
              (status = 403, description = "billing fields without billing permission", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_preferences(
    State(s): State<Services>,
    Auth(caller): Auth,
    headers: HeaderMap,
    AppJson(r): AppJson<UpdatePreferencesRequest>,
) -> AppResult<Response> {
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| (1..=100).contains(&k.len()))
                .ok_or_else(|| {
                    AppError::new(
                        ErrorCode::InvalidRequest,
                        "Idempotency-Key must be 1 to 100 visible characters",
                    )
                })?;
            let canonical = serde_json::to_vec(&r).map_err(AppError::internal)?;
            Some((key.to_owned(), crypto::body_hash(&canonical)))
        }
    };
    let update = PreferencesUpdate::try_from(&r)?;
    match s.update_preferences(&caller, update, key).await? {
        UpdateOutcome::Applied(view) => Ok(with_etag(&view)),
        UpdateOutcome::Replayed { status, body } => {
            let status = StatusCode::from_u16(status).map_err(AppError::internal)?;
            Ok((status, [(CONTENT_TYPE, "application/json")], body).into_response())
        }
    }
}

/// Changes the password: current + new + repeat. Other sessions are signed out.
#[utoipa::path(post, path = "/v1/account/password", tag = "account", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = 403, description = "wrong_password", body = ErrorBody),
              (status = 422, description = "password policy, details.score is the zxcvbn score", body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn change_password(
    State(s): State<Services>,
    Auth(caller): Auth,
    AppJson(r): AppJson<ChangePasswordRequest>,
) -> AppResult<StatusCode> {
    s.change_password(
        &caller,
        SecretString::from(r.current_password),
        SecretString::from(r.new_password),
        SecretString::from(r.repeat_password),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The strength meter: zxcvbn score and whether the password meets the policy for
/// this user. Nothing is stored.
#[utoipa::path(post, path = "/v1/account/password-strength", tag = "account", security(("bearer" = [])),
    request_body = PasswordStrengthRequest, responses((status = 200, body = Strength), (status = 401, body = ErrorBody)))]
pub async fn password_strength(
    State(s): State<Services>,
    Auth(caller): Auth,
    AppJson(r): AppJson<PasswordStrengthRequest>,
) -> AppResult<Json<Strength>> {
    Ok(Json(s.password_strength(&caller.user, &r.password)))
}
