//! Failures that are not refusals: nobody listening, a server that never answers.
//! Retries are counted by the connections a silent listener accepts.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use account_client::{Client, ClientConfig, ClientError, IdempotencyKey, NetworkFailure};
use account_model::dto::UpdatePreferencesRequest;
use secrecy::SecretString;
use tokio::net::TcpListener;

/// A listener that accepts connections, reads nothing, answers nothing.
async fn silent_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (base, accepted)
}

fn impatient_client(base: &str) -> Client {
    let mut config = ClientConfig::new(base).expect("url");
    config.timeout = Duration::from_millis(200);
    config.retries = 2;
    config.backoff = Duration::from_millis(10);
    config.max_backoff = Duration::from_millis(20);
    Client::new(config).expect("client")
}

fn token() -> SecretString {
    SecretString::from("some-token")
}

#[tokio::test]
async fn nobody_listening_is_a_connect_failure_not_a_refusal() {
    let (_bound, base) = crate::helpers::nobody_listening();
    let client = impatient_client(&base);

    let err = client
        .account(&token(), None)
        .await
        .expect_err("unreachable");

    assert!(err.is_network(), "{err}");
    assert!(matches!(
        err,
        ClientError::Network {
            failure: NetworkFailure::Connect,
            ..
        }
    ));
    assert!(err.refusal().is_none());
}

#[tokio::test]
async fn a_get_that_times_out_is_retried_then_reported_as_a_timeout() {
    let (base, accepted) = silent_server().await;
    let client = impatient_client(&base);

    let err = client.account(&token(), None).await.expect_err("timeout");

    assert!(matches!(
        err,
        ClientError::Network {
            failure: NetworkFailure::Timeout,
            ..
        }
    ));
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        3,
        "one try and two retries"
    );
}

#[tokio::test]
async fn a_preferences_update_is_retried_only_when_it_carries_an_idempotency_key() {
    let (base, accepted) = silent_server().await;
    let client = impatient_client(&base);
    let update = UpdatePreferencesRequest {
        base_version: 1,
        language: Some("fr".into()),
        ..Default::default()
    };

    client
        .update_preferences(&token(), &update, None)
        .await
        .expect_err("timeout");
    let without_key = accepted.swap(0, Ordering::SeqCst);
    client
        .update_preferences(&token(), &update, Some(&IdempotencyKey::generate()))
        .await
        .expect_err("timeout");
    let with_key = accepted.load(Ordering::SeqCst);

    assert_eq!(without_key, 1);
    assert_eq!(with_key, 3);
}

#[tokio::test]
async fn a_sign_in_that_times_out_is_never_repeated() {
    let (base, accepted) = silent_server().await;
    let client = impatient_client(&base);

    let err = client
        .sign_in(
            "ana@example.com",
            &SecretString::from("whatever"),
            None,
            None,
        )
        .await
        .expect_err("timeout");

    assert!(err.is_transient());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}
