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

use super::extract::{AppJson, Auth, Bearer};
use crate::crypto;
use crate::error::{AppError, AppResult};
use crate::service::Services;
use crate::service::account::{AccountRead, AccountTag, UpdateOutcome};

/// The account's ETag: `"version-balance-pending"` (see `AccountTag`).
fn etag(tag: AccountTag) -> HeaderValue {
    let AccountTag {
        version,
        balance_minor,
        pending,
    } = tag;
    HeaderValue::from_str(&format!("\"{version}-{balance_minor}-{pending}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The tags an `If-None-Match` names (`*` is any; tags of another shape, such as the
/// two-part ones of earlier builds, match nothing). The comparison is weak, as RFC 9110
/// asks for `If-None-Match`: `W/"3-100-0"` is `"3-100-0"`.
fn known_tags(headers: &HeaderMap) -> (Vec<AccountTag>, bool) {
    let mut tags = Vec::new();
    let mut any = false;
    for tag in headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
    {
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        if tag == "*" {
            any = true;
        } else if let Some(tag) = parse_tag(tag) {
            tags.push(tag);
        }
    }
    (tags, any)
}

fn parse_tag(quoted: &str) -> Option<AccountTag> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    // The balance may be negative ("7--250-0"): the version ends at the first dash, the
    // pending bits start after the last.
    let (version, rest) = inner.split_once('-')?;
    let (balance_minor, pending) = rest.rsplit_once('-')?;
    Some(AccountTag {
        version: version.parse().ok()?,
        balance_minor: balance_minor.parse().ok()?,
        pending: pending.parse().ok()?,
    })
}

fn with_etag(view: &AccountView) -> Response {
    let mut response = Json(view).into_response();
    response
        .headers_mut()
        .insert(ETAG, etag(AccountTag::of(view)));
    response
}

/// The caller's account. Send `If-None-Match` with the last ETag to get 304 when
/// nothing changed.
#[utoipa::path(get, path = "/v1/account", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = AccountView, headers(("ETag" = String))), (status = 304, description = "not modified"),
              (status = 401, body = ErrorBody)))]
pub async fn get_account(
    State(s): State<Services>,
    Bearer(token): Bearer,
    headers: HeaderMap,
) -> AppResult<Response> {
    let (known, any) = known_tags(&headers);
    match s.read_account(&token, &known, any).await? {
        AccountRead::Unchanged(tag) => {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            response.headers_mut().insert(ETAG, etag(tag));
            Ok(response)
        }
        AccountRead::View(view) => Ok(with_etag(&view)),
    }
}

/// Updates language, region and notification preferences (partial). Send
/// `Idempotency-Key` to make retries safe; `baseVersion` guards against lost updates.
#[utoipa::path(patch, path = "/v1/account/preferences", tag = "account", security(("bearer" = [])),
    request_body = UpdatePreferencesRequest,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 100, pattern = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
            description = "1-100 visible ASCII characters; a repeat with the same body returns the first response")),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_names_tags_weak_or_strong_and_ignores_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            IF_NONE_MATCH,
            HeaderValue::from_static("\"3-100-0\", W/\"4-50-3\""),
        );
        headers.append(
            IF_NONE_MATCH,
            HeaderValue::from_static("\"junk\", \"5\", \"6-10\", \"7-1-0-9\", 8-1-0"),
        );
        let (tags, any) = known_tags(&headers);
        let tag = |version, balance_minor, pending| AccountTag {
            version,
            balance_minor,
            pending,
        };
        assert_eq!(tags, [tag(3, 100, 0), tag(4, 50, 3)]);
        assert!(!any);
        let mut star = HeaderMap::new();
        star.insert(IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(known_tags(&star).1);
    }

    #[test]
    fn the_etag_names_the_pending_changes_shown() {
        let tag = AccountTag {
            version: 7,
            balance_minor: -250,
            pending: 2,
        };
        let value = etag(tag);
        assert_eq!(value, "\"7--250-2\"");
        assert_eq!(parse_tag(value.to_str().expect("ascii")), Some(tag));
    }
}
