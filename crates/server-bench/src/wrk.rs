//! The load generator: `wrk` (Debian's package), its Lua scripts for the requests that
//! need a body or per-connection state, and the figures read from its report.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use anyhow::{Context, Result, bail};

/// `PATCH /v1/account/preferences`, one demo user per thread; run with as many
/// connections as threads, so each connection is one client that sends the version of
/// its previous answer (a stale one would be refused). Arguments: each thread's token
/// and starting version, in order.
const PATCH_LUA: &str = r#"
local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

function init(args)
  token = args[2 * id - 1]
  version = args[2 * id]
  language = "es"
  ok, refused, last_refusal = 0, 0, 0
end

function request()
  if language == "es" then language = "fr" else language = "es" end
  return wrk.format("PATCH", "/v1/account/preferences",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
    '{"baseVersion":' .. version .. ',"language":"' .. language .. '"}')
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    local v = string.match(body, '"version":(%d+)')
    if v then version = v end
  else
    refused = refused + 1
    last_refusal = status
  end
end

function done(summary, latency, requests)
  local total_ok, total_refused, last = 0, 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_refused = total_refused + t:get("refused")
    if t:get("last_refusal") ~= 0 then last = t:get("last_refusal") end
  end
  io.write(string.format("bench ok %d\nbench refused %d\nbench last_refusal %d\n",
    total_ok, total_refused, last))
end
"#;

/// `POST /v1/sessions` with a wrong password for a new unknown email each time: each one
/// costs the server a full argon2id hash (unknown users cost what wrong passwords cost)
/// and none reaches the lockout, which counts per typed email.
const FLOOD_LUA: &str = r#"
local threads = {}
local count = 0

function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 100 + id)
  n, unauthorized, other, last_other = 0, 0, 0, 0
end

function request()
  n = n + 1
  local body = string.format(
    '{"email":"nobody-%d-%d-%d@flood.example","password":"the wrong password, of nobody","deviceName":"bench"}',
    id, math.random(1, 1000000000), n)
  return wrk.format("POST", "/v1/sessions", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status == 401 then
    unauthorized = unauthorized + 1
  else
    other = other + 1
    last_other = status
  end
end

function done(summary, latency, requests)
  local total_unauthorized, total_other, last = 0, 0, 0
  for _, t in ipairs(threads) do
    total_unauthorized = total_unauthorized + t:get("unauthorized")
    total_other = total_other + t:get("other")
    if t:get("last_other") ~= 0 then last = t:get("last_other") end
  end
  io.write(string.format("bench unauthorized %d\nbench other %d\nbench last_other %d\n",
    total_unauthorized, total_other, last))
end
"#;

/// The scripts, written once into the run's temporary folder.
#[derive(Debug)]
pub struct Scripts {
    pub patch: PathBuf,
    pub flood: PathBuf,
}

impl Scripts {
    pub fn write(dir: &Path) -> Result<Self> {
        let write = |name: &str, text: &str| -> Result<PathBuf> {
            let path = dir.join(name);
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
            Ok(path)
        };
        Ok(Self {
            patch: write("patch.lua", PATCH_LUA)?,
            flood: write("flood.lua", FLOOD_LUA)?,
        })
    }
}

/// One wrk run: `-t threads -c connections -d secs --latency [-s script] url [-- args]`.
#[derive(Debug, Clone)]
pub struct Load<'a> {
    pub threads: u32,
    pub connections: u32,
    pub secs: u64,
    pub url: String,
    pub headers: Vec<String>,
    pub script: Option<&'a Path>,
    pub script_args: Vec<String>,
    /// Requests slower than this count as timeouts (wrk's default is 2 s).
    pub timeout_secs: Option<u64>,
}

impl<'a> Load<'a> {
    pub fn new(threads: u32, connections: u32, secs: u64, url: String) -> Self {
        Self {
            threads,
            connections,
            secs,
            url,
            headers: Vec::new(),
            script: None,
            script_args: Vec::new(),
            timeout_secs: None,
        }
    }

    pub fn header(mut self, header: impl Into<String>) -> Self {
        self.headers.push(header.into());
        self
    }

    pub fn script(mut self, script: &'a Path, args: Vec<String>) -> Self {
        self.script = Some(script);
        self.script_args = args;
        self
    }

    pub fn timeout(mut self, secs: u64) -> Self {
        self.timeout_secs = Some(secs);
        self
    }

    fn command(&self) -> Command {
        let mut command = Command::new("wrk");
        command
            .arg(format!("-t{}", self.threads))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}s", self.secs))
            .arg("--latency");
        if let Some(secs) = self.timeout_secs {
            command.arg(format!("--timeout={secs}s"));
        }
        for header in &self.headers {
            command.arg("-H").arg(header);
        }
        if let Some(script) = self.script {
            command.arg("-s").arg(script);
        }
        command.arg(&self.url);
        if !self.script_args.is_empty() {
            command.arg("--").args(&self.script_args);
        }
        command
    }

    /// Runs wrk to the end and reads its report.
    pub fn run(&self) -> Result<Report> {
        let output = self
            .command()
            .stdin(Stdio::null())
            .output()
            .context("running wrk (make bench installs it: apt-get install wrk)")?;
        Report::from_output(&output)
    }

    /// Starts wrk and returns at once; [`Report::from_output`] of `wait_with_output`.
    pub fn start(&self) -> Result<Child> {
        self.command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("running wrk (make bench installs it: apt-get install wrk)")
    }
}

/// What wrk reported.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Completed requests.
    pub requests: u64,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers with a status outside 200–399.
    pub non_2xx_3xx: u64,
    /// wrk's `Socket errors:` line, when it printed one.
    pub socket_errors: Option<String>,
    /// `bench KEY VALUE` lines printed by a script's `done()`.
    pub counters: Vec<(String, i64)>,
}

impl Report {
    pub fn from_output(output: &Output) -> Result<Self> {
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "wrk failed ({}): {}{}",
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Self::parse(&stdout).with_context(|| format!("reading wrk's report:\n{stdout}"))
    }

    fn parse(text: &str) -> Result<Self> {
        let mut report = Self::default();
        let (mut saw_rate, mut saw_p99) = (false, false);
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("Requests/sec:") {
                report.requests_per_sec = rest.trim().parse()?;
                saw_rate = true;
            } else if let Some(rest) = line.strip_prefix("50%") {
                report.p50_ms = millis(rest.trim())?;
            } else if let Some(rest) = line.strip_prefix("99%") {
                report.p99_ms = millis(rest.trim())?;
                saw_p99 = true;
            } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
                report.non_2xx_3xx = rest.trim().parse()?;
            } else if line.starts_with("Socket errors:") {
                report.socket_errors = Some(line.to_owned());
            } else if let Some((count, _)) = line.split_once(" requests in ") {
                report.requests = count.trim().parse()?;
            } else if let Some(rest) = line.strip_prefix("bench ")
                && let Some((key, value)) = rest.split_once(' ')
            {
                report
                    .counters
                    .push((key.to_owned(), value.trim().parse()?));
            }
        }
        if !saw_rate || !saw_p99 {
            bail!("no Requests/sec or 99% line");
        }
        Ok(report)
    }

    /// A counter a script printed (0 when it printed none of that name).
    pub fn counter(&self, key: &str) -> i64 {
        self.counters
            .iter()
            .find(|(k, _)| k == key)
            .map_or(0, |(_, v)| *v)
    }
}

/// wrk's durations (`873.00us`, `1.23ms`, `2.01s`, `1.00m`) in milliseconds.
fn millis(text: &str) -> Result<f64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .with_context(|| format!("a duration without a unit: {text}"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse()?;
    Ok(match unit {
        "us" => number / 1e3,
        "ms" => number,
        "s" => number * 1e3,
        "m" => number * 60e3,
        "h" => number * 3600e3,
        _ => bail!("an unknown unit in {text}"),
    })
}
