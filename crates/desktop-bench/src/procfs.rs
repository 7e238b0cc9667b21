//! Reading processes from /proc: the descendants of a launch, their PSS, and how often
//! they run (CPU time and wakeups).

use std::collections::BTreeMap;

/// Reading the process tree and its memory from `/proc` (Linux).
pub mod procs {
    use std::path::PathBuf;

    /// Direct children of `pid` (of all its threads).
    pub fn children(pid: i32) -> Vec<i32> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return Vec::new();
        };
        let mut out: Vec<i32> = tasks
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
            .flat_map(|list| {
                list.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect::<Vec<i32>>()
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every descendant of `pid`, `pid` excluded, parents before children.
    pub fn descendants(pid: i32) -> Vec<i32> {
        let mut out = Vec::new();
        let mut queue = children(pid);
        while let Some(p) = queue.first().copied() {
            queue.remove(0);
            if out.contains(&p) {
                continue;
            }
            out.push(p);
            queue.extend(children(p));
        }
        out
    }

    /// The process's name (`comm`, at most 15 bytes).
    pub fn comm(pid: i32) -> Option<String> {
        std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .ok()
            .map(|s| s.trim_end().to_owned())
    }

    pub fn exe(pid: i32) -> Option<PathBuf> {
        std::fs::read_link(format!("/proc/{pid}/exe")).ok()
    }

    /// The state letter of `/proc/<pid>/stat` (after the parenthesized name).
    pub fn parse_state(stat: &str) -> Option<char> {
        stat.rsplit_once(')')?.1.trim_start().chars().next()
    }

    /// Exists and is not a zombie.
    pub fn alive(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| parse_state(&s))
            .is_some_and(|s| s != 'Z' && s != 'X')
    }

    /// The `Pss:` line of a `smaps_rollup`, in KiB.
    pub fn parse_pss_kib(smaps_rollup: &str) -> Option<u64> {
        smaps_rollup.lines().find_map(|l| {
            let rest = l.strip_prefix("Pss:")?;
            let mut words = rest.split_whitespace();
            let n = words.next()?.parse().ok()?;
            (words.next()? == "kB").then_some(n)
        })
    }

    /// Processes outside `ours` that map WebKit's library: they share its pages, which
    /// lowers everyone's PSS.
    pub fn others_mapping_webkit(ours: &[i32]) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        let me = i32::try_from(std::process::id()).unwrap_or(0);
        let mut out: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| *pid != me && !ours.contains(pid))
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/maps"))
                    .is_ok_and(|maps| maps.contains("libwebkit2gtk"))
            })
            .map(|pid| format!("{} ({pid})", comm(pid).unwrap_or_default()))
            .collect();
        out.sort();
        out
    }

    pub fn pss_kib(pid: i32) -> Option<u64> {
        parse_pss_kib(&std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?)
    }
}

/// One process of a footprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessMemory {
    pub pid: i32,
    /// `main` for the measured process itself, else its `comm`.
    pub name: String,
    pub pss_kib: u64,
}

/// The PSS of a process and its live descendants, read at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footprint {
    pub processes: Vec<ProcessMemory>,
    /// Other processes on the machine mapping WebKit at the time (they lower the PSS).
    pub others: Vec<String>,
}

impl Footprint {
    pub fn read(root: i32) -> Self {
        let processes = std::iter::once(root)
            .chain(procs::descendants(root))
            .filter(|&pid| procs::alive(pid))
            .filter_map(|pid| {
                let pss_kib = procs::pss_kib(pid)?;
                let name = if pid == root {
                    "main".to_owned()
                } else {
                    procs::comm(pid).unwrap_or_else(|| "?".to_owned())
                };
                Some(ProcessMemory { pid, name, pss_kib })
            })
            .collect::<Vec<ProcessMemory>>();
        let ours: Vec<i32> = processes.iter().map(|p| p.pid).collect();
        Self {
            others: procs::others_mapping_webkit(&ours),
            processes,
        }
    }

    pub fn total_kib(&self) -> u64 {
        self.processes.iter().map(|p| p.pss_kib).sum()
    }

    /// PSS summed by process name.
    pub fn by_name(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for p in &self.processes {
            *out.entry(p.name.clone()).or_default() += p.pss_kib;
        }
        out
    }

    /// Names of the WebKit processes in it.
    pub fn webkit(&self) -> Vec<String> {
        self.processes
            .iter()
            .filter(|p| p.name.starts_with("WebKit"))
            .map(|p| format!("{} ({})", p.name, p.pid))
            .collect()
    }
}

/// CPU time and wakeups of a process and its live descendants so far, read at one moment;
/// two readings give rates ([`Activity::rates_since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Activity {
    /// User + system time of every process, in clock ticks.
    pub cpu_ticks: u64,
    /// Voluntary context switches of every thread: each is a thread that slept and was
    /// woken (a timer, a poll), what keeps a CPU from its deep idle states.
    pub wakeups: u64,
    pub at: Option<std::time::Instant>,
}

/// Per second, between two [`Activity`] readings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// CPU milliseconds per second (10 = 1 % of one core).
    pub cpu_ms: f64,
    pub wakeups: f64,
}

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`: 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

impl Activity {
    pub fn read(root: i32) -> Self {
        let mut out = Self {
            at: Some(std::time::Instant::now()),
            ..Self::default()
        };
        for pid in std::iter::once(root).chain(procs::descendants(root)) {
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                out.cpu_ticks += parse_cpu_ticks(&stat).unwrap_or(0);
            }
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for task in tasks.flatten() {
                if let Ok(status) = std::fs::read_to_string(task.path().join("status")) {
                    out.wakeups += parse_voluntary_switches(&status).unwrap_or(0);
                }
            }
        }
        out
    }

    /// The rates from `earlier` to this reading (`None` without both times).
    pub fn rates_since(&self, earlier: &Activity) -> Option<Rates> {
        let secs = self.at?.checked_duration_since(earlier.at?)?.as_secs_f64();
        (secs > 0.0).then(|| Rates {
            cpu_ms: self.cpu_ticks.saturating_sub(earlier.cpu_ticks) as f64 / TICKS_PER_SECOND
                * 1e3
                / secs,
            wakeups: self.wakeups.saturating_sub(earlier.wakeups) as f64 / secs,
        })
    }
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, tail) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = tail.split_whitespace().collect();
    // After the comm: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// `voluntary_ctxt_switches` of a `/proc/<pid>/task/<tid>/status`.
pub fn parse_voluntary_switches(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod activity_tests {
    use super::*;

    #[test]
    fn cpu_ticks_and_wakeups_are_read_from_proc_text() {
        let stat = "4242 (tokio worker) S 1 4242 4242 0 -1 4194560 900 0 0 0 125 37 0 0 20 0 9 0";
        assert_eq!(parse_cpu_ticks(stat), Some(162));
        let status = "Name:\tapp\nvoluntary_ctxt_switches:\t1207\nnonvoluntary_ctxt_switches:\t3\n";
        assert_eq!(parse_voluntary_switches(status), Some(1207));
        assert_eq!(parse_voluntary_switches("Name: app"), None);
    }

    #[test]
    fn this_process_is_seen_to_run() {
        let before = Activity::read(std::process::id() as i32);
        let spinner = std::time::Instant::now();
        let mut x = 0u64;
        while spinner.elapsed() < std::time::Duration::from_millis(60) {
            x = x.wrapping_add(1);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let after = Activity::read(std::process::id() as i32);
        let rates = after.rates_since(&before).expect("two readings");
        assert!(x > 10 && rates.wakeups > 10.0, "{rates:?}");
    }
}
