//! A peer process we started: output goes to a log file, and it is stopped by its own PID (and
//! process group, so helper children such as kamailio's workers go too) when dropped.

use std::fs::{File, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::Pid;

use crate::{HarnessError, Result};

/// How long a peer gets to exit after SIGTERM before it is SIGKILLed.
const STOP_GRACE: Duration = Duration::from_secs(5);

pub(crate) struct PeerProcess {
    name: &'static str,
    child: Option<Child>,
    /// Also the process group id (spawned with `process_group(0)`).
    pid: u32,
    log: PathBuf,
}

impl PeerProcess {
    /// Spawns `command` in its own process group with stdout+stderr appended to `log`
    /// (appending keeps the first run's output across a restart).
    pub(crate) fn spawn(name: &'static str, mut command: Command, log: &Path) -> Result<Self> {
        let out = open_log(log)?;
        let err = out
            .try_clone()
            .map_err(HarnessError::io(format!("duplicate {}", log.display())))?;
        command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = command
            .spawn()
            .map_err(HarnessError::io(format!("spawn {name} ({command:?})")))?;
        Ok(Self::from_child(name, child, log))
    }

    /// Takes ownership of a child spawned elsewhere (e.g. with piped stdout); it must have been
    /// spawned with `process_group(0)` so that stopping it reaches its helpers too.
    pub(crate) fn from_child(name: &'static str, child: Child, log: &Path) -> Self {
        Self {
            name,
            pid: child.id(),
            child: Some(child),
            log: log.to_path_buf(),
        }
    }

    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `Err(Exited)` if the process already died (a crashed peer should fail fast, not time out).
    pub(crate) fn check_alive(&mut self) -> Result<()> {
        if let Some(child) = self.child.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Err(HarnessError::Exited {
                    peer: self.name,
                    status,
                    log: self.log.clone(),
                });
            }
        }
        Ok(())
    }

    /// Waits for the process to exit on its own.
    pub(crate) fn wait_timeout(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        let Some(child) = self.child.as_mut() else {
            return Err(HarnessError::Peer {
                peer: self.name,
                detail: "process was already reaped".into(),
            });
        };
        loop {
            if let Some(status) = child
                .try_wait()
                .map_err(HarnessError::io(format!("wait for {}", self.name)))?
            {
                self.child = None;
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout {
                    what: format!("{} to exit", self.name),
                    timeout,
                    seen: format!("still running, log {}", self.log.display()),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills whatever is left in the process group (after the leader exited, e.g. a background
    /// job of a shell that still holds our stdout pipe open).
    pub(crate) fn kill_group_leftovers(&self) {
        let _ = killpg(as_pid(self.pid), Signal::SIGKILL);
    }

    /// Sends a signal to the process itself (not its group).
    pub(crate) fn signal(&self, signal: Signal) {
        if let Some(pid) = self.pid() {
            let _ = kill(as_pid(pid), signal);
        }
    }

    /// SIGTERM, wait up to [`STOP_GRACE`], then SIGKILL the whole group; always reaps.
    pub(crate) fn stop(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let pid = as_pid(child.id());
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + STOP_GRACE;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = killpg(pid, Signal::SIGKILL);
                    break child.wait().ok();
                }
            }
        };
        // Leftover workers of the group (e.g. kamailio children) must not keep ports bound.
        let _ = killpg(pid, Signal::SIGKILL);
        status
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        self.stop();
        self.kill_group_leftovers();
    }
}

fn as_pid(pid: u32) -> Pid {
    Pid::from_raw(i32::try_from(pid).unwrap_or(i32::MAX))
}

fn open_log(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(HarnessError::io(format!("open log {}", path.display())))
}

/// Polls until `127.0.0.1:port` accepts a TCP connection.
pub(crate) fn tcp_port_open(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Runs a short helper command to completion, failing with its output when it fails.
pub(crate) fn run_tool(name: &'static str, command: &mut Command) -> Result<String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(HarnessError::io(format!("run {name}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(HarnessError::Peer {
            peer: name,
            detail: format!(
                "{command:?} exited with {}: {}{}",
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}
