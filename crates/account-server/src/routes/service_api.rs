//! The service API: calls from the platform's own systems (billing, the contact
//! importer), authenticated by the configured service token, never by a user session.

use account_model::dto::{
    BalanceAdjustmentRequest, BalanceAdjustmentView, EmitResultView, PlatformEvent,
};
use account_model::{ErrorBody, ErrorCode};
use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::extract::AppJson;
use crate::error::{AppError, AppResult};
use crate::service::Services;

/// Proof that the request carries the service token.
#[derive(Debug)]
pub struct ServiceAuth;

impl FromRequestParts<Services> for ServiceAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        services: &Services,
    ) -> Result<Self, Self::Rejection> {
        let refuse = || {
            AppError::new(
                ErrorCode::Unauthenticated,
                "the service API needs the service token",
            )
        };
        let expected = services.config.service_token.as_ref().ok_or_else(refuse)?;
        let given = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(refuse)?;
        // Compare digests so the time taken says nothing about how much matched.
        let (a, b) = (
            Sha256::digest(given.trim().as_bytes()),
            Sha256::digest(expected.expose_secret().as_bytes()),
        );
        let diff = a
            .iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        if diff == 0 { Ok(Self) } else { Err(refuse()) }
    }
}

fn organization_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| {
        AppError::new(
            ErrorCode::NotFound,
            format!("there is no organization \"{raw}\""),
        )
    })
}

/// Tops up (positive) or charges (negative) an organization's balance, once per key.
#[utoipa::path(post, path = "/v1/service/organizations/{id}/balance-adjustments", tag = "service", security(("service" = [])),
    params(("id" = i64, Path, description = "organization id")), request_body = BalanceAdjustmentRequest,
    responses((status = 200, body = BalanceAdjustmentView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjust_balance(
    State(s): State<Services>,
    _: ServiceAuth,
    Path(id): Path<String>,
    AppJson(r): AppJson<BalanceAdjustmentRequest>,
) -> AppResult<Json<BalanceAdjustmentView>> {
    let id = organization_id(&id)?;
    Ok(Json(
        s.adjust_balance(id, r.amount_minor, &r.idempotency_key, r.description)
            .await?,
    ))
}

/// Routes a platform event to the organization's users by their preferences.
#[utoipa::path(post, path = "/v1/service/events", tag = "service", security(("service" = [])),
    request_body = PlatformEvent,
    responses((status = 200, body = EmitResultView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn emit_event(
    State(s): State<Services>,
    _: ServiceAuth,
    AppJson(event): AppJson<PlatformEvent>,
) -> AppResult<Json<EmitResultView>> {
    Ok(Json(s.emit(event).await?))
}
