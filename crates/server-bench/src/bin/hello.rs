//! The yardstick of `make bench`'s HTTP figures: axum's hello world, `GET /` → 200 "ok",
//! on the same runtime set-up as the account server (tokio's default multi-thread
//! runtime), built with the same profile from the same Cargo.lock. Whatever the account
//! server costs above this is the cost of its own work (authentication, the database,
//! JSON), not of axum, hyper or the kernel's loopback.
//!
//! `hello ADDR` binds ADDR (port 0: any free port) and prints `listening on http://ADDR`.

use anyhow::Context;
use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .context("usage: hello ADDR (for example 127.0.0.1:0)")?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    let app = Router::new().route("/", get(|| async { "ok" }));
    axum::serve(listener, app).await?;
    Ok(())
}
