//! The delivery worker: sends what the outbox holds.
//!
//! - [`DeliveryMode::Development`]: each due message (codes included) is printed to the
//!   console and marked sent — how `make run` shows codes.
//! - [`DeliveryMode::Live`]: email over SMTP (lettre, rustls), SMS as a JSON POST to an
//!   HTTP gateway. A failed try is retried with exponential backoff
//!   (`delivery_backoff_secs` doubled per try, at most 10 minutes) until
//!   `delivery_max_attempts`, then the message is marked `failed` with its last error.
//! - [`DeliveryMode::Hold`]: no worker; messages wait in the outbox.
//!
//! Guarantee: each message is sent at least once and, barring a crash, exactly once.
//! A message is claimed (status `sending`, a lease of `delivery_lease_secs`) in one
//! committed transaction before it is handed to the transport, and marked `sent` in
//! another right after. A crash between the two leaves only that message claimed; when
//! its lease runs out it is sent again. A worker runs `delivery_concurrency` senders
//! (SMTP and SMS gateways answer in tens of milliseconds; one sender at a time would
//! cap an instance near 25 messages a second), each claiming one message at a time, so
//! a crash resends at most the messages then in flight, each once, and nothing else is
//! ever sent twice. The outcome is
//! recorded only if the claim still holds (same `attempts`), so a sender whose lease ran
//! out cannot overwrite what the next one recorded. Every instance runs a worker; a
//! claim is a row lock that two workers cannot both win (on PostgreSQL `FOR UPDATE
//! SKIP LOCKED`), so each message goes out once whichever instance sends it.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use tokio::sync::watch;

use crate::clock::to_millis;
use crate::config::{Config, DeliveryMode, SmsConfig, SmtpConfig, SmtpTls};
use crate::service::Services;
use crate::store::OutboxMessage;

/// Messages claimed per pass: one, so a lease only ever covers the message being sent.
const BATCH: i64 = 1;
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Where messages go.
#[derive(Debug)]
enum Transport {
    Console,
    Live { smtp: Box<Smtp>, sms: Sms },
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Sms {
    client: reqwest::Client,
    config: SmsConfig,
}

fn smtp(config: &SmtpConfig) -> anyhow::Result<Smtp> {
    let builder = match config.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)?,
    };
    let mut builder = builder.port(config.port).timeout(Some(SEND_TIMEOUT));
    if let (Some(user), Some(password)) = (&config.username, &config.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose_secret().to_owned(),
        ));
    }
    Ok(Smtp {
        transport: builder.build(),
        from: config.from.parse()?,
    })
}

/// Installs rustls' ring provider once per process (reqwest and lettre share it).
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn transport(config: &Config) -> anyhow::Result<Option<Transport>> {
    Ok(match config.delivery {
        DeliveryMode::Hold => None,
        DeliveryMode::Development => Some(Transport::Console),
        DeliveryMode::Live => {
            install_tls_provider();
            let (Some(smtp_config), Some(sms)) = (&config.smtp, &config.sms) else {
                anyhow::bail!("delivery = \"live\" needs [smtp] and [sms]");
            };
            // rustls named: in the workspace's test build account-client also enables
            // native-tls, which reqwest would otherwise prefer.
            let client = reqwest::Client::builder()
                .tls_backend_rustls()
                .timeout(SEND_TIMEOUT)
                .build()?;
            Some(Transport::Live {
                smtp: Box::new(smtp(smtp_config)?),
                sms: Sms {
                    client,
                    config: sms.clone(),
                },
            })
        }
    })
}

fn print(message: &OutboxMessage) {
    let mut out = std::io::stdout().lock();
    // A broken stdout must not stop delivery; the message stays listed in the outbox.
    let _ = writeln!(
        out,
        "\n──── outgoing {} #{} to {} ({}) ────\n{}{}\n",
        message.channel,
        message.id,
        message.recipient,
        message.language,
        if message.subject.is_empty() {
            String::new()
        } else {
            format!("Subject: {}\n", message.subject)
        },
        message.body
    );
    let _ = out.flush();
}

async fn send(transport: &Transport, m: &OutboxMessage) -> anyhow::Result<()> {
    match transport {
        Transport::Console => {
            print(m);
            Ok(())
        }
        Transport::Live { smtp, sms } => match m.channel.as_str() {
            "email" => {
                let email = lettre::Message::builder()
                    .from(smtp.from.clone())
                    .to(m.recipient.parse()?)
                    .subject(m.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(m.body.clone())?;
                smtp.transport.send(email).await?;
                Ok(())
            }
            "sms" => {
                let mut request = sms.client.post(&sms.config.url).json(&serde_json::json!({
                    "to": m.recipient,
                    "from": sms.config.sender,
                    "text": m.body,
                }));
                if let Some(token) = &sms.config.token {
                    request = request.bearer_auth(token.expose_secret());
                }
                let response = request.send().await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "the SMS gateway answered {}",
                    response.status()
                );
                Ok(())
            }
            other => anyhow::bail!("unknown channel {other}"),
        },
    }
}

/// One pass: claim what is due, send each, record the outcome. Returns how many were
/// claimed (so the worker knows whether to look again at once).
async fn deliver_due(services: &Services, transport: &Transport) -> anyhow::Result<usize> {
    let limits = services.config.limits.clone();
    let now = to_millis(services.now());
    let lease_ms = limits.delivery_lease_secs * 1000;
    let claimed = {
        let mut tx = services.store.write().await?;
        let claimed = tx.claim_due(now, lease_ms, BATCH).await?;
        tx.commit().await?;
        claimed
    };
    for m in &claimed {
        let outcome = tokio::time::timeout(SEND_TIMEOUT, send(transport, m)).await;
        let error = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("{e:#}")),
            Err(_) => Some("timed out".to_owned()),
        };
        let now = to_millis(services.now());
        let (id, attempts) = (m.id, m.attempts);
        let mut tx = services.store.write().await?;
        let recorded = match error {
            None => tx.mark_sent(id, attempts, now).await?,
            Some(error) => {
                let retry_at = (m.attempts < limits.delivery_max_attempts).then(|| {
                    let backoff = limits
                        .delivery_backoff_secs
                        .saturating_mul(1 << (m.attempts - 1).clamp(0, 20))
                        .min(600);
                    now + backoff * 1000
                });
                tracing::warn!(id, channel = %m.channel, attempts = m.attempts, error = %error, final_failure = retry_at.is_none(), "delivery failed");
                tx.mark_failed(id, attempts, &error, retry_at).await?
            }
        };
        tx.commit().await?;
        if !recorded {
            tracing::warn!(
                id,
                "the claim on this message expired while sending; another sender owns it now"
            );
        }
    }
    Ok(claimed.len())
}

/// One sender: claims and sends until nothing is due, then waits to be woken.
async fn sender(
    services: Services,
    transport: Arc<Transport>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let busy = match deliver_due(&services, &transport).await {
            Ok(n) => n as i64 == BATCH,
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "delivery pass failed");
                false
            }
        };
        if busy {
            // More may be due: bring an idle sibling in, then look again.
            services.wakers.outbox.notify_one();
            continue;
        }
        tokio::select! {
            _ = services.wakers.outbox.notified() => {}
            // Retries come due (the store's watcher wakes it for other processes).
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Starts the delivery worker for the configured mode (`delivery_concurrency`
/// senders); it stops when `shutdown` flips.
pub fn spawn_worker(
    services: Services,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(transport) = transport(&services.config)? else {
        return Ok(None);
    };
    let transport = Arc::new(transport);
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..services.config.limits.delivery_concurrency.max(1) {
        senders.spawn(sender(
            services.clone(),
            Arc::clone(&transport),
            shutdown.clone(),
        ));
    }
    Ok(Some(tokio::spawn(async move {
        while senders.join_next().await.is_some() {}
    })))
}
