//! `make bench`, backend part: the release account server over real HTTP, on SQLite and
//! on PostgreSQL, beside a minimal axum server built the same way (`src/bin/hello.rs`),
//! each in a process of its own, loaded by `wrk`. It prints numbers; it asserts nothing.
//!
//! What it measures, and why:
//! - **Authenticated reads**, `GET /v1/account` (`wrk -t2 -c64`), and its 304 path
//!   (`If-None-Match`, what clients without the event stream poll with): requests/s, p99
//!   and the ratio to hello's `GET /`, which says what the server's own work (session
//!   lookup, the database, JSON) costs above axum, hyper and the loopback. The same
//!   reads with the account cache off (`limits.account_cache_ms = 0`) show what one
//!   database read per request costs: what a client pays in the first two seconds after
//!   a change, and what a deployment that turns the cache off pays always. Over
//!   `SERVER_BENCH_ROUNDS` rounds (order reversed every other round: hello, SQLite,
//!   PostgreSQL, then PostgreSQL, SQLite, hello, …; a fresh server and database for
//!   each), printed as median (min–max), because the machine's pace drifts.
//! - **Preference writes**, `PATCH /v1/account/preferences` from 1 and from 4 clients,
//!   each connection its own demo user sending the version of its previous answer (no
//!   conflicts), beside hello at the same `-t -c`; every answer that is not 200 is
//!   counted and printed (there should be none).
//! - **Reads during a sign-in flood**: read p99 (`-t1 -c8`) alone, then while wrong
//!   passwords for unknown emails arrive (`-t1 -c16`), each a full argon2id hash: does
//!   the bounded hashing keep the reads answered?
//! - **Cross-instance push** (PostgreSQL only): two servers on one database, 200
//!   sequential balance adjustments through instance B's service API, each timed until
//!   its `balance_changed` event is read from instance A's event stream.
//! - **Outbox drain** (PostgreSQL): ~2000 messages queued with delivery held on two
//!   instances, both restarted with live delivery to an SMTP sink in this program:
//!   messages/s from the restart to the last mail, and whether any mail came twice.
//!
//! How:
//! - The load generator shares the 2 cores with the server, so requests/s partly
//!   measures wrk. Beside every throughput figure is the server's own CPU per request,
//!   which does not depend on that: `/proc/<pid>/stat` utime + stime before and after
//!   the run, over the requests wrk completed. On PostgreSQL the database's processes
//!   do part of the work outside the server, so their CPU per request is printed too
//!   (the postmaster and its children, found through `SHOW data_directory`).
//! - The server is configured by environment variables alone (`ACCOUNT_*`, as in
//!   production; none of the caller's reach it), `serve --seed-demo`, delivery held,
//!   warnings only; the demo users sign in over HTTP.
//! - Both binaries are copied from `$CARGO_TARGET_DIR/release` (or
//!   `SERVER_BENCH_BIN_DIR`) at the start, so a rebuild during the run cannot swap them.
//! - PostgreSQL: `BENCH_POSTGRES_URL` (an admin URL; `make bench` starts a throwaway
//!   cluster with fsync on), a fresh database per server start, dropped afterwards. The
//!   servers reach it over TLS, as they would a database on another machine, checked
//!   against `BENCH_POSTGRES_CA` (the cluster's CA).
//!
//! Environment: `SERVER_BENCH_SECS` (each wrk run, default 10), `SERVER_BENCH_ROUNDS`
//! (rounds of the read comparison, default 4), `BENCH_POSTGRES_URL`,
//! `SERVER_BENCH_BIN_DIR`. The default run takes about 8 minutes.

mod postgres;
mod process;
mod wrk;

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use account_server::seed::{DEMO_ORGANIZATION, DEMO_PASSWORD, DEMO_USERS};
use account_server::testing::sinks::SmtpSink;
use anyhow::{Context, Result, anyhow, ensure};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::postgres::Postgres;
use crate::process::{Binaries, Process};
use crate::wrk::{Load, Report, Scripts};

/// The service API's bearer token, and the code secret two PostgreSQL instances share.
const SERVICE_TOKEN: &str = "server-bench service token, 32+ characters";
const CODE_SECRET: &str = "server-bench code secret, at least 32 characters";
/// Sequential adjustments timed for the cross-instance push.
const PUSH_SAMPLES: usize = 200;
/// Platform events queued for the outbox drain (each reaches the 4 demo users).
const DRAIN_EVENTS: usize = 500;
/// The longest the drain may take before it is reported incomplete.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(180);

pub fn run() -> Result<()> {
    let options = Options::from_env()?;
    let bench = Bench::new(options)?;
    bench.header();
    let reads = bench.reads()?;
    bench.print_reads(&reads);
    let writes = bench.writes_and_flood()?;
    bench.print_writes(&writes);
    let push = bench.push()?;
    bench.print_push(&push);
    let drain = bench.drain()?;
    bench.print_drain(&drain);
    bench.print_notes();
    Ok(())
}

// ------------------------------------------------------------------ options

#[derive(Debug)]
struct Options {
    secs: u64,
    rounds: usize,
    bin_dir: PathBuf,
    postgres_url: String,
}

impl Options {
    fn from_env() -> Result<Self> {
        let number = |name: &str, default: u64| -> Result<u64> {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| anyhow!("{name} must be a whole number above 0, not {v:?}")),
                Err(_) => Ok(default),
            }
        };
        let bin_dir = match (
            std::env::var_os("SERVER_BENCH_BIN_DIR"),
            std::env::var_os("CARGO_TARGET_DIR"),
        ) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, Some(target)) => PathBuf::from(target).join("release"),
            // …/release/deps/http-<hash> → …/release
            (None, None) => std::env::current_exe()?
                .parent()
                .and_then(|deps| deps.parent())
                .context("the folder this program was built into")?
                .to_path_buf(),
        };
        let postgres_url = std::env::var(postgres::URL_VARIABLE).map_err(|_| {
            anyhow!(
                "{} is not set: run `make bench` (it starts a throwaway PostgreSQL cluster), \
                 or point it at a server where this program may create databases",
                postgres::URL_VARIABLE
            )
        })?;
        Ok(Self {
            secs: number("SERVER_BENCH_SECS", 10)?,
            rounds: usize::try_from(number("SERVER_BENCH_ROUNDS", 4)?)?,
            bin_dir,
            postgres_url,
        })
    }
}

// ------------------------------------------------------------------ set-up

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    /// Without TLS (`sslmode=disable`): a database on the same private network.
    Postgres,
    /// Over TLS, the certificate checked against the cluster's CA.
    PostgresTls,
}

impl Engine {
    fn label(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::PostgresTls => "postgres, TLS",
        }
    }
}

/// A fresh database: a SQLite file in a folder of its own, or a PostgreSQL database.
#[derive(Debug)]
struct Database {
    env: Vec<(String, String)>,
    postgres: Option<String>,
    _dir: Option<TempDir>,
}

/// A demo user signed in.
#[derive(Debug, Clone)]
struct Session {
    token: String,
}

/// One wrk run and what it cost the server.
#[derive(Debug, Clone)]
struct Measured {
    report: Report,
    server_us: f64,
    postgres_us: Option<f64>,
    /// Server CPU over the run's wall time, in cores.
    server_cores: f64,
}

#[derive(Debug)]
struct Bench {
    options: Options,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    postgres: Postgres,
    bins: Binaries,
    scripts: Scripts,
    micros_per_tick: f64,
    notes: RefCell<Vec<String>>,
    // Last: holds the copied binaries and the scripts.
    work: TempDir,
}

impl Bench {
    fn new(options: Options) -> Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let http = runtime.block_on(async { reqwest::Client::builder().build() })?;
        let postgres = runtime.block_on(Postgres::connect(options.postgres_url.clone()))?;
        let work = tempfile::Builder::new().prefix("server-bench-").tempdir()?;
        let bins = Binaries::copy(&options.bin_dir, work.path())?;
        let scripts = Scripts::write(work.path())?;
        // Ctrl+C ends the run at once. The servers and wrk get it too from a terminal
        // (same process group), but are told again; the folder with the copies and the
        // SQLite files would otherwise stay behind in /tmp.
        let folder = work.path().to_path_buf();
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                process::terminate_all();
                let _ = std::fs::remove_dir_all(&folder);
                eprintln!("server-bench: interrupted");
                std::process::exit(130);
            }
        });
        Ok(Self {
            options,
            runtime,
            http,
            postgres,
            bins,
            scripts,
            micros_per_tick: process::micros_per_tick(),
            notes: RefCell::new(Vec::new()),
            work,
        })
    }

    fn note(&self, note: String) {
        self.notes.borrow_mut().push(note);
    }

    fn database(&self, engine: Engine) -> Result<Database> {
        Ok(match engine {
            Engine::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("sqlite-")
                    .tempdir_in(self.work.path())?;
                let path = dir.path().join("account.db");
                Database {
                    env: vec![env("ACCOUNT_DATABASE_PATH", path.display())],
                    postgres: None,
                    _dir: Some(dir),
                }
            }
            Engine::Postgres | Engine::PostgresTls => {
                let (name, url) = self.runtime.block_on(self.postgres.create_database())?;
                let tls = engine == Engine::PostgresTls;
                let mode = if tls { "require" } else { "disable" };
                let mut server = vec![
                    env("ACCOUNT_DATABASE_URL", format!("{url}?sslmode={mode}")),
                    env("ACCOUNT_CODE_SECRET", CODE_SECRET),
                ];
                // The cluster's CA, for the servers to check its certificate against.
                if tls {
                    let ca = std::env::var_os(postgres::CA_VARIABLE).ok_or_else(|| {
                        anyhow!(
                            "{} must name the cluster's CA (make bench sets it)",
                            postgres::CA_VARIABLE
                        )
                    })?;
                    server.push(env("ACCOUNT_DATABASE_CA_FILE", ca.to_string_lossy()));
                }
                Database {
                    env: server,
                    postgres: Some(name),
                    _dir: None,
                }
            }
        })
    }

    fn release(&self, database: Database) -> Result<()> {
        if let Some(name) = &database.postgres {
            self.runtime.block_on(self.postgres.drop_database(name))?;
        }
        Ok(())
    }

    /// The server's whole configuration: `database`, then `extra` (which wins).
    fn server_env(&self, database: &Database, extra: &[(String, String)]) -> Vec<(String, String)> {
        let mut all = vec![
            env("ACCOUNT_LISTEN", "127.0.0.1:0"),
            env("ACCOUNT_SERVICE_TOKEN", SERVICE_TOKEN),
            env("ACCOUNT_DELIVERY", "hold"),
            env("ACCOUNT_LOG", "warn"),
        ];
        all.extend(database.env.iter().cloned());
        for (key, value) in extra {
            all.retain(|(k, _)| k != key);
            all.push((key.clone(), value.clone()));
        }
        all
    }

    fn start(
        &self,
        database: &Database,
        seed_demo: bool,
        extra: &[(String, String)],
    ) -> Result<Process> {
        Process::server(
            &self.bins.server,
            &self.server_env(database, extra),
            seed_demo,
        )
    }

    /// Runs `f` on a server started (demo seeded) on a fresh database, then stops the
    /// server and drops the database, whatever `f` returned.
    fn on_fresh_server<T>(
        &self,
        engine: Engine,
        f: impl FnOnce(&Process) -> Result<T>,
    ) -> Result<T> {
        self.on_fresh_server_with(engine, &[], f)
    }

    /// [`Self::on_fresh_server`], the server configured with `extra` as well.
    fn on_fresh_server_with<T>(
        &self,
        engine: Engine,
        extra: &[(String, String)],
        f: impl FnOnce(&Process) -> Result<T>,
    ) -> Result<T> {
        let database = self.database(engine)?;
        let result = self.start(&database, true, extra).and_then(|server| {
            let result = f(&server);
            let stopped = server.stop();
            result.and_then(|value| stopped.map(|()| value))
        });
        let released = self.release(database);
        result.and_then(|value| released.map(|()| value))
    }

    fn sign_in(&self, server: &Process, email: &str) -> Result<Session> {
        let url = format!("{}/v1/sessions", server.base_url());
        let body: Value = self.runtime.block_on(async {
            let response = self
                .http
                .post(&url)
                .json(&json!({ "email": email, "password": DEMO_PASSWORD, "deviceName": "server-bench" }))
                .send()
                .await?;
            let status = response.status();
            let body: Value = response.json().await?;
            ensure!(status.is_success(), "signing in as {email}: {status} {body}");
            anyhow::Ok(body)
        })?;
        Ok(Session {
            token: body["token"]
                .as_str()
                .context("a sign-in without a token")?
                .to_owned(),
        })
    }

    /// The account's version and ETag; checks that the ETag gives a 304.
    fn account(&self, server: &Process, token: &str) -> Result<(i64, String)> {
        let url = format!("{}/v1/account", server.base_url());
        self.runtime.block_on(async {
            let response = self.http.get(&url).bearer_auth(token).send().await?;
            ensure!(
                response.status() == 200,
                "GET /v1/account: {}",
                response.status()
            );
            let etag = response
                .headers()
                .get("etag")
                .context("GET /v1/account without an ETag")?
                .to_str()?
                .to_owned();
            let body: Value = response.json().await?;
            let version = body["version"]
                .as_i64()
                .context("an account without a version")?;
            let again = self
                .http
                .get(&url)
                .bearer_auth(token)
                .header("if-none-match", &etag)
                .send()
                .await?;
            ensure!(
                again.status() == 304,
                "GET /v1/account with If-None-Match: {etag} answered {}, not 304",
                again.status()
            );
            Ok((version, etag))
        })
    }

    /// Runs `load` against `server`, reading the server's (and PostgreSQL's) CPU time
    /// before and after.
    fn measure(
        &self,
        what: &str,
        server: &Process,
        engine: Option<Engine>,
        load: &Load,
    ) -> Result<Measured> {
        let postgres_before = matches!(engine, Some(Engine::Postgres | Engine::PostgresTls))
            .then(|| self.postgres.cpu_ticks())
            .flatten();
        let before = server.cpu_ticks()?;
        let started = Instant::now();
        let report = load.run().with_context(|| format!("wrk on {what}"))?;
        let wall = started.elapsed();
        let after = server.cpu_ticks()?;
        let postgres_after = postgres_before.and_then(|_| self.postgres.cpu_ticks());
        let per_request =
            |ticks: u64| ticks as f64 * self.micros_per_tick / report.requests.max(1) as f64;
        if let Some(errors) = &report.socket_errors {
            self.note(format!("{what}: wrk {errors}"));
        }
        Ok(Measured {
            server_us: per_request(after.saturating_sub(before)),
            postgres_us: postgres_before
                .zip(postgres_after)
                .map(|(b, a)| per_request(a.saturating_sub(b))),
            server_cores: after.saturating_sub(before) as f64 * self.micros_per_tick
                / 1e6
                / wall.as_secs_f64(),
            report,
        })
    }

    /// Notes answers outside 200–399 of a run that should have none.
    fn expect_success(&self, what: &str, m: &Measured) {
        if m.report.non_2xx_3xx > 0 {
            self.note(format!(
                "{what}: {} of {} answers were not 2xx/3xx",
                m.report.non_2xx_3xx, m.report.requests
            ));
        }
    }

    fn header(&self) {
        println!(
            "\nserver over HTTP: release builds, each server in its own process, wrk on the same {} cores",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        println!(
            "  server µs/req: the server's CPU per request (utime+stime from /proc), which wrk sharing the cores \
             does not change"
        );
        println!(
            "  pg µs/req: the same of the PostgreSQL processes (fsync on); ×hello: req/s over the minimal axum \
             server's (hello)"
        );
    }
}

fn env(key: &str, value: impl std::fmt::Display) -> (String, String) {
    (key.to_owned(), value.to_string())
}

// ------------------------------------------------------------------ 1. reads

#[derive(Debug, Clone, Copy)]
enum Target {
    Hello,
    Server(Engine),
    /// `limits.account_cache_ms = 0`: every read goes to the database.
    Uncached(Engine),
}

/// Per round, in the order of [`READ_ROWS`].
#[derive(Debug, Default)]
struct Reads {
    rows: [Vec<Measured>; 8],
    ratios: [Vec<f64>; 8],
    /// Hello's server CPU per request over this row's, per round.
    cpu_ratios: [Vec<f64>; 8],
}

const READ_ROWS: [&str; 8] = [
    "hello (GET /)",
    "sqlite 200",
    "sqlite 304 (If-None-Match)",
    "sqlite 200, cache off",
    "postgres 200",
    "postgres 304 (If-None-Match)",
    "postgres 200, cache off",
    "postgres 200, over TLS",
];

impl Bench {
    fn reads(&self) -> Result<Reads> {
        let secs = self.options.secs;
        let mut reads = Reads::default();
        for round in 0..self.options.rounds {
            let mut order = [
                Target::Hello,
                Target::Server(Engine::Sqlite),
                Target::Uncached(Engine::Sqlite),
                Target::Server(Engine::Postgres),
                Target::Uncached(Engine::Postgres),
                Target::Server(Engine::PostgresTls),
            ];
            if round % 2 == 1 {
                order.reverse();
            }
            eprintln!(
                "server-bench: GET /v1/account, round {}/{}",
                round + 1,
                self.options.rounds
            );
            let mut this_round: [Option<Measured>; 8] = Default::default();
            for target in order {
                match target {
                    Target::Hello => {
                        let hello = Process::hello(&self.bins.hello)?;
                        let load = Load::new(2, 64, secs, format!("{}/", hello.base_url()));
                        let m = self.measure("hello GET /", &hello, None, &load)?;
                        self.expect_success("hello GET /", &m);
                        hello.stop()?;
                        this_round[0] = Some(m);
                    }
                    Target::Server(Engine::PostgresTls) => {
                        this_round[7] = Some(self.full_reads(Engine::PostgresTls, 7, &[])?);
                    }
                    Target::Uncached(engine) => {
                        let row = if engine == Engine::Sqlite { 3 } else { 6 };
                        let off = [env("ACCOUNT_LIMITS__ACCOUNT_CACHE_MS", 0)];
                        this_round[row] = Some(self.full_reads(engine, row, &off)?);
                    }
                    Target::Server(engine) => {
                        let row = if engine == Engine::Sqlite { 1 } else { 4 };
                        let (full, cached) = self.on_fresh_server(engine, |server| {
                            let session = self.sign_in(server, DEMO_USERS[0].1)?;
                            let (_, etag) = self.account(server, &session.token)?;
                            let url = format!("{}/v1/account", server.base_url());
                            let auth = format!("Authorization: Bearer {}", session.token);
                            let full = Load::new(2, 64, secs, url).header(auth);
                            let cached = full.clone().header(format!("If-None-Match: {etag}"));
                            let full = self.measure(READ_ROWS[row], server, Some(engine), &full)?;
                            self.expect_success(READ_ROWS[row], &full);
                            let what = READ_ROWS[row + 1];
                            let cached = self.measure(what, server, Some(engine), &cached)?;
                            self.expect_success(what, &cached);
                            Ok((full, cached))
                        })?;
                        this_round[row] = Some(full);
                        this_round[row + 1] = Some(cached);
                    }
                }
            }
            let (hello_rate, hello_us) = this_round[0].as_ref().map_or((f64::NAN, f64::NAN), |m| {
                (m.report.requests_per_sec, m.server_us)
            });
            for (i, m) in this_round.into_iter().enumerate() {
                let m = m.expect("every target ran in the round");
                reads.ratios[i].push(m.report.requests_per_sec / hello_rate);
                reads.cpu_ratios[i].push(hello_us / m.server_us);
                reads.rows[i].push(m);
            }
        }
        Ok(reads)
    }

    /// `GET /v1/account` (200s only) on a fresh server on `engine`, configured with `extra`.
    fn full_reads(
        &self,
        engine: Engine,
        row: usize,
        extra: &[(String, String)],
    ) -> Result<Measured> {
        let secs = self.options.secs;
        self.on_fresh_server_with(engine, extra, |server| {
            let session = self.sign_in(server, DEMO_USERS[0].1)?;
            let url = format!("{}/v1/account", server.base_url());
            let auth = format!("Authorization: Bearer {}", session.token);
            let load = Load::new(2, 64, secs, url).header(auth);
            let what = READ_ROWS[row];
            let full = self.measure(what, server, Some(engine), &load)?;
            self.expect_success(what, &full);
            Ok(full)
        })
    }

    fn print_reads(&self, reads: &Reads) {
        println!(
            "\nGET /v1/account as the owner, wrk -t2 -c64, {} s × {} rounds (order reversed every other round; a fresh \
             server and database each): median (min–max)",
            self.options.secs, self.options.rounds
        );
        println!(
            "  {:<30}{:<24}{:<22}{:<20}{:<18}{:<20}×hello (server CPU)",
            "", "req/s", "p99 ms", "server µs/req", "pg µs/req", "×hello"
        );
        for (i, label) in READ_ROWS.iter().enumerate() {
            let rows = &reads.rows[i];
            let pick = |f: fn(&Measured) -> f64| rows.iter().map(f).collect::<Vec<_>>();
            let postgres: Vec<f64> = rows.iter().filter_map(|m| m.postgres_us).collect();
            println!(
                "  {:<30}{:<24}{:<22}{:<20}{:<18}{:<20}{}",
                label,
                spread(&pick(|m| m.report.requests_per_sec)),
                spread(&pick(|m| m.report.p99_ms)),
                spread(&pick(|m| m.server_us)),
                if postgres.is_empty() {
                    "—".to_owned()
                } else {
                    spread(&postgres)
                },
                ratio_spread(&reads.ratios[i]),
                ratio_spread(&reads.cpu_ratios[i]),
            );
        }
        println!(
            "  ×hello: requests/s over hello's (PostgreSQL's processes share the 2 cores); \
             ×hello (server CPU): hello's CPU per request over the server's own"
        );
    }
}

// ------------------------------------------------------------------ 2–3. writes, flood

#[derive(Debug)]
struct Writes {
    hello_one: Measured,
    hello_four: Measured,
    engines: Vec<(Engine, EngineWrites)>,
}

#[derive(Debug)]
struct EngineWrites {
    one: Measured,
    four: Measured,
    quiet: Measured,
    during_flood: Measured,
    flood: Report,
}

impl Bench {
    fn writes_and_flood(&self) -> Result<Writes> {
        let secs = self.options.secs;
        eprintln!("server-bench: PATCH /v1/account/preferences and the sign-in flood");
        let hello = Process::hello(&self.bins.hello)?;
        let url = format!("{}/", hello.base_url());
        let hello_one = self.measure(
            "hello 1 client",
            &hello,
            None,
            &Load::new(1, 1, secs, url.clone()),
        )?;
        let hello_four =
            self.measure("hello 4 clients", &hello, None, &Load::new(4, 4, secs, url))?;
        hello.stop()?;
        let mut engines = Vec::new();
        for engine in [Engine::Sqlite, Engine::Postgres] {
            let writes =
                self.on_fresh_server(engine, |server| self.engine_writes(engine, server))?;
            engines.push((engine, writes));
        }
        Ok(Writes {
            hello_one,
            hello_four,
            engines,
        })
    }

    fn engine_writes(&self, engine: Engine, server: &Process) -> Result<EngineWrites> {
        let secs = self.options.secs;
        let sessions = DEMO_USERS
            .iter()
            .map(|(_, email, _, _)| self.sign_in(server, email))
            .collect::<Result<Vec<_>>>()?;
        let patch_url = format!("{}/v1/account/preferences", server.base_url());
        let patch = |clients: usize| -> Result<Measured> {
            // Each user's current version (the 1-client run moved the first one's on).
            let mut args = Vec::new();
            for session in &sessions[..clients] {
                let (version, _) = self.account(server, &session.token)?;
                args.push(session.token.clone());
                args.push(version.to_string());
            }
            let n = u32::try_from(clients)?;
            let load = Load::new(n, n, secs, patch_url.clone()).script(&self.scripts.patch, args);
            let what = format!("{} PATCH, {clients} clients", engine.label());
            let m = self.measure(&what, server, Some(engine), &load)?;
            let refused = m.report.counter("refused");
            if refused > 0 {
                self.note(format!(
                    "{what}: {refused} of {} answers were not 200 (the last one {}): the table's figures include them",
                    m.report.requests,
                    m.report.counter("last_refusal")
                ));
            }
            Ok(m)
        };
        let one = patch(1)?;
        let four = patch(sessions.len())?;

        let owner = &sessions[0];
        let read = Load::new(1, 8, secs, format!("{}/v1/account", server.base_url()))
            .header(format!("Authorization: Bearer {}", owner.token));
        let quiet = self.measure(
            &format!("{} reads, quiet", engine.label()),
            server,
            Some(engine),
            &read,
        )?;
        self.expect_success(&format!("{} reads, quiet", engine.label()), &quiet);

        // The flood runs a second longer on each side of the reads.
        let flood = Load::new(
            1,
            16,
            secs + 2,
            format!("{}/v1/sessions", server.base_url()),
        )
        .script(&self.scripts.flood, Vec::new())
        .timeout(30)
        .start()?;
        std::thread::sleep(Duration::from_secs(1));
        let what = format!("{} reads during the flood", engine.label());
        let during = self.measure(&what, server, Some(engine), &read);
        let flood = Report::from_output(&flood.wait_with_output()?).context("the sign-in flood")?;
        let during_flood = during?;
        self.expect_success(&what, &during_flood);
        if flood.counter("other") > 0 {
            self.note(format!(
                "{} sign-in flood: {} answers were not 401 (the last one {})",
                engine.label(),
                flood.counter("other"),
                flood.counter("last_other")
            ));
        }
        Ok(EngineWrites {
            one,
            four,
            quiet,
            during_flood,
            flood,
        })
    }

    fn print_writes(&self, writes: &Writes) {
        println!(
            "\nPATCH /v1/account/preferences, each connection its own demo user sending its last version \
             (language es ↔ fr), {} s each; ×hello = against hello at the same -t -c",
            self.options.secs
        );
        println!(
            "  {:<30}{:<12}{:<10}{:<16}{:<12}{:<9}non-200",
            "", "req/s", "p99 ms", "server µs/req", "pg µs/req", "×hello"
        );
        for (engine, w) in &writes.engines {
            for (clients, m, hello) in [
                (1, &w.one, &writes.hello_one),
                (4, &w.four, &writes.hello_four),
            ] {
                let refused = m.report.counter("refused");
                println!(
                    "  {:<30}{:<12}{:<10}{:<16}{:<12}{:<9}{}",
                    format!(
                        "{}, {clients} client{}",
                        engine.label(),
                        if clients == 1 { "" } else { "s" }
                    ),
                    num(m.report.requests_per_sec),
                    num(m.report.p99_ms),
                    num(m.server_us),
                    m.postgres_us.map_or("—".to_owned(), num),
                    ratio(m.report.requests_per_sec / hello.report.requests_per_sec),
                    if refused == 0 {
                        "0".to_owned()
                    } else {
                        format!("{refused} (NOT 0: see the notes)")
                    }
                );
            }
        }
        for (clients, m) in [(1, &writes.hello_one), (4, &writes.hello_four)] {
            println!(
                "  {:<30}{:<12}{:<10}{:<16}{:<12}{:<9}—",
                format!(
                    "hello (GET /), {clients} client{}",
                    if clients == 1 { "" } else { "s" }
                ),
                num(m.report.requests_per_sec),
                num(m.report.p99_ms),
                num(m.server_us),
                "—",
                ratio(1.0),
            );
        }

        println!(
            "\nGET /v1/account (wrk -t1 -c8) alone, then during a sign-in flood (wrk -t1 -c16: wrong passwords for \
             unknown emails, each a full argon2id hash), {} s each",
            self.options.secs
        );
        println!(
            "  {:<30}{:<16}{:<14}{:<17}{:<15}{:<13}server CPU in the flood",
            "", "quiet p99 ms", "quiet req/s", "flood p99 ms", "flood req/s", "sign-ins/s"
        );
        for (engine, w) in &writes.engines {
            println!(
                "  {:<30}{:<16}{:<14}{:<17}{:<15}{:<13}{:.2} cores",
                engine.label(),
                num(w.quiet.report.p99_ms),
                num(w.quiet.report.requests_per_sec),
                num(w.during_flood.report.p99_ms),
                num(w.during_flood.report.requests_per_sec),
                num(w.flood.requests_per_sec),
                w.during_flood.server_cores,
            );
        }
    }
}

// ------------------------------------------------------------------ 4. push

#[derive(Debug)]
struct Push {
    samples: Vec<Duration>,
}

impl Bench {
    fn push(&self) -> Result<Push> {
        eprintln!("server-bench: cross-instance push");
        let database = self.database(Engine::Postgres)?;
        let a = self.start(&database, true, &[])?;
        let b = self.start(&database, true, &[])?;
        let result = self.push_on(&database, &a, &b);
        let stopped = a.stop().and(b.stop());
        let released = self.release(database);
        let push = result?;
        stopped?;
        released?;
        Ok(push)
    }

    fn push_on(&self, database: &Database, a: &Process, b: &Process) -> Result<Push> {
        let member = self.sign_in(a, DEMO_USERS[3].1)?;
        let org = self.organization_id(database)?;
        let events_url = format!("{}/v1/events", a.base_url());
        let adjust_url = format!(
            "{}/v1/service/organizations/{org}/balance-adjustments",
            b.base_url()
        );
        self.runtime.block_on(async {
            let mut stream = self
                .http
                .get(&events_url)
                .bearer_auth(&member.token)
                .send()
                .await?;
            ensure!(
                stream.status() == 200,
                "GET /v1/events: {}",
                stream.status()
            );
            let mut buffer = String::new();
            let mut samples = Vec::with_capacity(PUSH_SAMPLES);
            // One unmeasured first: the stream is up and the path warm.
            for i in 0..=PUSH_SAMPLES {
                let started = Instant::now();
                let response = self
                    .http
                    .post(&adjust_url)
                    .bearer_auth(SERVICE_TOKEN)
                    .json(&json!({ "amountMinor": -1, "idempotencyKey": format!("push-{i}") }))
                    .send()
                    .await?;
                ensure!(
                    response.status() == 200,
                    "an adjustment through B: {}",
                    response.status()
                );
                tokio::time::timeout(
                    Duration::from_secs(10),
                    next_event(&mut stream, &mut buffer, "balance_changed"),
                )
                .await
                .context("no balance_changed on A within 10 s of an adjustment through B")??;
                if i > 0 {
                    samples.push(started.elapsed());
                }
            }
            Ok(Push { samples })
        })
    }

    fn print_push(&self, push: &Push) {
        let mut ms: Vec<f64> = push.samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "\ncross-instance push (PostgreSQL): an adjustment through instance B's service API → balance_changed read \
             from instance A's event stream, one at a time"
        );
        println!(
            "  n={}  p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms",
            ms.len(),
            quantile(&ms, 0.5),
            quantile(&ms, 0.95),
            quantile(&ms, 1.0)
        );
    }
}

/// Reads server-sent events until one named `name` arrives.
async fn next_event(
    response: &mut reqwest::Response,
    buffer: &mut String,
    name: &str,
) -> Result<()> {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block
                .lines()
                .any(|l| l.strip_prefix("event:").is_some_and(|e| e.trim() == name))
            {
                return Ok(());
            }
        }
        let chunk = response
            .chunk()
            .await?
            .ok_or_else(|| anyhow!("the event stream ended"))?;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

// ------------------------------------------------------------------ 5. outbox drain

#[derive(Debug)]
struct Drain {
    events: usize,
    queued: u64,
    received: usize,
    distinct: usize,
    elapsed: Duration,
    complete: bool,
}

impl Bench {
    /// The demo organization's id, from the CLI (`balance show --id`) on `database`.
    fn organization_id(&self, database: &Database) -> Result<i64> {
        let mut command = std::process::Command::new(&self.bins.server);
        command.args(["balance", "show", "--org", DEMO_ORGANIZATION, "--id"]);
        process::clear_account_env(&mut command);
        let output = command.envs(self.server_env(database, &[])).output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        ensure!(
            output.status.success(),
            "account-server balance show: {}{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .trim()
            .parse()
            .with_context(|| format!("balance show --id printed {stdout:?}"))
    }

    fn drain(&self) -> Result<Drain> {
        eprintln!("server-bench: outbox drain");
        let database = self.database(Engine::Postgres)?;
        let result = self.drain_on(&database);
        self.release(database)?;
        result
    }

    fn drain_on(&self, database: &Database) -> Result<Drain> {
        // Queue with delivery held, on both instances.
        let a = self.start(database, true, &[])?;
        let b = self.start(database, true, &[])?;
        let org = self.organization_id(database)?;
        let urls = [a.base_url(), b.base_url()].map(|base| format!("{base}/v1/service/events"));
        let queued = self.runtime.block_on(async {
            let mut workers = tokio::task::JoinSet::new();
            for worker in 0..4 {
                let (http, urls) = (self.http.clone(), urls.clone());
                workers.spawn(async move {
                    let mut queued = 0;
                    for i in (worker..DRAIN_EVENTS).step_by(4) {
                        let response = http
                            .post(&urls[i % 2])
                            .bearer_auth(SERVICE_TOKEN)
                            .json(&json!({
                                "type": "contact_import_finished",
                                "organizationId": org,
                                "listName": format!("bench {i}"),
                                "imported": 1,
                                "rejected": 0,
                            }))
                            .send()
                            .await?;
                        let status = response.status();
                        let body: Value = response.json().await?;
                        ensure!(
                            status.is_success(),
                            "POST /v1/service/events: {status} {body}"
                        );
                        queued += body["messagesQueued"]
                            .as_u64()
                            .with_context(|| format!("no messagesQueued in {body}"))?;
                    }
                    anyhow::Ok(queued)
                });
            }
            let mut total = 0;
            while let Some(done) = workers.join_next().await {
                total += done??;
            }
            anyhow::Ok(total)
        })?;
        a.stop()?;
        b.stop()?;

        // Both back with live delivery; SMS would go nowhere (port 9), but none is queued.
        let mut sink = self.runtime.block_on(SmtpSink::start());
        let live = [
            env("ACCOUNT_DELIVERY", "live"),
            env("ACCOUNT_SMTP__HOST", "127.0.0.1"),
            env("ACCOUNT_SMTP__PORT", sink.addr.port()),
            env("ACCOUNT_SMTP__TLS", "none"),
            env("ACCOUNT_SMTP__FROM", "Bench <bench@example.com>"),
            env("ACCOUNT_SMS__URL", "http://127.0.0.1:9/"),
            env("ACCOUNT_SMS__SENDER", "Bench"),
        ];
        let expected = usize::try_from(queued)?;
        let started = Instant::now();
        let a = self.start(database, false, &live)?;
        let b = self.start(database, false, &live)?;
        let (elapsed, complete) = loop {
            // Polled, not awaited: each look copies the mails, so not too often.
            if sink.mails().len() >= expected {
                break (started.elapsed(), true);
            }
            if started.elapsed() > DRAIN_TIMEOUT {
                break (started.elapsed(), false);
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // Time for a late second copy to show.
        std::thread::sleep(Duration::from_secs(1));
        let mails = sink.mails();
        let stopped = a.stop().and(b.stop());
        self.runtime.block_on(sink.stop());
        stopped?;
        let distinct: HashSet<(String, String, String)> = mails
            .iter()
            .map(|m| (m.to.join(","), m.subject.clone(), m.body.clone()))
            .collect();
        Ok(Drain {
            events: DRAIN_EVENTS,
            queued,
            received: mails.len(),
            distinct: distinct.len(),
            elapsed,
            complete,
        })
    }

    fn print_drain(&self, drain: &Drain) {
        println!(
            "\noutbox drain (PostgreSQL): {} messages queued by {} contact_import_finished events with delivery held \
             on both instances, then both restarted with live delivery to an SMTP sink in this program",
            drain.queued, drain.events
        );
        let rate = drain.queued as f64 / drain.elapsed.as_secs_f64();
        if drain.complete {
            println!(
                "  {} mails in {:.2} s from the restart to the last one: {} messages/s; duplicates {}, missing {}",
                drain.received,
                drain.elapsed.as_secs_f64(),
                num(rate),
                drain.received - drain.distinct,
                usize::try_from(drain.queued).map_or(0, |q| q.saturating_sub(drain.distinct)),
            );
        } else {
            println!(
                "  INCOMPLETE: {} of {} mails ({} distinct) after {:.0} s",
                drain.received,
                drain.queued,
                drain.distinct,
                drain.elapsed.as_secs_f64()
            );
        }
    }

    fn print_notes(&self) {
        let notes = self.notes.borrow();
        if !notes.is_empty() {
            println!("\nnotes:");
            for note in notes.iter() {
                println!("  {note}");
            }
        }
    }
}

// ------------------------------------------------------------------ figures

/// The `q` quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// A figure with about three significant digits.
fn num(value: f64) -> String {
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        _ => format!("{value:.2}"),
    }
}

fn ratio(value: f64) -> String {
    format!("{value:.2}×")
}

/// `median (min–max)`, or the value alone for one round.
fn spread(values: &[f64]) -> String {
    spread_with(values, num)
}

fn ratio_spread(values: &[f64]) -> String {
    spread_with(values, |v| format!("{v:.2}"))
}

fn spread_with(values: &[f64], show: impl Fn(f64) -> String) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.len() < 2 || min == max {
        return show(median(values));
    }
    format!("{} ({}–{})", show(median(values)), show(min), show(max))
}
