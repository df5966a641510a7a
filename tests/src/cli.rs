//! Dialtone's CLI as a black box: spawn it, read its one-JSON-event-per-line stdout, signal it.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdout, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::Value;

use crate::process::PeerProcess;
use crate::{EventLog, HarnessError, Result};

/// A running `dialtone-cli`; killed when dropped.
///
/// stdout lines that parse as a JSON object with a string `event` field are events (e.g.
/// `{"event":"registered","account":"1000@127.0.0.1"}`); every stdout line is also copied to
/// `<dir>/cli.stdout.log`, and stderr goes to `<dir>/cli.stderr.log`.
pub struct DialtoneCli {
    events: EventLog<Value>,
    lines: EventLog<String>,
    reader: Option<JoinHandle<()>>,
    process: PeerProcess,
}

impl DialtoneCli {
    /// Where the CLI binary is: `$DIALTONE_CLI`, else `dialtone-cli` in the cargo target dir
    /// this test executable was built into (`target/debug/deps/x` → `target/debug/dialtone-cli`).
    /// Panics with the build command when it is missing: tests never skip.
    pub fn binary_path() -> PathBuf {
        if let Some(path) = std::env::var_os("DIALTONE_CLI") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().unwrap_or_default();
        exe.ancestors()
            .skip(1)
            .take(3)
            .map(|dir| dir.join("dialtone-cli"))
            .find(|candidate| candidate.is_file())
            .unwrap_or_else(|| {
                panic!(
                    "dialtone-cli not found next to {}: run `cargo build -p dialtone-cli` first \
                     (or set DIALTONE_CLI=/path/to/dialtone-cli)",
                    exe.display()
                )
            })
    }

    /// Spawns the CLI with `args` and extra environment `env`, logs in `dir`.
    pub fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<Self> {
        Self::spawn_program(dir, &Self::binary_path(), args, env)
    }

    /// Like [`DialtoneCli::spawn`] for any program speaking the same stdout protocol (tests of
    /// this harness use `sh -c 'printf ...'`).
    pub fn spawn_program(
        dir: &Path,
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(HarnessError::io(format!("create {}", dir.display())))?;
        let stderr_path = dir.join("cli.stderr.log");
        let stderr = std::fs::File::create(&stderr_path).map_err(HarnessError::io(format!(
            "create {}",
            stderr_path.display()
        )))?;
        let stdout_log = std::fs::File::create(dir.join("cli.stdout.log"))
            .map_err(HarnessError::io("create cli.stdout.log"))?;
        let mut command = Command::new(program);
        command
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .process_group(0);
        let mut child = command
            .spawn()
            .map_err(HarnessError::io(format!("spawn {}", program.display())))?;
        let stdout = child.stdout.take().ok_or_else(|| HarnessError::Peer {
            peer: "dialtone-cli",
            detail: "stdout was not piped".into(),
        })?;
        let events = EventLog::new();
        let lines = EventLog::new();
        let reader = {
            let (events, lines) = (events.clone(), lines.clone());
            std::thread::Builder::new()
                .name("dialtone-cli-stdout".into())
                .spawn(move || read_lines(stdout, stdout_log, &events, &lines))
                .map_err(HarnessError::io("spawn stdout reader"))?
        };
        Ok(Self {
            events,
            lines,
            reader: Some(reader),
            process: PeerProcess::from_child("dialtone-cli", child, &stderr_path),
        })
    }

    /// Waits for the next event named `name` (see [`EventLog::wait_for`] for the cursor rule).
    pub fn wait_event(&self, name: &str, timeout: Duration) -> Result<Value> {
        self.events
            .wait_for(&format!("dialtone-cli event {name:?}"), timeout, |e| {
                e.get("event").and_then(Value::as_str) == Some(name)
            })
    }

    /// Every event so far, in order.
    pub fn events(&self) -> Vec<Value> {
        self.events.all()
    }

    /// Every stdout line so far, events or not.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.lines.all()
    }

    /// Ctrl-C: the CLI is expected to unregister and exit cleanly.
    pub fn send_sigint(&self) {
        self.process.signal(Signal::SIGINT);
    }

    /// SIGTERM (`kill`, service managers): also expected to unregister and exit cleanly.
    pub fn send_sigterm(&self) {
        self.process.signal(Signal::SIGTERM);
    }

    /// Waits for the CLI to exit, then for its last stdout line to be read (anything it left
    /// running in its process group is killed first, so the pipe reaches EOF).
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let status = self.process.wait_timeout(timeout)?;
        self.process.kill_group_leftovers();
        let deadline = Instant::now() + Duration::from_secs(2);
        if let Some(reader) = self.reader.take() {
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if reader.is_finished() {
                let _ = reader.join();
            }
        }
        Ok(status)
    }

    pub fn stderr_path(&self) -> &Path {
        self.process.log()
    }
}

/// Reader thread: copies each stdout line to the log file and files JSON events.
fn read_lines(
    stdout: ChildStdout,
    mut log: std::fs::File,
    events: &EventLog<Value>,
    lines: &EventLog<String>,
) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let _ = writeln!(log, "{line}");
        if let Some(event) = parse_event(&line) {
            events.push(event);
        }
        lines.push(line);
    }
    events.close();
    lines.close();
}

/// A stdout line is an event when it is a JSON object with a string `event` field.
fn parse_event(line: &str) -> Option<Value> {
    let value: Value = serde_json::from_str(line.trim()).ok()?;
    value.get("event")?.as_str()?;
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_objects_with_an_event_name_are_events() {
        assert!(parse_event(r#"{"event":"registered","aor":"1000@127.0.0.1"}"#).is_some());
        assert!(parse_event(r#"  {"event":"ended"}  "#).is_some());
        assert!(parse_event("registering...").is_none());
        assert!(parse_event(r#"{"level":"info"}"#).is_none());
        assert!(parse_event(r#"{"event":42}"#).is_none());
        assert!(parse_event(r#"["event"]"#).is_none());
    }
}
