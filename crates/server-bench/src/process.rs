//! The programs under measurement, each in a process of its own so its CPU time can be
//! read from `/proc`: the account server (configured by environment variables alone, as
//! in production) and the hello-world yardstick.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

/// The account server's binary.
pub const SERVER_BIN: &str = "account-server";
/// The yardstick's binary (this crate's `src/bin/hello.rs`).
pub const HELLO_BIN: &str = "hello";

/// What both binaries print once they answer (the server: `Account server listening on
/// http://ADDR`, hello: `listening on http://ADDR`).
const LISTENING: &str = "listening on http://";
/// The longest a start may take (migrations, the demo seed's one argon2 hash).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest a graceful stop may take before the process is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// The pids of the servers running now, for [`terminate_all`].
static RUNNING: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// SIGTERM to every server still running (on Ctrl+C, when no destructor will run).
pub fn terminate_all() {
    let running = RUNNING.lock().map(|r| r.clone()).unwrap_or_default();
    for pid in running {
        if let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
    }
}

fn forget(pid: u32) {
    if let Ok(mut running) = RUNNING.lock() {
        running.retain(|p| *p != pid);
    }
}

/// Copies of the two release binaries, taken at the start so that a rebuild during the
/// run (someone's `make server`) cannot swap them between rounds.
#[derive(Debug)]
pub struct Binaries {
    pub server: PathBuf,
    pub hello: PathBuf,
}

impl Binaries {
    pub fn copy(from: &Path, into: &Path) -> Result<Self> {
        let copy = |name: &str| -> Result<PathBuf> {
            let source = from.join(name);
            if !source.is_file() {
                bail!(
                    "{} is missing: build it first with `cargo build --release -p account-server \
                     -p server-bench` (make bench does), or set SERVER_BENCH_BIN_DIR",
                    source.display()
                );
            }
            let target = into.join(name);
            std::fs::copy(&source, &target)
                .with_context(|| format!("copying {}", source.display()))?;
            Ok(target)
        };
        Ok(Self {
            server: copy(SERVER_BIN)?,
            hello: copy(HELLO_BIN)?,
        })
    }
}

/// A running server; killed when dropped unless stopped first.
#[derive(Debug)]
pub struct Process {
    child: Child,
    pub addr: SocketAddr,
    name: String,
}

impl Process {
    /// `account-server serve [--seed-demo]` with exactly `env` as its `ACCOUNT_*`
    /// configuration (any the caller had are removed).
    pub fn server(bin: &Path, env: &[(String, String)], seed_demo: bool) -> Result<Self> {
        let mut command = Command::new(bin);
        command.arg("serve");
        if seed_demo {
            command.arg("--seed-demo");
        }
        clear_account_env(&mut command);
        command.envs(env.iter().map(|(k, v)| (k, v)));
        Self::spawn(command, "account-server")
    }

    pub fn hello(bin: &Path) -> Result<Self> {
        let mut command = Command::new(bin);
        command.arg("127.0.0.1:0");
        Self::spawn(command, "hello")
    }

    fn spawn(mut command: Command, name: &str) -> Result<Self> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        if let Ok(mut running) = RUNNING.lock() {
            running.push(child.id());
        }
        let stdout = child.stdout.take().context("the child's stdout")?;
        let (found, address) = mpsc::channel();
        // Reads the address, then keeps draining stdout so the server never blocks on it.
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find(LISTENING)
                    && let Some(found) = found.take()
                {
                    let _ = found.send(line[at + LISTENING.len()..].trim().to_owned());
                }
            }
        });
        let mut process = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            name: name.to_owned(),
        };
        let addr = match address.recv_timeout(START_TIMEOUT) {
            Ok(addr) => addr,
            Err(RecvTimeoutError::Timeout) => {
                bail!("{name} did not say it was listening within {START_TIMEOUT:?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = process.child.wait()?;
                bail!("{name} ended before listening ({status}); its stderr is above")
            }
        };
        process.addr = addr
            .parse()
            .with_context(|| format!("{name} printed an address that is not one: {addr}"))?;
        Ok(process)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process's CPU time so far (user + system), in clock ticks.
    pub fn cpu_ticks(&self) -> Result<u64> {
        let stat = ProcStat::read(self.pid())?;
        Ok(stat.utime + stat.stime)
    }

    /// SIGTERM (the server finishes what it is doing and exits), then SIGKILL after
    /// [`STOP_TIMEOUT`].
    pub fn stop(mut self) -> Result<()> {
        let pid = i32::try_from(self.pid()).context("pid")?;
        let pid = rustix::process::Pid::from_raw(pid).context("pid 0")?;
        if self.child.try_wait()?.is_none() {
            rustix::process::kill_process(pid, rustix::process::Signal::TERM)
                .with_context(|| format!("signalling {}", self.name))?;
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                self.child.kill()?;
                self.child.wait()?;
                forget(self.pid());
                return Err(anyhow!(
                    "{} did not stop within {STOP_TIMEOUT:?} of SIGTERM; killed",
                    self.name
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        forget(self.pid());
        Ok(())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        forget(self.pid());
    }
}

/// Removes every `ACCOUNT_*` variable this program inherited, so only the benchmark's
/// configuration reaches the server.
pub fn clear_account_env(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ACCOUNT_") {
            command.env_remove(key);
        }
    }
}

/// The fields of `/proc/<pid>/stat` this program reads.
#[derive(Debug, Clone, Copy)]
pub struct ProcStat {
    pub ppid: u32,
    /// User and system CPU time, in clock ticks.
    pub utime: u64,
    pub stime: u64,
    /// The same, of the children it waited for.
    pub cutime: u64,
    pub cstime: u64,
}

impl ProcStat {
    pub fn read(pid: u32) -> Result<Self> {
        let path = format!("/proc/{pid}/stat");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        Self::parse(&text).with_context(|| format!("parsing {path}: {text}"))
    }

    fn parse(text: &str) -> Result<Self> {
        // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so the fields
        // are counted from the last ')'. After it, field 3 (state) is index 0.
        let rest = &text[text.rfind(')').context("no ')'")? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| -> Result<u64> {
            let raw = fields.get(n - 3).context("too few fields")?;
            raw.parse().with_context(|| format!("field {n}: {raw}"))
        };
        Ok(Self {
            ppid: u32::try_from(field(4)?)?,
            utime: field(14)?,
            stime: field(15)?,
            cutime: field(16)?,
            cstime: field(17)?,
        })
    }
}

/// Microseconds per clock tick of `/proc`'s CPU times (`sysconf(_SC_CLK_TCK)`, 100 on
/// Linux nearly everywhere).
pub fn micros_per_tick() -> f64 {
    1e6 / rustix::param::clock_ticks_per_second() as f64
}
