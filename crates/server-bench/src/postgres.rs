//! The PostgreSQL server the benchmark runs against (`BENCH_POSTGRES_URL`, an admin URL:
//! `make bench` starts a throwaway durable cluster): a fresh database per server start,
//! dropped afterwards, and the CPU time of the PostgreSQL processes, which do on another
//! process the work SQLite does inside the account server's.

use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};
use tokio_postgres::NoTls;

use crate::process::ProcStat;

/// Where the PostgreSQL server is: `postgres://postgres@127.0.0.1:PORT/postgres`.
pub const URL_VARIABLE: &str = "BENCH_POSTGRES_URL";
/// The cluster's CA certificate (`make bench` sets it).
pub const CA_VARIABLE: &str = "BENCH_POSTGRES_CA";

#[derive(Debug)]
pub struct Postgres {
    admin_url: String,
    /// The postmaster's pid, when its data folder is readable here (it is when the
    /// cluster is this user's, or as root); without it no PostgreSQL CPU is printed.
    postmaster: Option<u32>,
    created: AtomicU32,
}

impl Postgres {
    pub async fn connect(admin_url: String) -> Result<Self> {
        let client = admin(&admin_url).await?;
        let row = client.query_one("SHOW data_directory", &[]).await?;
        let data_directory: String = row.get(0);
        let postmaster = std::fs::read_to_string(format!("{data_directory}/postmaster.pid"))
            .ok()
            .and_then(|pid| pid.lines().next()?.trim().parse().ok());
        Ok(Self {
            admin_url,
            postmaster,
            created: AtomicU32::new(0),
        })
    }

    /// Creates an empty database; returns its name and URL.
    pub async fn create_database(&self) -> Result<(String, String)> {
        let n = self.created.fetch_add(1, Ordering::Relaxed);
        let name = format!("server_bench_{}_{n}", std::process::id());
        admin(&self.admin_url)
            .await?
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("creating the database {name}"))?;
        Ok((
            name.clone(),
            account_server::testing::with_database(&self.admin_url, &name)?,
        ))
    }

    pub async fn drop_database(&self, name: &str) -> Result<()> {
        admin(&self.admin_url)
            .await?
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .with_context(|| format!("dropping the database {name}"))
    }

    /// CPU time of the whole PostgreSQL server so far, in clock ticks: the postmaster
    /// with the children it reaped, and its running children (backends, WAL writer,
    /// checkpointer, autovacuum). A backend that exits between two readings moves from
    /// the second sum to the first, so differences stay right.
    pub fn cpu_ticks(&self) -> Option<u64> {
        let postmaster = self.postmaster?;
        let own = ProcStat::read(postmaster).ok()?;
        let mut ticks = own.utime + own.stime + own.cutime + own.cstime;
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            if let Ok(stat) = ProcStat::read(pid)
                && stat.ppid == postmaster
            {
                ticks += stat.utime + stat.stime;
            }
        }
        Some(ticks)
    }
}

async fn admin(url: &str) -> Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .with_context(|| format!("connecting to {URL_VARIABLE}"))?;
    tokio::spawn(connection);
    Ok(client)
}
