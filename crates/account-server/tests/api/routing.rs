//! Every event × role × preference combination, each asserted.

use account_model::Role;
use account_model::{Channels, Language, NoticeKind, PrefChange, TimeZone};
use serde_json::json;

use crate::helpers::spawn_app;

const PREFS: [&str; 4] = ["", "email", "sms", "email,sms"];

fn time_zone(name: &str) -> PrefChange {
    PrefChange::TimeZone(TimeZone::parse(name).expect("time zone"))
}

engine_test! {
async fn events_reach_exactly_the_users_and_channels_their_preferences_and_roles_allow(engine) {
    let app = spawn_app(engine).await;
    // One user per role and preference set, each with its own address and number.
    let mut people = Vec::new();
    for (r, role) in Role::ALL.into_iter().enumerate() {
        for (p, prefs) in PREFS.iter().enumerate() {
            let email = format!("{}-{p}@example.com", role.as_str());
            let phone = format!("+346110{r}{p}000");
            let id = app.add_user(role, &email, Some(&phone)).await;
            let channels = |kind| Channels::from_csv(kind, prefs).expect("channels");
            let language = if matches!(p, 1 | 2) { Language::Fr } else { Language::En };
            app.set_preferences(
                id,
                vec![
                    PrefChange::ContactImports(channels(NoticeKind::ContactImports)),
                    PrefChange::Billing(channels(NoticeKind::Billing)),
                    PrefChange::Language(language),
                ],
            )
            .await;
            people.push((role, *prefs, email, phone, matches!(p, 1 | 2)));
        }
    }
    let org = app.org_id;
    let events = [
        (
            "contact_import_finished",
            json!({ "type": "contact_import_finished", "organizationId": org, "listName": "Newsletter", "imported": 120, "rejected": 3 }),
        ),
        (
            "payment_received",
            json!({ "type": "payment_received", "organizationId": org, "amountMinor": 123_450 }),
        ),
        (
            "invoice_issued",
            json!({ "type": "invoice_issued", "organizationId": org, "invoiceNumber": "INV-9", "amountMinor": 5_000, "dueDate": "2026-12-31" }),
        ),
    ];

    for (kind, body) in &events {
        let reply = app.service("/v1/service/events", body.clone()).await;
        assert!(reply.status.is_success(), "{kind}: {:?}", reply.body);
    }

    for (kind, _) in &events {
        for (role, prefs, email, phone, french) in &people {
            let billing_only = *kind != "contact_import_finished";
            let may = !billing_only || *role != Role::Member;
            let want_email = may && prefs.contains("email");
            let want_sms = may && prefs.contains("sms");
            let mails = app.outbox_kind(email, kind).await;
            let texts = app.outbox_kind(phone, kind).await;
            assert_eq!(
                mails.len(),
                usize::from(want_email),
                "{kind} {role:?} [{prefs}] email"
            );
            assert_eq!(
                texts.len(),
                usize::from(want_sms),
                "{kind} {role:?} [{prefs}] sms"
            );
            for m in mails.iter().chain(texts.iter()) {
                assert_eq!(m.language, if *french { "fr" } else { "en" });
            }
        }
    }
    // Content in the recipient's language, money in its format.
    let fr = &app
        .outbox_kind("billing-1@example.com", "payment_received")
        .await[0];
    assert!(fr.body.contains("1\u{202f}234,50\u{a0}€"), "{}", fr.body);
    let en = &app
        .outbox_kind("owner-3@example.com", "invoice_issued")
        .await[0];
    assert!(
        en.body.contains("€50.00") && en.body.contains("Dec 31, 2026"),
        "{}",
        en.body
    );
    let import = &app
        .outbox_kind("member-1@example.com", "contact_import_finished")
        .await[0];
    assert!(
        import.body.contains("120") && import.subject.contains("Newsletter"),
        "{}",
        import.body
    );
}
}

engine_test! {
async fn times_in_messages_are_in_the_recipients_time_zone(engine) {
    let app = spawn_app(engine).await;
    let id = app.add_user(Role::Owner, "tokyo@example.com", None).await;
    app.set_preferences(id, vec![time_zone("Asia/Tokyo")]).await;
    let id = app.add_user(Role::Admin, "madrid@example.com", None).await;
    app.set_preferences(id, vec![time_zone("Europe/Madrid")])
        .await;

    app.service(
        "/v1/service/events",
        json!({ "type": "payment_received", "organizationId": app.org_id, "amountMinor": 100 }),
    )
    .await;

    let tokyo = &app
        .outbox_kind("tokyo@example.com", "payment_received")
        .await[0]
        .body;
    let madrid = &app
        .outbox_kind("madrid@example.com", "payment_received")
        .await[0]
        .body;
    assert!(tokyo.contains("JST"), "{tokyo}");
    assert!(
        madrid.contains("CET") || madrid.contains("CEST"),
        "{madrid}"
    );
}
}

engine_test! {
async fn malformed_events_are_refused(engine) {
    let app = spawn_app(engine).await;
    let org = app.org_id;
    let cases = [
        json!({ "type": "payment_received", "organizationId": org, "amountMinor": -5 }),
        json!({ "type": "contact_import_finished", "organizationId": org, "listName": "", "imported": 1, "rejected": 0 }),
        json!({ "type": "invoice_issued", "organizationId": org, "invoiceNumber": "A", "amountMinor": 5, "dueDate": "31/12/2026" }),
        json!({ "type": "fireworks", "organizationId": org }),
    ];
    for body in cases {
        let reply = app.service("/v1/service/events", body.clone()).await;
        assert_eq!(reply.code(), "invalid_request", "{body}");
    }
    let unknown = app
        .service(
            "/v1/service/events",
            json!({ "type": "low_balance", "organizationId": 4242 }),
        )
        .await;
    assert_eq!(unknown.code(), "not_found");
}
}
