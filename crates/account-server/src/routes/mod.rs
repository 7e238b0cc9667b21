//! HTTP routes under `/v1`. Each handler parses its input, calls one service function
//! and maps the result; see `crate::service` for the rules.

mod account;
mod changes;
pub mod extract;
mod org;
mod service_api;
mod sessions;
mod stream;
mod updates;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{delete, get, post, put};

use crate::service::Services;

pub use account::*;
pub use changes::*;
pub use org::*;
pub use service_api::*;
pub use sessions::*;
pub use stream::*;
pub use updates::*;

/// On every response: `Cache-Control: no-store` (answers carry accounts, sessions and
/// tokens; no proxy or browser cache may keep them; a route may say otherwise) and
/// `X-Content-Type-Options: nosniff` (a body is only ever what its type says).
async fn protective_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

pub fn router(services: Services) -> Router {
    let body_limit = services.config.limits.body_limit_bytes;
    // The bundles, as static files (ranges, lengths and types by tower-http's ServeDir,
    // which refuses paths that leave the folder).
    let releases = match &services.config.releases_dir {
        Some(dir) => {
            Router::new().nest_service(RELEASES_PATH, tower_http::services::ServeDir::new(dir))
        }
        None => Router::new(),
    };
    releases
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/openapi.json", get(crate::openapi::serve))
        .route("/v1/sessions", post(sign_in).get(list_sessions))
        .route("/v1/sessions/current", delete(sign_out))
        .route("/v1/sessions/revoke-others", post(revoke_other_sessions))
        .route("/v1/sessions/{id}", delete(revoke_session))
        .route("/v1/account", get(get_account))
        .route(
            "/v1/account/preferences",
            axum::routing::patch(update_preferences),
        )
        .route("/v1/account/password", post(change_password))
        .route("/v1/account/password-strength", post(password_strength))
        .route(
            "/v1/account/email-change",
            post(request_email_change).delete(cancel_email_change),
        )
        .route("/v1/account/email-change/resend", post(resend_email_code))
        .route(
            "/v1/account/email-change/confirm",
            post(confirm_email_change),
        )
        .route(
            "/v1/account/phone-change",
            post(request_phone_change).delete(cancel_phone_change),
        )
        .route("/v1/account/phone-change/resend", post(resend_phone_code))
        .route(
            "/v1/account/phone-change/confirm",
            post(confirm_phone_change),
        )
        .route("/v1/organization/members", get(list_members))
        .route("/v1/organization/members/{id}/role", put(change_role))
        .route("/v1/events", get(stream_events))
        .route(
            "/v1/service/organizations/{id}/balance-adjustments",
            post(adjust_balance),
        )
        .route("/v1/service/events", post(emit_event))
        .route(
            "/v1/desktop/updates/{target}/{arch}/{current_version}",
            get(desktop_update),
        )
        .fallback(|| async {
            crate::AppError::new(account_model::ErrorCode::NotFound, "no such endpoint")
        })
        .method_not_allowed_fallback(|| async {
            crate::AppError::new(
                account_model::ErrorCode::MethodNotAllowed,
                "this endpoint does not take this method (the Allow header lists those it takes)",
            )
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::map_response(protective_headers))
        .with_state(services)
}
