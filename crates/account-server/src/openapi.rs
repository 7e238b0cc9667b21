//! The OpenAPI document, generated from the handlers' annotations and the model's
//! DTOs. The server serves it at `/v1/openapi.json`; a copy is checked in at
//! `crates/account-server/openapi.json` and a test fails when the two differ
//! (regenerate with `make openapi`).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Account Settings API", description = "Sign-in, sessions and every user setting of the Account Settings product."),
    paths(
        routes::sign_in, routes::sign_out, routes::list_sessions, routes::revoke_session, routes::revoke_other_sessions,
        routes::get_account, routes::update_preferences, routes::change_password, routes::password_strength,
        routes::request_email_change, routes::resend_email_code, routes::confirm_email_change, routes::cancel_email_change,
        routes::request_phone_change, routes::resend_phone_code, routes::confirm_phone_change, routes::cancel_phone_change,
        routes::list_members, routes::change_role,
        routes::stream_events, routes::adjust_balance, routes::emit_event, routes::desktop_update,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "service",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("the service token from the server's configuration"))
                    .build(),
            ),
        );
    }
}

/// The document as pretty JSON, exactly as checked in.
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    // The crate version would make every release a diff; the API has its own.
    doc.info.version = "1".to_owned();
    let mut json = doc
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    json.push('\n');
    json
}

pub async fn serve() -> Json<serde_json::Value> {
    Json(
        serde_json::to_value(ApiDoc::openapi()).map_or(serde_json::Value::Null, |mut v| {
            v["info"]["version"] = "1".into();
            v
        }),
    )
}
