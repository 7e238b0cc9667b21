//! Extractors that speak the app's error vocabulary: bad JSON, unknown fields, wrong
//! types, a missing content type and oversized bodies all answer with `ErrorBody`,
//! never axum's plain-text rejections. `Auth` resolves the bearer token to the caller.

use account_model::ErrorCode;
use axum::body::Bytes;
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
        let mut value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            AppError::new(
                ErrorCode::MalformedJson,
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        integral_numbers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(Self)
            .map_err(|e| {
                AppError::new(
                    ErrorCode::InvalidRequest,
                    format!("the request does not fit this endpoint: {e}"),
                )
            })
    }
}

/// Numbers written with a fraction part of zero (`1199.0`, `1e3`) as the integers they
/// are. JSON Schema, and so the OpenAPI document, counts `1.0` as an integer; serde's
/// `i64` refuses it. Anything with a real fraction, or outside `i64`, stays as it is
/// and is refused by the type.
fn integral_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64() {
                // 2^63: the first float past i64::MAX; every float below it with no fraction
                // is an exact i64.
                if f.fract() == 0.0 && f.abs() < 9_223_372_036_854_775_808.0 {
                    *value = serde_json::Value::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
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
