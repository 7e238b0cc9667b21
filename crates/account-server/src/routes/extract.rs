//! Extractors that speak the app's error vocabulary: bad JSON, unknown fields, wrong
//! types, a missing content type and oversized bodies all answer with `ErrorBody`,
//! never axum's plain-text rejections. `Auth` resolves the bearer token to the caller.

use account_model::ErrorCode;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::service::Services;
use crate::service::auth::Caller;

/// JSON body with the app's own rejections.
#[derive(Debug)]
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Services> for AppJson<T> {
    type Rejection = AppError;

    /// Every body of this API is an object. serde reads a struct from a JSON array
    /// too (its fields in order), so `["a@b.example","pw"]` would sign in: that is
    /// refused here, before the type sees it.
    async fn from_request(req: Request, state: &Services) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(AppError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
            } else {
                AppError::new(ErrorCode::InvalidRequest, rejection.body_text())
            }
        })?;
        if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(
                match serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
                    Err(e) => AppError::new(
                        ErrorCode::MalformedJson,
                        format!("the body is not valid JSON: {e}"),
                    ),
                    Ok(_) => {
                        AppError::new(ErrorCode::InvalidRequest, "the body must be a JSON object")
                    }
                },
            );
        }
        match axum::Json::<T>::from_bytes(&body) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `Content-Type: application/json` or `application/<something>+json`, any parameters
/// (what axum's `Json` accepts).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
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

/// The bearer token of `Authorization: Bearer <token>`, not looked up yet. The scheme
/// is matched without regard to case (RFC 9110 §11.1): `bearer x` is `Bearer x`.
#[derive(Debug)]
pub struct Bearer(pub String);

impl<S: Sync> FromRequestParts<S> for Bearer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim_start().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
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
