//! Extractors that speak the app's error vocabulary: bad JSON, unknown fields, wrong
//! types, a missing content type and oversized bodies all answer with `ErrorBody`,
//! never axum's plain-text rejections. `Auth` resolves the bearer token to the caller.

use account_model::ErrorCode;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::service::Services;
use crate::service::auth::Caller;

/// JSON body with the app's own rejections.
#[derive(Debug)]
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Services> for AppJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &Services) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field and what was wrong ("unknown field `x`",
            // "invalid type: integer, expected a string").
            let detail =
                std::error::Error::source(&e).map_or_else(|| e.body_text(), |s| s.to_string());
            AppError::new(
                ErrorCode::InvalidRequest,
                format!("the request does not fit this endpoint: {detail}"),
            )
        }
        JsonRejection::JsonSyntaxError(e) => {
            let detail =
                std::error::Error::source(&e).map_or_else(|| e.body_text(), |s| s.to_string());
            AppError::new(
                ErrorCode::MalformedJson,
                format!("the body is not valid JSON: {detail}"),
            )
        }
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with Content-Type: application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            AppError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
        }
        other => AppError::new(ErrorCode::InvalidRequest, other.body_text()),
    }
}

/// The bearer token of `Authorization: Bearer <token>`, not looked up yet.
#[derive(Debug)]
pub struct Bearer(pub String);

impl<S: Sync> FromRequestParts<S> for Bearer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .map(|t| Self(t.to_owned()))
            .ok_or_else(AppError::unauthenticated)
    }
}

/// The signed-in caller, from `Authorization: Bearer <token>`.
#[derive(Debug)]
pub struct Auth(pub Caller);

impl FromRequestParts<Services> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        services: &Services,
    ) -> Result<Self, Self::Rejection> {
        let Bearer(token) = Bearer::from_request_parts(parts, services).await?;
        services.authenticate(&token).await.map(Auth)
    }
}
