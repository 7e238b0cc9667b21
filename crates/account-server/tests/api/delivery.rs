//! Real delivery: SMTP to a sink on 127.0.0.1, SMS to a loopback HTTP receiver.

use account_model::Role;
use account_server::config::{DeliveryMode, SmsConfig, SmtpConfig, SmtpTls};
use account_server::store::{Engine, NewMessage, OutChannel};
use chrono::Duration;
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app_with};
use account_server::testing::sinks::{SmsReceiver, SmtpSink};

async fn live_app(
    engine: Engine,
    smtp: &SmtpSink,
    sms: &SmsReceiver,
    max_attempts: i64,
) -> TestApp {
    let (smtp_port, sms_url) = (smtp.addr.port(), sms.url());
    spawn_app_with(engine, move |c| {
        c.delivery = DeliveryMode::Live;
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: smtp_port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "Account Settings <no-reply@example.com>".into(),
        });
        c.sms = Some(SmsConfig {
            url: sms_url,
            token: Some(SecretString::from("gateway-token")),
            sender: "AcmeSMS".into(),
        });
        c.limits.delivery_max_attempts = max_attempts;
        c.limits.delivery_backoff_secs = 5;
    })
    .await
}

engine_test! {
async fn codes_and_notices_arrive_by_real_smtp_and_sms_in_the_users_language(engine) {
    let (smtp, sms) = (SmtpSink::start().await, SmsReceiver::start().await);
    let app = live_app(engine, &smtp, &sms, 3).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.preferences(&ana.token, json!({ "baseVersion": 1, "language": "de" }))
        .await;

    app.email_change(&ana.token, "ana.neu@example.com", PASSWORD)
        .await;
    app.phone_change(&ana.token, "+34 611 22 33 44", PASSWORD)
        .await;

    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["ana.neu@example.com"]);
    assert_eq!(mails[0].subject, "Bestätigen Sie Ihre neue E-Mail-Adresse");
    let code = crate::helpers::extract_code(&mails[0].body).expect("code in the mail");
    assert_eq!(code, app.last_code("ana.neu@example.com").await);
    let texts = sms.wait_for(1).await;
    assert_eq!(texts[0]["to"], "+34611223344");
    assert_eq!(texts[0]["from"], "AcmeSMS");
    assert!(
        texts[0]["text"]
            .as_str()
            .expect("text")
            .contains("Telefonnummer")
    );
    assert_eq!(
        sms.received.lock().expect("lock")[0].0.as_deref(),
        Some("Bearer gateway-token")
    );
    let sent = app.first_message_settled("ana.neu@example.com").await;
    assert_eq!(sent.status, "sent");
}
}

engine_test! {
async fn a_message_is_retried_while_the_mail_server_is_down_and_delivered_once_when_it_is_back(engine) {
    let (mut smtp, sms) = (SmtpSink::start().await, SmsReceiver::start().await);
    let app = live_app(engine, &smtp, &sms, 5).await;
    smtp.stop().await;
    let ana = app.user(Role::Member, "ana@example.com").await;

    app.email_change(&ana.token, "new@example.com", PASSWORD)
        .await;
    // The first try fails at once (connection refused) and is put back for later.
    let mut failed_once = false;
    for _ in 0..100 {
        let m = &app.outbox("new@example.com").await[0];
        if m.status == "pending" && m.attempts >= 1 {
            failed_once = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(failed_once, "the first try failed and was scheduled again");

    smtp.resume().await;
    app.clock.advance(Duration::seconds(6)); // past the first backoff

    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    let m = app.first_message_settled("new@example.com").await;
    assert_eq!(m.status, "sent");
    assert_eq!(m.attempts, 2);
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(smtp.mails().len(), 1, "delivered once");
}
}

engine_test! {
async fn after_the_last_try_a_message_is_marked_failed_with_the_reason(engine) {
    let (mut smtp, sms) = (SmtpSink::start().await, SmsReceiver::start().await);
    let app = live_app(engine, &smtp, &sms, 2).await;
    smtp.stop().await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.email_change(&ana.token, "new@example.com", PASSWORD)
        .await;

    let mut status = String::new();
    for _ in 0..100 {
        app.clock.advance(Duration::seconds(30));
        status = app.outbox("new@example.com").await[0].status.clone();
        if status == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "failed");
    let failed = app.outbox("new@example.com").await;
    assert_eq!(failed[0].attempts, 2);
}
}

engine_test! {
async fn nothing_is_sent_twice_across_a_restart_and_an_interrupted_send_is_resent_once(engine) {
    let (smtp, sms) = (SmtpSink::start().await, SmsReceiver::start().await);
    let app = live_app(engine, &smtp, &sms, 3).await;
    let ana = app.user(Role::Member, "ana@example.com").await;
    app.email_change(&ana.token, "new@example.com", PASSWORD)
        .await;
    assert_eq!(smtp.wait_for(1).await.len(), 1);

    // A worker that crashed mid-send leaves its message claimed, with a lease: queue one
    // and claim it as a worker would, then never record the outcome.
    let services = &app.app.services;
    let now = services.now_ms();
    let mut tx = services.store.write().await.expect("tx");
    tx.enqueue(
        &NewMessage {
            user_id: None,
            channel: OutChannel::Email,
            recipient: "crash@example.com",
            language: "en",
            kind: "password_changed",
            subject: "S",
            body: "B",
        },
        now + 1,
    )
    .await
    .expect("queued");
    let claimed = tx.claim_due(now + 1, 60_000, 1).await.expect("claimed");
    tx.commit().await.expect("committed");
    assert_eq!(claimed[0].recipient, "crash@example.com");

    let app = app.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(
        smtp.mails().len(),
        1,
        "the delivered code is not sent again; the leased one waits"
    );

    app.clock.advance(Duration::seconds(61));
    let mails = smtp.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].to, ["crash@example.com"]);
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert_eq!(smtp.mails().len(), 2, "resent exactly once");
}
}
