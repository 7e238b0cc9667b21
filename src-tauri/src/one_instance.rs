//! One instance per data folder on Linux: a second launch asks the running app to open
//! its window, and exits.
//!
//! How: the running instance holds an exclusive lock on `<data folder>/instance.lock`
//! and listens on the Unix socket `<data folder>/instance.sock`. A launch that cannot
//! take the lock connects, writes `open`, and waits for `ok`: the window is then on its
//! way. The kernel drops the lock with the process (a crash leaves no stale claim), and
//! with `exec` too, which is how the app re-executes itself into the tray (`window.rs`):
//! the new image claims again at once.
//!
//! Why not `tauri-plugin-single-instance` here (it stays on Windows and macOS): on Linux
//! it owns a name on the session bus through zbus, a D-Bus stack and an executor the app
//! otherwise has no use for (see `native_alert.rs`), and a name of an instance that is
//! exiting is still taken but answers nothing, which failed the next start. Keyed on the
//! data folder, not the user: two instances on one cache would fight over it, and two
//! data folders (a test, a second profile) are two apps.
//!
//! An instance that is quitting answers no `ok`: the launch then tries again, for
//! [`CLAIM_PATIENCE`], and takes over once the old one is gone.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const LOCK: &str = "instance.lock";
const SOCKET: &str = "instance.sock";
const OPEN: &str = "open";
const OK: &str = "ok";

/// How long a launch keeps trying to reach or replace the running instance.
const CLAIM_PATIENCE: Duration = Duration::from_secs(5);
/// How long one exchange with the running instance may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(2);
/// Between two attempts.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Set when the app quits: the listener then stops answering, so a launch waits for the
/// old instance to be gone rather than handing over to it.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// What [`claim`] found.
#[derive(Debug)]
pub enum Claim {
    /// This process is the instance; [`Primary::serve`] answers later launches.
    Primary(Primary),
    /// The running instance was asked to open its window: this process should exit.
    Forwarded,
}

/// The claim of the running instance: the lock (held while this value lives) and the
/// socket launches write to.
#[derive(Debug)]
pub struct Primary {
    _lock: File,
    listener: UnixListener,
}

/// Claims `data_dir` (which must exist) for this process, or asks its running instance to
/// open the window.
pub fn claim(data_dir: &Path) -> std::io::Result<Claim> {
    let deadline = Instant::now() + CLAIM_PATIENCE;
    loop {
        let error = match try_claim(data_dir) {
            Ok(Some(primary)) => return Ok(Claim::Primary(primary)),
            Ok(None) => match ask_to_open(data_dir) {
                Ok(()) => return Ok(Claim::Forwarded),
                Err(e) => e,
            },
            Err(e) => return Err(e),
        };
        if Instant::now() >= deadline {
            return Err(std::io::Error::new(
                error.kind(),
                format!(
                    "another Account Settings runs on {} but does not answer ({error})",
                    data_dir.display()
                ),
            ));
        }
        std::thread::sleep(RETRY_PAUSE);
    }
}

/// The lock and the socket if the lock is free; `None` if another process holds it.
fn try_claim(data_dir: &Path) -> std::io::Result<Option<Primary>> {
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join(LOCK))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(None),
        Err(TryLockError::Error(e)) => return Err(e),
    }
    let socket = data_dir.join(SOCKET);
    // Whoever bound it before held the lock, and no longer does: the file is stale.
    match std::fs::remove_file(&socket) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&socket)?;
    Ok(Some(Primary {
        _lock: lock,
        listener,
    }))
}

/// Writes `open` to the running instance and waits for its `ok`.
fn ask_to_open(data_dir: &Path) -> std::io::Result<()> {
    let mut stream = UnixStream::connect(data_dir.join(SOCKET))?;
    stream.set_read_timeout(Some(EXCHANGE_TIMEOUT))?;
    stream.set_write_timeout(Some(EXCHANGE_TIMEOUT))?;
    writeln!(stream, "{OPEN}")?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    if answer.trim_end() == OK {
        Ok(())
    } else {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "the running instance is exiting",
        ))
    }
}

impl Primary {
    /// Answers launches on a thread of its own (blocked in `accept`, it never wakes
    /// while nobody launches): each `open` calls `open_window`, then says `ok`.
    pub fn serve(self, open_window: impl Fn() + Send + 'static) {
        let spawned = std::thread::Builder::new()
            .name("one-instance".into())
            .spawn(move || {
                let _lock = self._lock;
                for stream in self.listener.incoming() {
                    match stream {
                        Ok(stream) => {
                            if let Err(e) = answer(stream, &open_window) {
                                tracing::warn!(error = %e, "a second launch's request failed");
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "accepting a second launch failed"),
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot answer second launches");
        }
    }
}

fn answer(stream: UnixStream, open_window: &impl Fn()) -> std::io::Result<()> {
    stream.set_read_timeout(Some(EXCHANGE_TIMEOUT))?;
    stream.set_write_timeout(Some(EXCHANGE_TIMEOUT))?;
    let mut request = String::new();
    let mut reader = BufReader::new(stream);
    reader.read_line(&mut request)?;
    if request.trim_end() != OPEN || CLOSING.load(Ordering::SeqCst) {
        return Ok(());
    }
    open_window();
    writeln!(reader.into_inner(), "{OK}")
}

/// The app is quitting: launches from now on wait for it to be gone.
pub fn closing() {
    CLOSING.store(true, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_second_claim_asks_the_first_to_open_its_window() {
        let dir = tempfile::tempdir().expect("dir");
        let Claim::Primary(first) = claim(dir.path()).expect("first claim") else {
            panic!("the first claim of a fresh folder is the instance");
        };
        let opened = Arc::new(AtomicUsize::new(0));
        let seen = opened.clone();
        first.serve(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        assert!(matches!(
            claim(dir.path()).expect("second"),
            Claim::Forwarded
        ));
        assert!(matches!(
            claim(dir.path()).expect("third"),
            Claim::Forwarded
        ));
        assert_eq!(opened.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_claim_dropped_frees_the_folder_and_its_stale_socket_is_replaced() {
        let dir = tempfile::tempdir().expect("dir");
        let Claim::Primary(first) = claim(dir.path()).expect("first claim") else {
            panic!("the first claim of a fresh folder is the instance");
        };
        drop(first);
        assert!(
            dir.path().join(SOCKET).exists(),
            "the socket file stays behind"
        );
        assert!(matches!(
            claim(dir.path()).expect("after the first is gone"),
            Claim::Primary(_)
        ));
    }

    #[test]
    fn a_holder_that_does_not_answer_is_reported_not_waited_on_for_ever() {
        let dir = tempfile::tempdir().expect("dir");
        // Holds the lock and the socket, and never answers (an instance hung on exit).
        let Claim::Primary(_silent) = claim(dir.path()).expect("first claim") else {
            panic!("the first claim of a fresh folder is the instance");
        };
        let started = Instant::now();
        let error = claim(dir.path()).expect_err("nobody answers");
        assert!(started.elapsed() >= CLAIM_PATIENCE);
        assert!(error.to_string().contains("does not answer"), "{error}");
    }

    #[test]
    fn other_folders_are_other_instances() {
        let (a, b) = (
            tempfile::tempdir().expect("a"),
            tempfile::tempdir().expect("b"),
        );
        let first = claim(a.path()).expect("a");
        assert!(matches!(first, Claim::Primary(_)));
        assert!(matches!(claim(b.path()).expect("b"), Claim::Primary(_)));
    }
}
