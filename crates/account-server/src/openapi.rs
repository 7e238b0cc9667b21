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
    // Path parameters' types are not collected by the derive.
    components(schemas(crate::releases::Os, crate::releases::Arch)),
    modifiers(&BearerAuth, &WireRules)
)]
pub struct ApiDoc;

/// What every operation of a kind answers, added to each from the same facts the
/// server's extractors act on, so no handler's annotation can forget one:
/// - an operation with a security requirement answers 401 (`Auth`/`Bearer`, and the
///   service token's check, refuse a missing, malformed or unknown token);
/// - an operation with a body answers 400 `malformed_json`, 413 `payload_too_large`,
///   415 `unsupported_media_type` and 422 `invalid_request` (`AppJson`).
///
/// The links between operations (what a client, or Schemathesis's stateful phase, does
/// next with an answer): a listed session can be revoked, a listed member's role
/// changed, the organization of the account adjusted by the service; a started email
/// or phone change can be confirmed, resent or cancelled. See [`LINKS`].
///
/// And what the derive cannot say:
/// - `PlatformEvent` refuses unknown fields in every variant (serde's
///   `deny_unknown_fields` on the enum, which the derive reflects only for structs);
/// - a preferences update names at least one field besides `baseVersion`, and its
///   `lowBalance` at least one of its own (`PrefChange::parse_all` refuses an update
///   that changes nothing). utoipa-gen 5.5 writes `min_properties` as `maxProperties`,
///   so the bound is set here.
struct WireRules;

impl WireRules {
    const BODY_ERRORS: [(&'static str, &'static str); 4] = [
        ("400", "malformed_json: the body is not JSON"),
        (
            "413",
            "payload_too_large: the body is over the server's limit",
        ),
        (
            "415",
            "unsupported_media_type: the body is not sent as application/json",
        ),
        (
            "422",
            "invalid_request (wrong shape: not an object, an unknown field, a wrong type), or a value's own code",
        ),
    ];
}

/// A link: (operation, status, link name, target operation, parameters: name and
/// runtime expression).
type LinkRule = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const LINKS: &[LinkRule] = &[
    (
        "list_sessions",
        "200",
        "RevokeSession",
        "revoke_session",
        &[("id", "$response.body#/sessions/0/id")],
    ),
    (
        "list_members",
        "200",
        "ChangeRole",
        "change_role",
        &[("id", "$response.body#/members/0/userId")],
    ),
    (
        "get_account",
        "200",
        "AdjustBalance",
        "adjust_balance",
        &[("id", "$response.body#/organization/id")],
    ),
    (
        "sign_in",
        "200",
        "AdjustBalance",
        "adjust_balance",
        &[("id", "$response.body#/account/organization/id")],
    ),
    (
        "request_email_change",
        "202",
        "ConfirmEmailChange",
        "confirm_email_change",
        &[],
    ),
    (
        "request_email_change",
        "202",
        "ResendEmailCode",
        "resend_email_code",
        &[],
    ),
    (
        "request_email_change",
        "202",
        "CancelEmailChange",
        "cancel_email_change",
        &[],
    ),
    (
        "request_phone_change",
        "202",
        "ConfirmPhoneChange",
        "confirm_phone_change",
        &[],
    ),
    (
        "request_phone_change",
        "202",
        "ResendPhoneCode",
        "resend_phone_code",
        &[],
    ),
    (
        "request_phone_change",
        "202",
        "CancelPhoneChange",
        "cancel_phone_change",
        &[],
    ),
];

fn add_links(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::link::LinkBuilder;
    let Some(id) = operation.operation_id.clone() else {
        return;
    };
    for (from, status, name, to, parameters) in LINKS {
        if *from != id {
            continue;
        }
        let Some(utoipa::openapi::RefOr::T(response)) =
            operation.responses.responses.get_mut(*status)
        else {
            continue;
        };
        let link = parameters
            .iter()
            .fold(
                LinkBuilder::new().operation_id(*to),
                |link, (param, expression)| link.parameter(*param, *expression),
            )
            .build();
        response.links.insert((*name).to_owned(), link.into());
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

impl Modify for WireRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                add_links(operation);
                let responses = &mut operation.responses.responses;
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    responses.entry("401".to_owned()).or_insert_with(|| {
                        error_response("unauthenticated: no token, or one that is not valid")
                    });
                }
                if operation.request_body.is_some() {
                    for (status, description) in Self::BODY_ERRORS {
                        responses
                            .entry(status.to_owned())
                            .or_insert_with(|| error_response(description));
                    }
                }
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, least) in [("UpdatePreferencesRequest", 2), ("LowBalanceUpdate", 1)] {
            if let Some(utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(
                object,
            ))) = components.schemas.get_mut(name)
            {
                object.min_properties = Some(least);
            }
        }
        if let Some(utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::OneOf(events))) =
            components.schemas.get_mut("PlatformEvent")
        {
            for variant in &mut events.items {
                if let utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(object)) =
                    variant
                {
                    object.additional_properties = Some(Box::new(
                        utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                    ));
                }
            }
        }
    }
}

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

/// The document as JSON: what is served and checked in.
///
/// Two fixes on the way out: the crate version would make every release a diff (the
/// API has its own, 1), and utoipa 5.5 writes a link's fields in snake_case
/// (`operation_id`, `request_body`), which no OpenAPI reader knows; they are renamed
/// to the specification's `operationId` and `requestBody`.
fn value() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    doc["info"]["version"] = "1".into();
    if let Some(paths) = doc["paths"].as_object_mut() {
        let links = paths
            .values_mut()
            .filter_map(serde_json::Value::as_object_mut)
            .flat_map(|item| item.values_mut())
            .filter_map(|operation| operation["responses"].as_object_mut())
            .flat_map(|responses| responses.values_mut())
            .filter_map(|response| response.get_mut("links").and_then(|l| l.as_object_mut()))
            .flat_map(|links| links.values_mut())
            .filter_map(serde_json::Value::as_object_mut);
        for link in links {
            for (from, to) in [
                ("operation_id", "operationId"),
                ("request_body", "requestBody"),
            ] {
                if let Some(v) = link.remove(from) {
                    link.insert(to.to_owned(), v);
                }
            }
        }
    }
    doc
}

/// The document as pretty JSON, exactly as checked in.
pub fn document() -> String {
    let mut json =
        serde_json::to_string_pretty(&value()).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    json.push('\n');
    json
}

pub async fn serve() -> Json<serde_json::Value> {
    Json(value())
}
