//! The printed report.

use crate::*;

pub(crate) fn paint_ms(samples: &[Sample]) -> Option<Summary> {
    Summary::of(
        &samples
            .iter()
            .map(|s| s.paint.as_secs_f64() * 1e3)
            .collect::<Vec<_>>(),
    )
}

pub(crate) fn open_mib(samples: &[Sample]) -> Option<Summary> {
    Summary::of(
        &samples
            .iter()
            .map(|s| mib(s.open.total_kib()))
            .collect::<Vec<_>>(),
    )
}

/// Median CPU (ms/s) and wakeups (/s) over the launches, window open or in the tray.
pub(crate) fn rates(samples: &[Sample], tray: bool) -> (Option<Summary>, Option<Summary>) {
    let picked: Vec<Rates> = samples
        .iter()
        .filter_map(|s| if tray { s.closed_rates } else { s.open_rates })
        .collect();
    (
        Summary::of(&picked.iter().map(|r| r.cpu_ms).collect::<Vec<_>>()),
        Summary::of(&picked.iter().map(|r| r.wakeups).collect::<Vec<_>>()),
    )
}

pub(crate) fn closed_mib(samples: &[Sample]) -> Option<Summary> {
    Summary::of(
        &samples
            .iter()
            .map(|s| mib(s.closed.total_kib()))
            .collect::<Vec<_>>(),
    )
}

/// Median PSS by process name, over the launches (a name missing in a launch counts 0).
pub(crate) fn breakdown(footprints: &[&Footprint]) -> String {
    let mut names: Vec<String> = footprints
        .iter()
        .flat_map(|f| f.by_name().into_keys())
        .collect();
    names.sort();
    names.dedup();
    names
        .iter()
        .filter_map(|name| {
            let values: Vec<f64> = footprints
                .iter()
                .map(|f| mib(f.by_name().get(name).copied().unwrap_or(0)))
                .collect();
            Summary::of(&values).map(|s| format!("{name} {:.1}", s.median))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn row(label: &str, app: &str, minimal: &str, ratio: &str) {
    println!("  {label:<31} {app:<24} {minimal:<24} {ratio}");
}

pub(crate) fn mib_bytes(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// What the machine was doing when the run started (the figures are noisy on a busy one).
pub(crate) fn load_note() -> String {
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    format!("load average {load} on {cpus} CPUs at the start")
}

/// What the run measured, as printed.
#[derive(Debug)]
pub(crate) struct Results<'a> {
    pub(crate) app: Option<(&'a Target, &'a [Sample])>,
    pub(crate) minimal: (&'a Target, &'a [Sample]),
    pub(crate) minimal_no_gpu: &'a [Sample],
}

pub(crate) fn report(opts: &Options, display: &str, load: &str, results: &Results<'_>) {
    let (mt, ms) = results.minimal;
    let show = |s: Option<Summary>, d: usize| s.map_or_else(|| "-".to_owned(), |s| s.show(d));
    let (m_paint, m_open, m_closed) = (paint_ms(ms), open_mib(ms), closed_mib(ms));
    println!();
    println!(
        "desktop: the app beside a minimal Tauri window built the same way (Xvfb {display}, each launch in dbus-run-session; {load})"
    );
    println!(
        "  median (min–max) of {} launches each, alternating, after one warm-up; memory = PSS of the process and its WebKit processes after {} s idle",
        opts.runs,
        opts.idle.as_secs_f64()
    );
    row("", APP_BIN, MINIMAL_BIN, "app / minimal (target)");
    let Some((at, a)) = results.app else {
        row("launch → first paint, ms", "-", &show(m_paint, 0), "");
        row("memory, window open, MiB", "-", &show(m_open, 1), "");
        row(
            "binary, stripped, MiB",
            "-",
            &format!("{:.2}", mib_bytes(mt.stripped_bytes)),
            "",
        );
        println!(
            "  no {APP_BIN} in {}: the minimal window alone",
            opts.release_dir.display()
        );
        print_details(None, ms, results.minimal_no_gpu, &show(m_closed, 1));
        return;
    };
    let (a_paint, a_open, a_closed) = (paint_ms(a), open_mib(a), closed_mib(a));
    let ratio = |x: Option<Summary>, y: Option<Summary>, target: f64| match (x, y) {
        (Some(x), Some(y)) if y.median > 0.0 => verdict(x.median / y.median, target),
        _ => "-".to_owned(),
    };
    row(
        "launch → first paint, ms",
        &show(a_paint, 0),
        &show(m_paint, 0),
        &ratio(a_paint, m_paint, PAINT_TARGET),
    );
    row(
        "memory, window open, MiB",
        &show(a_open, 1),
        &show(m_open, 1),
        &ratio(a_open, m_open, OPEN_MEMORY_TARGET),
    );
    row(
        "memory, closed to the tray, MiB",
        &show(a_closed, 1),
        "(its window open, above)",
        &ratio(a_closed, m_open, TRAY_MEMORY_TARGET),
    );
    row(
        "binary, stripped, MiB",
        &format!("{:.2}", mib_bytes(at.stripped_bytes)),
        &format!("{:.2}", mib_bytes(mt.stripped_bytes)),
        &verdict(
            at.stripped_bytes as f64 / mt.stripped_bytes.max(1) as f64,
            SIZE_TARGET,
        ),
    );
    for (tray, state) in [(false, "window open"), (true, "in the tray")] {
        let ((a_cpu, a_wake), (m_cpu, m_wake)) = (rates(a, tray), rates(ms, tray));
        row(
            &format!("CPU, {state}, ms/s"),
            &show(a_cpu, 2),
            &show(m_cpu, 2),
            "",
        );
        let target = match (tray, a_wake) {
            (true, Some(w)) => format!(
                "≤ {TRAY_WAKEUPS_TARGET}/s: {}",
                if w.median <= TRAY_WAKEUPS_TARGET {
                    "ok"
                } else {
                    "OVER"
                }
            ),
            _ => String::new(),
        };
        row(
            &format!("wakeups, {state}, /s"),
            &show(a_wake, 2),
            &show(m_wake, 2),
            &target,
        );
    }
    row(
        "binary, as built, MiB",
        &format!("{:.2}", mib_bytes(at.built_bytes)),
        &format!("{:.2}", mib_bytes(mt.built_bytes)),
        "",
    );
    // The targets are against Tauri's defaults, above; the app paints without GPU
    // compositing on Linux, so here is the yardstick doing the same, for comparison.
    let ns = results.minimal_no_gpu;
    let plain = |x: Option<Summary>, y: Option<Summary>| match (x, y) {
        (Some(x), Some(y)) if y.median > 0.0 => format!("{:.2}×", x.median / y.median),
        _ => "-".to_owned(),
    };
    println!(
        "  the minimal window also painting without GPU compositing (MINIMAL_WINDOW_GPU=off), as the app does on Linux:"
    );
    row("", APP_BIN, MINIMAL_NO_GPU, "app / it");
    row(
        "launch → first paint, ms",
        &show(a_paint, 0),
        &show(paint_ms(ns), 0),
        &plain(a_paint, paint_ms(ns)),
    );
    row(
        "memory, window open, MiB",
        &show(a_open, 1),
        &show(open_mib(ns), 1),
        &plain(a_open, open_mib(ns)),
    );
    print_details(Some(a), ms, ns, &show(m_closed, 1));
}

/// Where the memory is, by process, and how closing the window went.
pub(crate) fn print_details(
    app: Option<&[Sample]>,
    minimal: &[Sample],
    minimal_no_gpu: &[Sample],
    minimal_closed: &str,
) {
    let by = |samples: &[Sample], closed: bool| {
        breakdown(
            &samples
                .iter()
                .map(|s| if closed { &s.closed } else { &s.open })
                .collect::<Vec<_>>(),
        )
    };
    println!("  median MiB by process:");
    if let Some(a) = app {
        println!("    {APP_BIN}, window open: {}", by(a, false));
        println!("    {APP_BIN}, in the tray: {}", by(a, true));
    }
    println!("    {MINIMAL_BIN}, window open: {}", by(minimal, false));
    if !minimal_no_gpu.is_empty() {
        println!(
            "    {MINIMAL_NO_GPU}, window open: {}",
            by(minimal_no_gpu, false)
        );
    }
    println!(
        "    {MINIMAL_BIN} after Ctrl+W (plain Tauri keeping its process, for comparison): {minimal_closed} MiB: {}",
        by(minimal, true)
    );
    let all: Vec<&Footprint> = app
        .unwrap_or_default()
        .iter()
        .chain(minimal)
        .flat_map(|s| [&s.open, &s.closed])
        .collect();
    let shared: Vec<&&Footprint> = all.iter().filter(|f| !f.others.is_empty()).collect();
    if !shared.is_empty() {
        let mut names: Vec<String> = shared
            .iter()
            .flat_map(|f| {
                f.others
                    .iter()
                    .map(|o| o.split(" (").next().unwrap_or(o).to_owned())
            })
            .collect();
        names.sort();
        names.dedup();
        println!(
            "  NOTE: {}/{} memory readings were taken while other processes mapped WebKit ({}): they share its pages, which lowers PSS; measure on an otherwise idle machine",
            shared.len(),
            all.len(),
            names.join(", ")
        );
        let alone = |samples: &[Sample], closed: bool| {
            let values: Vec<f64> = samples
                .iter()
                .map(|s| if closed { &s.closed } else { &s.open })
                .filter(|f| f.others.is_empty())
                .map(|f| mib(f.total_kib()))
                .collect();
            Summary::of(&values).map_or_else(
                || "-".to_owned(),
                |s| format!("{} MiB (n={})", s.show(1), s.n),
            )
        };
        let mut line = String::new();
        if let Some(a) = app {
            line = format!(
                "{APP_BIN} window open {}, in the tray {}; ",
                alone(a, false),
                alone(a, true)
            );
        }
        println!(
            "  readings with WebKit nowhere else: {line}{MINIMAL_BIN} window open {}",
            alone(minimal, false)
        );
    }
    if let Some(a) = app {
        let shed = a.iter().filter(|s| s.close.webkit_left.is_empty()).count();
        let took: Vec<f64> = a.iter().map(|s| s.close.took.as_secs_f64() * 1e3).collect();
        let left = a
            .iter()
            .find(|s| !s.close.webkit_left.is_empty())
            .map(|s| format!("; STILL RUNNING: {}", s.close.webkit_left.join(", ")))
            .unwrap_or_default();
        println!(
            "  {APP_BIN}, Ctrl+W → window and every WebKit process gone: {shed}/{} launches, in {} ms{left}",
            a.len(),
            Summary::of(&took).map_or_else(|| "-".to_owned(), |s| s.show(0)),
        );
    }
}
