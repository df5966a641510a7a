//! SIPp as a scripted UAS: exact message flows (423, stale nonce, 503 + Retry-After, silence)
//! that no real registrar produces on demand. The verdict is sipp's own exit code.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::process::{tcp_port_open, PeerProcess};
use crate::{binary, HarnessError, Netns, Result};

const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// Transport sipp listens on (`-t u1` / `-t t1`: one socket for the whole run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SippTransport {
    #[default]
    Udp,
    Tcp,
}

/// How a scenario run ended.
#[derive(Debug, Clone)]
pub struct SippOutcome {
    /// sipp exited 0: every call (here: the one REGISTER flow) reached the scenario's end.
    pub passed: bool,
    pub status: ExitStatus,
    /// Contents of the `-trace_err` file: unexpected messages, failed checks, `<error>`s.
    pub errors: String,
}

/// A sipp UAS scenario running in the background; killed when dropped.
pub struct Sipp {
    dir: PathBuf,
    process: PeerProcess,
}

impl Sipp {
    /// Path of a scenario shipped in `tests/scenarios/`, e.g. `Sipp::scenario("register_423.xml")`.
    pub fn scenario(file_name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(file_name)
    }

    /// Starts `sipp -sf <scenario> -i 127.0.0.1 -p <port> -m 1` (one flow, then exit), tracing
    /// messages and errors into `dir`, and returns once its socket is bound.
    /// `vars` become `-set name value` (the scenario must declare them `<Global variables=...>`).
    pub fn run_server(
        dir: &Path,
        scenario: &Path,
        port: u16,
        transport: SippTransport,
        vars: &[(&str, &str)],
    ) -> Result<Self> {
        Netns::assert_private("sipp");
        std::fs::create_dir_all(dir)
            .map_err(HarnessError::io(format!("create {}", dir.display())))?;
        let mut command = Command::new(binary::require("sipp"));
        command
            .arg("-sf")
            .arg(scenario)
            .args([
                "-i",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-m",
                "1",
                "-nostdin",
            ])
            .args([
                "-t",
                if transport == SippTransport::Tcp {
                    "t1"
                } else {
                    "u1"
                },
            ])
            .args(["-trace_msg", "-message_file"])
            .arg(dir.join("messages.log"))
            .args(["-trace_err", "-error_file"])
            .arg(dir.join("errors.log"))
            .args(["-trace_logs", "-log_file"])
            .arg(dir.join("actions.log"))
            .args(["-trace_screen", "-screen_file"])
            .arg(dir.join("screen.log"));
        for (name, value) in vars {
            command.args(["-set", name, value]);
        }
        let mut process = PeerProcess::spawn("sipp", command, &dir.join("sipp.log"))?;
        let deadline = Instant::now() + READY_TIMEOUT;
        while !port_taken(port, transport) {
            process.check_alive()?;
            if Instant::now() >= deadline {
                return Err(HarnessError::NotReady {
                    peer: "sipp",
                    timeout: READY_TIMEOUT,
                    detail: format!("port {port} not bound"),
                    log: process.log().to_path_buf(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            process,
        })
    }

    /// Waits for the scenario to finish and reports sipp's verdict; on timeout sipp is killed
    /// and the error lists what it had traced.
    pub fn wait(&mut self, timeout: Duration) -> Result<SippOutcome> {
        match self.process.wait_timeout(timeout) {
            Ok(status) => Ok(SippOutcome {
                passed: status.success(),
                status,
                errors: self.errors(),
            }),
            Err(e) => {
                self.kill();
                Err(HarnessError::Timeout {
                    what: "sipp scenario to finish".into(),
                    timeout,
                    seen: format!("{e}; errors: {}", self.errors()),
                })
            }
        }
    }

    /// Stops sipp now (e.g. a never-ending `register_no_answer.xml`).
    pub fn kill(&mut self) {
        self.process.stop();
    }

    /// Every message sent and received, with timestamps (`-trace_msg`).
    pub fn message_trace(&self) -> PathBuf {
        self.dir.join("messages.log")
    }

    /// Unexpected messages and failed checks (`-trace_err`).
    pub fn error_trace(&self) -> PathBuf {
        self.dir.join("errors.log")
    }

    fn errors(&self) -> String {
        std::fs::read_to_string(self.error_trace()).unwrap_or_default()
    }
}

/// True once something (sipp) holds the port: for UDP we cannot "connect", so try to bind it.
fn port_taken(port: u16, transport: SippTransport) -> bool {
    match transport {
        SippTransport::Tcp => tcp_port_open(port),
        SippTransport::Udp => UdpSocket::bind(("127.0.0.1", port))
            .is_err_and(|e| e.kind() == std::io::ErrorKind::AddrInUse),
    }
}
