//! Organization settings: members and roles. Only an owner changes roles, and the last
//! owner cannot stop being one (the organization would be left without anyone able to
//! manage it). The member whose role changed is told by email. Role changes lock the
//! organization first, so two owners demoting each other at once — through one
//! instance or two — leave one owner.

use account_model::dto::MemberView;
use account_model::i18n::Message;
use account_model::{ErrorCode, Permission, Role};

use super::Services;
use super::auth::Caller;
use super::notify;
use crate::error::{AppError, AppResult};

impl Services {
    pub async fn members(&self, caller: &Caller) -> AppResult<Vec<MemberView>> {
        if !caller.user.role.can(Permission::ViewMembers) {
            return Err(AppError::forbidden("see the organization's members"));
        }
        let members = self
            .store
            .read()
            .await?
            .members(caller.user.organization_id)
            .await?;
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
        let mut tx = self.store.write().await?;
        tx.lock_organization(org).await?;
        // The caller's role as of now, not as of sign-in: a demoted owner's request in
        // flight must not still change roles.
        let still_owner = tx
            .user_by_id(caller_id)
            .await?
            .is_some_and(|c| c.role.can(Permission::ManageRoles));
        if !still_owner {
            return Err(AppError::forbidden("change roles; only an owner can"));
        }
        let Some(member) = tx
            .user_by_id(member_id)
            .await?
            .filter(|m| m.organization_id == org)
        else {
            return Err(AppError::new(
                ErrorCode::NotFound,
                format!("your organization has no member {member_id}"),
            ));
        };
        let view = MemberView {
            user_id: member.id,
            name: member.name.clone(),
            email: member.email.clone(),
            role,
        };
        if member.role == role {
            return Ok(view);
        }
        if member.role == Role::Owner && tx.count_owners(org).await? <= 1 {
            return Err(AppError::new(
                ErrorCode::LastOwner,
                "this is the organization's only owner; make someone else owner first",
            ));
        }
        tx.set_role(member.id, role, now).await?;
        // Gaining or losing billing permission starts or ends the alert.
        super::balance::evaluate_low_balance(&mut *tx, org, now).await?;
        notify::email(&mut *tx, &member, &Message::RoleChanged { role }, now).await?;
        self.commit(tx).await?;
        Ok(view)
    }
}
