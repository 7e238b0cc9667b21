//! The demo organization that `make run` starts with: one user per role, all with the
//! same password, and a balance just above the owner's low-balance threshold so the
//! alert can be seen by lowering it a little.
//!
//! The users are created the way any user is: names through `DisplayName::parse`,
//! addresses through `Email::parse`, and the store refuses an address that looks like
//! one another account already has (its skeleton index), as for an email change.

use account_model::{Channels, DisplayName, Email, NoticeKind, PhoneNumber, Role, Threshold};
use secrecy::SecretString;

use crate::service::Services;
use crate::store::{LockKey, NewUser};

pub const DEMO_ORGANIZATION: &str = "Demo Marketing Co.";
pub const DEMO_PASSWORD: &str = "plum kettle orbit lantern";

/// (name, email, role, phone)
pub const DEMO_USERS: &[(&str, &str, Role, Option<&str>)] = &[
    (
        "Olivia Ortega",
        "owner@demo.example",
        Role::Owner,
        Some("+34600111222"),
    ),
    ("Adam Alvarez", "admin@demo.example", Role::Admin, None),
    (
        "Bea Blanco",
        "billing@demo.example",
        Role::Billing,
        Some("+34600333444"),
    ),
    ("Marc Moreno", "member@demo.example", Role::Member, None),
];

/// Balance 60.00 EUR; the owner's and billing user's alerts fire below 50.00 EUR.
pub const DEMO_BALANCE_MINOR: i64 = 6_000;
pub const DEMO_THRESHOLD_MINOR: i64 = 5_000;

/// Creates the demo organization unless it exists. Returns false when it did. Two
/// instances seeding at once create it once (they take the seed lock in turn).
pub async fn seed_demo(services: &Services) -> anyhow::Result<bool> {
    let hash = services
        .hasher
        .hash(SecretString::from(DEMO_PASSWORD))
        .await?;
    let threshold = Threshold::parse(DEMO_THRESHOLD_MINOR)?;
    let channels = Channels::parse(NoticeKind::LowBalance, &["email", "desktop"])?;
    let now = services.now_ms();
    let mut tx = services.store.write().await?;
    tx.lock(LockKey::Seed).await?;
    if tx.organization_by_name(DEMO_ORGANIZATION).await?.is_some() {
        return Ok(false);
    }
    let org = tx
        .insert_organization(DEMO_ORGANIZATION, "EUR", DEMO_BALANCE_MINOR, now)
        .await?;
    for (name, email, role, phone) in DEMO_USERS {
        let name = DisplayName::parse(name)?;
        let email = Email::parse(email)?;
        let phone = phone.map(PhoneNumber::parse).transpose()?;
        let alerts = role.can(account_model::Permission::ViewBilling) && *role != Role::Admin;
        tx.insert_user(
            &NewUser {
                organization_id: org,
                name: &name,
                email: &email,
                phone: phone.as_ref(),
                role: *role,
                password_hash: &hash,
                low_balance: alerts.then_some((threshold, &channels)),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}
