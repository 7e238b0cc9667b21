//! Reading processes from /proc: the descendants of a launch and their PSS.

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
