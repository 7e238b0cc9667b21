//! `cargo bench -p server-bench --bench http` (part of `make bench`, which starts the
//! PostgreSQL cluster and sets `BENCH_POSTGRES_URL`): the release account server over
//! HTTP, on SQLite and on PostgreSQL, beside a minimal axum server, printed, never
//! asserted. See the `server_bench` crate for what is measured and how.

fn main() -> anyhow::Result<()> {
    server_bench::run()
}
