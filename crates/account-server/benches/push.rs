//! `make bench`: measurements of the backend on this machine, printed, never asserted.
//!
//! - push latency: a balance adjustment over the service API until the `balance_changed`
//!   event is read from a connected session's event stream (real HTTP, real SQLite file);
//! - adjustment throughput with 8 concurrent clients (each one a write transaction);
//! - sign-in latency (dominated by argon2id at 19 MiB, t=2).

use std::sync::Arc;
use std::time::{Duration, Instant};

use account_model::Role;
use account_server::App;
use account_server::clock::SystemClock;
use account_server::config::Config;
use secrecy::SecretString;
use serde_json::json;

const TOKEN: &str = "benchmark service token, long enough";
use account_server::testing::{self, PASSWORD};

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name:<28} n={:<4} min {:>7.2} ms  median {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms",
        samples.len(),
        pick(0.0).as_secs_f64() * 1e3,
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.95).as_secs_f64() * 1e3,
        pick(1.0).as_secs_f64() * 1e3,
    );
}

/// Reads server-sent events until one named `name` arrives.
async fn wait_event(
    response: &mut reqwest::Response,
    buf: &mut String,
    name: &str,
) -> anyhow::Result<()> {
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if block.lines().any(|l| {
                l.trim() == format!("event: {name}") || l.trim() == format!("event:{name}")
            }) {
                return Ok(());
            }
        }
        let chunk = response
            .chunk()
            .await?
            .ok_or_else(|| anyhow::anyhow!("stream ended"))?;
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        database_path: dir.path().join("bench.db"),
        service_token: Some(SecretString::from(TOKEN)),
        ..Config::default()
    };
    let app = App::spawn(config, Arc::new(SystemClock)).await?;
    let base = format!("http://{}", app.addr);
    let org = testing::create_organization(&app.services).await?;
    testing::add_user(&app.services, org, Role::Member, "bench@example.com", None).await?;
    let http = reqwest::Client::new();

    let mut sign_ins = Vec::new();
    let mut token = String::new();
    for _ in 0..20 {
        let t = Instant::now();
        let reply: serde_json::Value = http
            .post(format!("{base}/v1/sessions"))
            .json(&json!({ "email": "bench@example.com", "password": PASSWORD }))
            .send()
            .await?
            .json()
            .await?;
        sign_ins.push(t.elapsed());
        token = reply["token"].as_str().unwrap_or_default().to_owned();
    }

    let mut stream = http
        .get(format!("{base}/v1/events"))
        .bearer_auth(&token)
        .send()
        .await?;
    let mut buf = String::new();
    let adjust_url = format!("{base}/v1/service/organizations/{org}/balance-adjustments");
    let mut push = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        http.post(&adjust_url)
            .bearer_auth(TOKEN)
            .json(&json!({ "amountMinor": -1, "idempotencyKey": format!("p{i}") }))
            .send()
            .await?;
        wait_event(&mut stream, &mut buf, "balance_changed").await?;
        push.push(t.elapsed());
    }

    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..8 {
        let (http, url) = (http.clone(), adjust_url.clone());
        workers.push(tokio::spawn(async move {
            for i in 0..100 {
                http.post(&url)
                    .bearer_auth(TOKEN)
                    .json(&json!({ "amountMinor": -1, "idempotencyKey": format!("t{w}-{i}") }))
                    .send()
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for w in workers {
        w.await??;
    }
    let elapsed = started.elapsed();

    println!(
        "account-server benchmarks ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    summary("sign-in (argon2id 19 MiB t=2)", sign_ins);
    summary("push latency (adjust → SSE)", push);
    println!(
        "{:<28} {:.0} adjustments/s (800 with 8 concurrent clients in {:.2} s)",
        "adjustment throughput",
        800.0 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    app.stop().await?;
    Ok(())
}
