//! The demo organization that `make run` starts with: one user per role, all with the
//! same password, and a balance just above the owner's low-balance threshold so the
//! alert can be seen by lowering it a little.

use account_model::{Channels, Email, NoticeKind, PhoneNumber, Role, Threshold};
use secrecy::SecretString;

use crate::service::Services;
use crate::store::{orgs, users};

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

/// Creates the demo organization unless it exists. Returns false when it did.
pub async fn seed_demo(services: &Services) -> anyhow::Result<bool> {
    let hash = services
        .hasher
        .hash(SecretString::from(DEMO_PASSWORD))
        .await?;
    let now = services.now_ms();
    let created = services
        .db
        .write(move |tx| {
            if orgs::by_name(tx, DEMO_ORGANIZATION)?.is_some() {
                return Ok(Ok(false));
            }
            let org = orgs::insert(tx, DEMO_ORGANIZATION, "EUR", DEMO_BALANCE_MINOR, now)?;
            let threshold = Threshold::parse(DEMO_THRESHOLD_MINOR).map_err(anyhow::Error::from);
            let channels = Channels::parse(NoticeKind::LowBalance, &["email", "desktop"])
                .map_err(anyhow::Error::from);
            let (threshold, channels) = match (threshold, channels) {
                (Ok(t), Ok(c)) => (t, c),
                (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
            };
            for (name, email, role, phone) in DEMO_USERS {
                let email = match Email::parse(email) {
                    Ok(e) => e,
                    Err(e) => return Ok(Err(e.into())),
                };
                let phone = match phone.map(PhoneNumber::parse).transpose() {
                    Ok(p) => p,
                    Err(e) => return Ok(Err(e.into())),
                };
                let alerts =
                    role.can(account_model::Permission::ViewBilling) && *role != Role::Admin;
                users::insert(
                    tx,
                    &users::NewUser {
                        organization_id: org,
                        name,
                        email: &email,
                        phone: phone.as_ref(),
                        role: *role,
                        password_hash: &hash,
                        low_balance: alerts.then_some((threshold, &channels)),
                    },
                    now,
                )?;
            }
            Ok(Ok(true))
        })
        .await??;
    Ok(created)
}
