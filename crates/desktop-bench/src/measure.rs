//! One measured launch: first paint, memory with the window open and in the tray.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, ensure};

use crate::*;

#[derive(Debug, Clone)]
pub(crate) struct Sample {
    pub(crate) paint: Duration,
    pub(crate) open: Footprint,
    pub(crate) closed: Footprint,
    pub(crate) close: Closed,
    /// CPU and wakeups per second over the idle wait with the window open…
    pub(crate) open_rates: Option<Rates>,
    /// …and closed to the tray (the minimal window: with no window, where it has one).
    pub(crate) closed_rates: Option<Rates>,
}

/// Saves the whole screen as a PNG (ImageMagick's `import`); a failure is only reported.
pub(crate) fn screenshot(display: &str, path: &Path) {
    let saved = run_quick(
        Command::new("import")
            .args(["-display", display, "-window", "root"])
            .arg(path),
        Duration::from_secs(20),
    );
    match saved {
        Ok((true, _)) => {}
        Ok((false, _)) => eprintln!("desktop bench: import failed for {}", path.display()),
        Err(e) => eprintln!("desktop bench: no screenshot (apt-get install imagemagick): {e:#}"),
    }
}

/// Copies each process's `/proc/<pid>/smaps` (where the memory is, mapping by mapping).
pub(crate) fn keep_smaps(footprint: &Footprint, dir: &Path, label: &str) {
    for p in &footprint.processes {
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{}/smaps", p.pid)) {
            let _ = std::fs::write(
                dir.join(format!("{label}-{}-{}.smaps", p.name, p.pid)),
                text,
            );
        }
    }
}

pub(crate) fn measure(
    target: &Target,
    session: &Session,
    opts: &Options,
    log: PathBuf,
    shots: Option<&Path>,
) -> Result<Sample> {
    let mut launch = Launch::start(target, session, log)?;
    let paint = launch.wait_paint(opts.timeout)?;
    let pid = launch.main_pid()?;
    if let Some(dir) = shots {
        screenshot(
            &session.display,
            &dir.join(format!("{}-first-paint.png", target.label)),
        );
    }
    // The first second after the paint is start-up work, not idling.
    std::thread::sleep(Duration::from_secs(1));
    let idle_from = Activity::read(pid);
    std::thread::sleep(opts.idle);
    let open_rates = Activity::read(pid).rates_since(&idle_from);
    let open = Footprint::read(pid);
    if let Some(dir) = shots {
        screenshot(
            &session.display,
            &dir.join(format!("{}-idle.png", target.label)),
        );
        keep_smaps(&open, dir, target.label);
    }
    press_ctrl_w(&session.display, pid)?;
    // The app may take its time to shed WebKit; the yardstick keeps its network process.
    let wait = if target.sheds_webkit {
        opts.timeout.min(Duration::from_secs(15))
    } else {
        Duration::from_secs(10)
    };
    let close = wait_closed(&session.display, pid, target.sheds_webkit, wait)?;
    std::thread::sleep(Duration::from_secs(1));
    let tray_from = Activity::read(pid);
    std::thread::sleep(opts.idle);
    let closed_rates = Activity::read(pid).rates_since(&tray_from);
    ensure!(
        procs::alive(pid),
        "{} ended while idle in the tray{}",
        target.label,
        launch.log_tail()
    );
    let closed = Footprint::read(pid);
    launch.stop();
    Ok(Sample {
        paint,
        open,
        closed,
        close,
        open_rates,
        closed_rates,
    })
}
