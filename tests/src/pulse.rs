//! A private PulseAudio daemon per test, with virtual devices instead of a sound card:
//! `TestSpeaker` (null sink `speaker`: what Dialtone plays, recorded from `speaker.monitor`) and
//! `TestMic` (source `mic`, remapped from the monitor of null sink `micfeed`: whatever a test
//! plays into `micfeed` is what the "microphone" hears). ALSA's `default` is routed to it too,
//! through an asoundrc named by `ALSA_CONFIG_PATH`, never the machine's global configuration.
//!
//! ```no_run
//! use dialtone_tests::{ArtifactDir, PulseAudio};
//! let dir = ArtifactDir::new("capture_hears_the_mic");
//! let pulse = PulseAudio::start(&dir.subdir("pulse")).expect("pulseaudio starts");
//! pulse.use_in_this_process(); // before the code under test opens any device
//! let _mic = pulse.play_into_mic(&dir.path().join("tone.wav")).expect("paplay");
//! ```
//!
//! Nothing needs a network namespace. cpal runs inside the test process, so the daemon's
//! address goes into this process's environment: one PulseAudio per process at a time (a
//! process-wide lock serialises tests that share a process under plain `cargo test`;
//! nextest gives each test its own process anyway).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::process::{run_tool, PeerProcess};
use crate::{HarnessError, Result};

/// The daemon configuration: the testbed's `testbed.pa`, with the socket at a path we choose.
const PA_TEMPLATE: &str = "\
load-module module-native-protocol-unix auth-anonymous=1 socket=@SOCKET@
load-module module-null-sink sink_name=speaker sink_properties=device.description=TestSpeaker rate=48000 channels=2
load-module module-null-sink sink_name=micfeed sink_properties=device.description=MicFeed rate=48000 channels=1
load-module module-remap-source source_name=mic master=micfeed.monitor source_properties=device.description=TestMic
set-default-sink speaker
set-default-source mic
";

/// ALSA `default` → PulseAudio (needs libasound2-plugins), loaded after the stock alsa.conf.
const ASOUNDRC: &str = "pcm.!default { type pulse }\nctl.!default { type pulse }\n";

/// Clients must never start a daemon of their own (e.g. the machine's) when ours is gone.
const CLIENT_CONF: &str = "autospawn = no\n";

const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Serialises in-process users: the environment is process-wide.
static IN_PROCESS: Mutex<()> = Mutex::new(());

/// A running private PulseAudio; killed when dropped, with its socket removed.
pub struct PulseAudio {
    dir: PathBuf,
    socket: PathBuf,
    env: Vec<(&'static str, OsString)>,
    process: PeerProcess,
    _in_process: MutexGuard<'static, ()>,
}

impl PulseAudio {
    /// Starts `pulseaudio -n -F <dir>/test.pa` with its runtime dir and HOME inside `dir`, and
    /// waits until it answers `pactl info`.
    pub fn start(dir: &Path) -> Result<Self> {
        let guard = IN_PROCESS.lock().unwrap_or_else(|e| e.into_inner());
        let pulseaudio = require("pulseaudio");
        require("pactl");
        let dir = dir
            .canonicalize()
            .map_err(HarnessError::io(format!("resolve {}", dir.display())))?;
        let runtime = dir.join("run");
        let home = dir.join("home");
        for d in [&runtime, &home] {
            std::fs::create_dir_all(d)
                .map_err(HarnessError::io(format!("create {}", d.display())))?;
        }
        let socket = socket_path();
        let _ = std::fs::remove_file(&socket);
        let write = |name: &str, text: &str| -> Result<PathBuf> {
            let path = dir.join(name);
            std::fs::write(&path, text)
                .map_err(HarnessError::io(format!("write {}", path.display())))?;
            Ok(path)
        };
        let pa = write(
            "test.pa",
            &PA_TEMPLATE.replace("@SOCKET@", &socket.to_string_lossy()),
        )?;
        let asoundrc = write("asoundrc", ASOUNDRC)?;
        let client_conf = write("client.conf", CLIENT_CONF)?;
        let mut alsa_config = OsString::from("/usr/share/alsa/alsa.conf:");
        alsa_config.push(&asoundrc);
        let mut server = OsString::from("unix:");
        server.push(&socket);
        let env: Vec<(&'static str, OsString)> = vec![
            ("PULSE_SERVER", server),
            ("PULSE_RUNTIME_PATH", runtime.clone().into()),
            ("XDG_RUNTIME_DIR", runtime.clone().into()),
            ("PULSE_CLIENTCONFIG", client_conf.into()),
            ("PULSE_COOKIE", dir.join("cookie").into()),
            ("HOME", home.into()),
            ("ALSA_CONFIG_PATH", alsa_config),
        ];
        let mut command = Command::new(pulseaudio);
        command
            .args(["-n", "-F"])
            .arg(&pa)
            .args([
                "--exit-idle-time=-1",
                "--daemonize=no",
                "--use-pid-file=no",
                "--log-target=stderr",
                "--log-level=info",
            ])
            .envs(env.iter().map(|(k, v)| (k, v)));
        let log = dir.join("pulseaudio.log");
        let process = PeerProcess::spawn("pulseaudio", command, &log)?;
        let mut pulse = Self {
            dir,
            socket,
            env,
            process,
            _in_process: guard,
        };
        pulse.wait_ready()?;
        Ok(pulse)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            self.process.check_alive()?;
            let last = match self.pactl(&["list", "short", "sources"]) {
                Ok(sources) if sources.contains("mic") => return Ok(()),
                Ok(sources) => sources,
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(HarnessError::NotReady {
                    peer: "pulseaudio",
                    timeout: READY_TIMEOUT,
                    detail: last,
                    log: self.process.log().to_path_buf(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The variables a client needs to use this daemon (and ALSA `default` through it).
    pub fn env(&self) -> &[(&'static str, OsString)] {
        &self.env
    }

    /// Points this process's PulseAudio and ALSA clients (cpal) at this daemon. Call it before
    /// the code under test opens a device; the variables stay set after the daemon is gone.
    pub fn use_in_this_process(&self) {
        for (key, value) in &self.env {
            std::env::set_var(key, value);
        }
    }

    /// Runs `pactl` against this daemon (e.g. `["unload-module", "7"]`).
    pub fn pactl(&self, args: &[&str]) -> Result<String> {
        let mut command = Command::new(require("pactl"));
        command
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        run_tool("pactl", &mut command)
    }

    /// Plays `wav` into the `micfeed` sink, i.e. into the `TestMic` microphone; stops when the
    /// returned handle is dropped.
    pub fn play_into_mic(&self, wav: &Path) -> Result<PulseClient> {
        let mut command = Command::new(require("paplay"));
        command
            .arg("--device=micfeed")
            .arg(wav)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        let log = self.dir.join("paplay.log");
        Ok(PulseClient {
            process: PeerProcess::spawn("paplay", command, &log)?,
            file: wav.to_path_buf(),
        })
    }

    /// Records what `TestSpeaker` plays (`speaker.monitor`) into `wav` until
    /// [`PulseClient::finish`].
    pub fn record_speaker(&self, wav: &Path) -> Result<PulseClient> {
        let mut command = Command::new(require("parecord"));
        command
            .args([
                "--device=speaker.monitor",
                "--file-format=wav",
                "--channels=1",
                "--rate=48000",
                // Without it parecord asks for 2 s of latency, and the null sink then renders
                // in 2 s blocks, starving a low-latency stream playing into it.
                "--latency-msec=20",
            ])
            .arg(wav)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        let log = self.dir.join("parecord.log");
        Ok(PulseClient {
            process: PeerProcess::spawn("parecord", command, &log)?,
            file: wav.to_path_buf(),
        })
    }

    pub fn log(&self) -> &Path {
        self.process.log()
    }
}

impl Drop for PulseAudio {
    fn drop(&mut self) {
        self.process.stop();
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// A `paplay` or `parecord` run against a [`PulseAudio`]; killed when dropped.
pub struct PulseClient {
    process: PeerProcess,
    file: PathBuf,
}

impl PulseClient {
    /// Stops the client with SIGINT (parecord then finishes its WAV header) and returns the
    /// file it played or recorded.
    pub fn finish(mut self) -> Result<PathBuf> {
        self.process.signal(Signal::SIGINT);
        let _ = self.process.wait_timeout(Duration::from_secs(5));
        Ok(self.file.clone())
    }
}

/// Full path of a PulseAudio tool; panics with the package to install (never a skip).
fn require(name: &str) -> PathBuf {
    let package = match name {
        "pulseaudio" => "pulseaudio",
        _ => "pulseaudio-utils",
    };
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path_var)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} not found: run scripts/install-test-deps.sh \
                 (apt-get install pulseaudio pulseaudio-utils libasound2-plugins; provides {package})"
            )
        })
}

/// A short, unique socket path (`/tmp/dialtone-pa-<pid>-<n>.sock`): a unix socket path may
/// not exceed 104 bytes, and a long test name in a deep checkout makes the artefact dir longer.
fn socket_path() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("dialtone-pa-{}-{n}.sock", std::process::id()))
}
