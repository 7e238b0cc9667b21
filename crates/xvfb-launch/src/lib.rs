//! Xvfb as the desktop journeys (`tests/support/desktop.rs`) and the desktop benchmark
//! (`crates/desktop-bench`) start it: one screen big enough for the settings window, no
//! TCP, and the display number read from Xvfb's own report (`-displayfd 1`), which it
//! writes only once it accepts connections — so nothing connects too early.
//!
//! Each caller adds what is its own: the journeys let Xvfb pick the display; the
//! benchmark names one (100 and up) and runs it in a process group of its own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// The screen: the settings window at its default size fits, with room around it.
pub const SCREEN: &str = "1280x800x24";

/// `Xvfb [:n] -displayfd 1 -screen 0 1280x800x24 -nolisten tcp`, with stdin closed and
/// stdout piped for [`wait_ready`]. `None` lets Xvfb pick a free display.
pub fn command(display: Option<u32>) -> Command {
    let mut cmd = Command::new("Xvfb");
    if let Some(n) = display {
        cmd.arg(format!(":{n}"));
    }
    cmd.args([
        "-displayfd",
        "1",
        "-screen",
        "0",
        SCREEN,
        "-nolisten",
        "tcp",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped());
    cmd
}

/// What Xvfb said about its display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// It accepts connections on this display number.
    Display(u32),
    /// It exited (or closed its stdout) without a display: one it was told to use is
    /// taken, or it could not start.
    Exited,
    /// It said nothing in time.
    TimedOut,
}

/// Waits up to `timeout` for the display number Xvfb writes on its stdout. Takes the
/// pipe; a thread keeps draining it, so Xvfb never writes into a closed pipe.
pub fn wait_ready(child: &mut Child, timeout: Duration) -> Ready {
    let Some(stdout) = child.stdout.take() else {
        return Ready::Exited;
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(first)) = lines.next() {
            let _ = tx.send(first);
        }
        for _ in lines {}
    });
    match rx.recv_timeout(timeout) {
        Ok(line) => line.trim().parse().map_or(Ready::Exited, Ready::Display),
        Err(RecvTimeoutError::Disconnected) => Ready::Exited,
        Err(RecvTimeoutError::Timeout) => Ready::TimedOut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_names_the_display_only_when_asked() {
        let args = |c: &Command| -> Vec<String> {
            c.get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        let picked = command(None);
        assert_eq!(picked.get_program(), "Xvfb");
        assert_eq!(
            args(&picked),
            [
                "-displayfd",
                "1",
                "-screen",
                "0",
                SCREEN,
                "-nolisten",
                "tcp"
            ]
        );
        assert_eq!(args(&command(Some(104)))[0], ":104");
    }

    #[test]
    fn a_report_is_read_and_an_exit_without_one_is_told() {
        let mut says = Command::new("sh")
            .args(["-c", "echo 107; sleep 0.2"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("sh");
        assert_eq!(
            wait_ready(&mut says, Duration::from_secs(5)),
            Ready::Display(107)
        );
        let _ = says.wait();
        let mut silent = Command::new("true")
            .stdout(Stdio::piped())
            .spawn()
            .expect("true");
        assert_eq!(
            wait_ready(&mut silent, Duration::from_secs(5)),
            Ready::Exited
        );
        let _ = silent.wait();
    }
}
