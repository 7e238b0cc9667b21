//! Roles and what each may do.
//!
//! Four roles (owner, admin, billing, member). Permissions are derived from the role
//! and never stored, so changing a role changes what a user may do in one write.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ParseError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Billing,
    Member,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See and configure billing notices and the low-balance alert.
    ViewBilling,
    /// See the organization's members and their roles.
    ViewMembers,
    /// Change other users' roles (Organization settings).
    ManageRoles,
}

impl Role {
    pub const ALL: [Role; 4] = [Self::Owner, Self::Admin, Self::Billing, Self::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Billing => "billing",
            Self::Member => "member",
        }
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == input.trim())
            .ok_or_else(|| {
                ParseError::new(
                    ErrorCode::InvalidRole,
                    format!("\"{input}\" is not a role; use owner, admin, billing or member"),
                )
            })
    }

    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::Owner => &[ViewBilling, ViewMembers, ManageRoles],
            Self::Admin => &[ViewBilling, ViewMembers],
            Self::Billing => &[ViewBilling],
            Self::Member => &[],
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_permission_is_owner_admin_and_billing_only() {
        let billing: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.can(Permission::ViewBilling))
            .collect();
        assert_eq!(billing, [Role::Owner, Role::Admin, Role::Billing]);
        let managers: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| r.can(Permission::ManageRoles))
            .collect();
        assert_eq!(managers, [Role::Owner]);
    }

    proptest::proptest! {
        #[test]
        fn only_the_four_role_names_parse(input in "\\PC{0,12}") {
            let known = Role::ALL.iter().any(|r| r.as_str() == input.trim());
            proptest::prop_assert_eq!(Role::parse(&input).is_ok(), known);
        }
    }

    #[test]
    fn roles_parse_by_name_only() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).expect("own name"), role);
        }
        assert_eq!(
            Role::parse("root").expect_err("root").code,
            ErrorCode::InvalidRole
        );
    }
}
