//! The server's HTTP API, as the journeys use it to check what the app did: sign in
//! with a password to get a token, read the account and the members, and charge the
//! organization through the service API (as billing does).

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::SERVICE_TOKEN;

/// A plain HTTP client for one server.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Self {
        // reqwest is built with rustls without a provider in this workspace.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Sends a request; returns the status and the JSON body (`null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.context("response body")?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// Signs in with a password (a new session of its own); returns the token.
    pub async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/v1/sessions",
                None,
                Some(json!({ "email": email, "password": password, "deviceName": "e2e checks" })),
            )
            .await?;
        anyhow::ensure!(status == 200, "sign-in of {email}: {status} {body}");
        body["token"]
            .as_str()
            .map(str::to_owned)
            .context("no token in the sign-in answer")
    }

    /// `GET /v1/account`.
    pub async fn account(&self, token: &str) -> anyhow::Result<Value> {
        let (status, body) = self
            .call(reqwest::Method::GET, "/v1/account", Some(token), None)
            .await?;
        anyhow::ensure!(status == 200, "GET /v1/account: {status} {body}");
        Ok(body)
    }

    /// `GET /v1/organization/members`: the list of members.
    pub async fn members(&self, token: &str) -> anyhow::Result<Vec<Value>> {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                "/v1/organization/members",
                Some(token),
                None,
            )
            .await?;
        anyhow::ensure!(
            status == 200,
            "GET /v1/organization/members: {status} {body}"
        );
        let list = body.get("members").cloned().unwrap_or(body);
        list.as_array()
            .cloned()
            .with_context(|| format!("no member list in {list}"))
    }

    /// Charges (negative) or tops up the organization through the service API, once
    /// per `key`; returns the answer (`BalanceAdjustmentView`).
    pub async fn adjust_balance(
        &self,
        organization_id: i64,
        amount_minor: i64,
        key: &str,
    ) -> anyhow::Result<Value> {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &format!("/v1/service/organizations/{organization_id}/balance-adjustments"),
                Some(SERVICE_TOKEN),
                Some(json!({ "amountMinor": amount_minor, "idempotencyKey": key })),
            )
            .await?;
        anyhow::ensure!(status == 200, "balance adjustment: {status} {body}");
        Ok(body)
    }
}
