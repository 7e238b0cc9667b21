use account_model::dto::{ChangeRoleRequest, MemberView, MembersView};
use account_model::{ErrorBody, ErrorCode};
use axum::Json;
use axum::extract::{Path, State};

use super::extract::{AppJson, Auth};
use crate::error::{AppError, AppResult};
use crate::service::Services;

/// The organization's members and roles (owners and admins).
#[utoipa::path(get, path = "/v1/organization/members", tag = "organization", security(("bearer" = [])),
    responses((status = 200, body = MembersView), (status = 403, body = ErrorBody)))]
pub async fn list_members(
    State(s): State<Services>,
    Auth(c): Auth,
) -> AppResult<Json<MembersView>> {
    Ok(Json(MembersView {
        members: s.members(&c).await?,
    }))
}

/// Changes a member's role (owners only; the last owner stays owner).
#[utoipa::path(put, path = "/v1/organization/members/{id}/role", tag = "organization", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the member's user id")), request_body = ChangeRoleRequest,
    responses((status = 200, body = MemberView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "last_owner", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_role(
    State(s): State<Services>,
    Auth(c): Auth,
    Path(id): Path<String>,
    AppJson(r): AppJson<ChangeRoleRequest>,
) -> AppResult<Json<MemberView>> {
    let id: i64 = id.parse().map_err(|_| {
        AppError::new(
            ErrorCode::NotFound,
            format!("no member has the id \"{id}\""),
        )
    })?;
    Ok(Json(s.change_role(&c, id, &r.role).await?))
}
