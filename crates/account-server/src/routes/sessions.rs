use account_model::ErrorBody;
use account_model::dto::{RevokedView, SessionsView, SignInRequest, SignInResponse};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use secrecy::SecretString;

use super::extract::{AppJson, Auth};
use crate::error::AppResult;
use crate::service::Services;

/// Sign in with email and password; returns a bearer token.
#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", request_body = SignInRequest,
    responses((status = 200, body = SignInResponse), (status = 401, description = "invalid_credentials", body = ErrorBody),
              (status = 429, description = "too_many_attempts", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign_in(
    State(s): State<Services>,
    AppJson(r): AppJson<SignInRequest>,
) -> AppResult<Json<SignInResponse>> {
    let response = s
        .sign_in(
            &r.email,
            SecretString::from(r.password),
            r.device_name,
            r.detected,
        )
        .await?;
    Ok(Json(response))
}

/// Sign out: revokes the session making the request.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "sessions", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn sign_out(State(s): State<Services>, Auth(caller): Auth) -> AppResult<StatusCode> {
    s.sign_out(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's live sessions, most recently used first.
#[utoipa::path(get, path = "/v1/sessions", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, body = SessionsView), (status = 401, body = ErrorBody)))]
pub async fn list_sessions(
    State(s): State<Services>,
    Auth(caller): Auth,
) -> AppResult<Json<SessionsView>> {
    Ok(Json(SessionsView {
        sessions: s.list_sessions(&caller).await?,
    }))
}

/// Revokes one of the caller's sessions.
#[utoipa::path(delete, path = "/v1/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "session id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn revoke_session(
    State(s): State<Services>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    s.revoke_session(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every session of the caller except this one.
#[utoipa::path(post, path = "/v1/sessions/revoke-others", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, body = RevokedView), (status = 401, body = ErrorBody)))]
pub async fn revoke_other_sessions(
    State(s): State<Services>,
    Auth(caller): Auth,
) -> AppResult<Json<RevokedView>> {
    Ok(Json(RevokedView {
        revoked: s.revoke_other_sessions(&caller).await?,
    }))
}
