//! Organization settings: members and roles. Only an owner changes roles, and the last
//! owner cannot stop being one (the organization would be left without anyone able to
//! manage it). The member whose role changed is told by email.

use account_model::dto::MemberView;
use account_model::i18n::Message;
use account_model::{ErrorCode, Permission, Role};

use super::Services;
use super::auth::Caller;
use super::notify;
use crate::error::{AppError, AppResult};
use crate::store::StoreResult;
use crate::store::outbox::OutChannel;
use crate::store::users;

impl Services {
    pub async fn members(&self, caller: &Caller) -> AppResult<Vec<MemberView>> {
        if !caller.user.role.can(Permission::ViewMembers) {
            return Err(AppError::forbidden("see the organization's members"));
        }
        let org = caller.user.organization_id;
        let members = self.db.call(move |c| users::members(c, org)).await?;
        Ok(members
            .into_iter()
            .map(|u| MemberView {
                user_id: u.id,
                name: u.name,
                email: u.email,
                role: u.role,
            })
            .collect())
    }

    pub async fn change_role(
        &self,
        caller: &Caller,
        member_id: i64,
        role: &str,
    ) -> AppResult<MemberView> {
        let role = Role::parse(role)?;
        if !caller.user.role.can(Permission::ManageRoles) {
            return Err(AppError::forbidden("change roles; only an owner can"));
        }
        let (org, caller_id) = (caller.user.organization_id, caller.user.id);
        let now = self.now_ms();
        let member = self
            .db
            .write(move |tx| -> StoreResult<AppResult<MemberView>> {
                // The caller's role as of now, not as of sign-in: a demoted owner's
                // request in flight must not still change roles.
                let still_owner = users::by_id(tx, caller_id)?
                    .is_some_and(|c| c.role.can(Permission::ManageRoles));
                if !still_owner {
                    return Ok(Err(AppError::forbidden("change roles; only an owner can")));
                }
                let Some(member) =
                    users::by_id(tx, member_id)?.filter(|m| m.organization_id == org)
                else {
                    return Ok(Err(AppError::new(
                        ErrorCode::NotFound,
                        format!("your organization has no member {member_id}"),
                    )));
                };
                if member.role == role {
                    return Ok(Ok(MemberView {
                        user_id: member.id,
                        name: member.name,
                        email: member.email,
                        role,
                    }));
                }
                if member.role == Role::Owner && users::count_owners(tx, org)? <= 1 {
                    return Ok(Err(AppError::new(
                        ErrorCode::LastOwner,
                        "this is the organization's only owner; make someone else owner first",
                    )));
                }
                users::set_role(tx, member.id, role, now)?;
                // Gaining or losing billing permission starts or ends the alert.
                super::balance::evaluate_low_balance(tx, org, now)?;
                notify::enqueue(
                    tx,
                    member.id,
                    OutChannel::Email,
                    member.email.as_str(),
                    member.language,
                    &Message::RoleChanged { role },
                    now,
                )?;
                Ok(Ok(MemberView {
                    user_id: member.id,
                    name: member.name,
                    email: member.email,
                    role,
                }))
            })
            .await??;
        self.wake();
        Ok(member)
    }
}
