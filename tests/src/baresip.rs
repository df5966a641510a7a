//! baresip as the far-end phone: headless (aufile source, ALSA `null` player), records what it
//! hears with the sndfile module, scripted over ctrl_tcp (netstring-framed JSON).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::audio_check::write_tone_wav;
use crate::process::{tcp_port_open, PeerProcess};
use crate::{binary, EventLog, HarnessError, Netns, Result};

const READY_TIMEOUT: Duration = Duration::from_secs(10);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// SIP transport of the baresip account (towards the registrar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SipTransport {
    #[default]
    Udp,
    Tcp,
    /// Registers to port 5061; baresip 1.0 does not verify the server certificate.
    Tls,
}

/// What the phone sends as its microphone.
#[derive(Debug, Clone, PartialEq)]
pub enum AudioSource {
    /// A sine tone generated into the profile dir (48 kHz if the first codec is opus, else 8 kHz:
    /// baresip 1.0's aufile does not resample for opus).
    Tone { hz: f32, seconds: u32 },
    /// An existing WAV file (mono 16-bit; sample rate must suit the codec).
    Wav(PathBuf),
}

/// How to start one baresip phone.
#[derive(Debug, Clone)]
pub struct BaresipOptions {
    pub user: String,
    pub password: String,
    /// Host (and optional port) of the account's domain / registrar, e.g. `127.0.0.1` or `127.0.0.1:5070`.
    pub registrar: String,
    /// Local SIP port (`sip_listen`); RTP uses 20000-20999 unless `rtp_ports` says otherwise.
    pub sip_port: u16,
    /// ctrl_tcp port; one baresip per port.
    pub ctrl_port: u16,
    pub rtp_ports: (u16, u16),
    pub source: AudioSource,
    /// `answermode=auto` (answers every call at once) versus `manual` (use [`BaresipCtrl::accept`]).
    pub auto_answer: bool,
    pub transport: SipTransport,
    /// `audio_codecs=` of the account, in preference order, e.g. `["PCMU"]`, `["opus/48000/2", "PCMU"]`.
    pub codecs: Vec<String>,
    /// Register at start (`regint=300`); `false` gives `regint=0` (calls still work peer-to-peer).
    pub register: bool,
    /// Appended verbatim to the account line, e.g. `;mediaenc=srtp`.
    pub extra_account_params: String,
}

impl BaresipOptions {
    /// User `user` with password `pw<user>` (the kamailio defaults), 440 Hz tone, auto-answer,
    /// UDP, PCMU.
    pub fn new(user: &str, sip_port: u16, ctrl_port: u16) -> Self {
        Self {
            user: user.to_string(),
            password: format!("pw{user}"),
            registrar: "127.0.0.1".into(),
            sip_port,
            ctrl_port,
            rtp_ports: (20000, 20999),
            source: AudioSource::Tone {
                hz: 440.0,
                seconds: 30,
            },
            auto_answer: true,
            transport: SipTransport::Udp,
            codecs: vec!["PCMU".into()],
            register: true,
            extra_account_params: String::new(),
        }
    }

    /// The phone's address-of-record, e.g. `sip:1000@127.0.0.1`.
    pub fn aor(&self) -> String {
        format!("sip:{}@{}", self.user, self.registrar)
    }
}

/// A running baresip with its control connection; killed when dropped.
pub struct Baresip {
    dir: PathBuf,
    options: BaresipOptions,
    ctrl: BaresipCtrl,
    // Dropped after `ctrl` (field order): the connection closes before the process dies.
    process: PeerProcess,
}

impl Baresip {
    /// Writes the profile into `dir` (`config`, `accounts`, the tone WAV, `rec/`), starts baresip,
    /// connects to ctrl_tcp and, if `register`, waits until `reginfo` reports the account OK.
    pub fn start(dir: &Path, options: BaresipOptions) -> Result<Self> {
        Netns::assert_private("baresip");
        std::fs::create_dir_all(dir.join("rec"))
            .map_err(HarnessError::io(format!("create {}", dir.display())))?;
        let dir = dir
            .canonicalize()
            .map_err(HarnessError::io(format!("resolve {}", dir.display())))?;
        let wav = match &options.source {
            AudioSource::Wav(path) => path.clone(),
            AudioSource::Tone { hz, seconds } => {
                let opus = options
                    .codecs
                    .first()
                    .is_some_and(|c| c.to_ascii_lowercase().starts_with("opus"));
                let rate = if opus { 48_000 } else { 8_000 };
                let path = dir.join(format!("tone{hz}.wav"));
                write_tone_wav(&path, *hz, f64::from(*seconds), rate)?;
                path
            }
        };
        write_profile(&dir, &options, &wav)?;

        let mut command = Command::new(binary::require("baresip"));
        command.arg("-f").arg(&dir);
        let mut process = PeerProcess::spawn("baresip", command, &dir.join("baresip.log"))?;

        let deadline = Instant::now() + READY_TIMEOUT;
        while !tcp_port_open(options.ctrl_port) {
            process.check_alive()?;
            if Instant::now() >= deadline {
                return Err(not_ready(
                    &process,
                    format!("ctrl_tcp port {} closed", options.ctrl_port),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let ctrl = BaresipCtrl::connect(options.ctrl_port)?;
        let baresip = Self {
            dir,
            options,
            ctrl,
            process,
        };
        if baresip.options.register {
            baresip.wait_registered(deadline.saturating_duration_since(Instant::now()))?;
        }
        Ok(baresip)
    }

    /// Polls `reginfo` until this phone's account shows `OK` (a 2xx to its REGISTER).
    pub fn wait_registered(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let needle = format!("sip:{}@", self.options.user);
        loop {
            let info = strip_ansi(&self.ctrl.command("reginfo", "")?);
            if info
                .lines()
                .any(|line| line.contains(&needle) && line.split_whitespace().any(|w| w == "OK"))
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(not_ready(
                    &self.process,
                    format!("not registered; reginfo: {info}"),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn ctrl(&self) -> &BaresipCtrl {
        &self.ctrl
    }

    pub fn options(&self) -> &BaresipOptions {
        &self.options
    }

    pub fn aor(&self) -> String {
        self.options.aor()
    }

    /// Where sndfile writes `dump-<time>-dec.wav` (heard) and `-enc.wav` (sent).
    pub fn recordings_dir(&self) -> PathBuf {
        self.dir.join("rec")
    }

    /// What this phone heard, one file per media session (a hold re-INVITE starts a new one),
    /// oldest first. A file is complete only after its call ended.
    pub fn received_recordings(&self) -> Vec<PathBuf> {
        self.recordings_ending("-dec.wav")
    }

    /// What this phone sent, like [`Baresip::received_recordings`].
    pub fn sent_recordings(&self) -> Vec<PathBuf> {
        self.recordings_ending("-enc.wav")
    }

    fn recordings_ending(&self, suffix: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.recordings_dir())
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        files.sort();
        files
    }

    pub fn log_path(&self) -> &Path {
        self.process.log()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn not_ready(process: &PeerProcess, detail: String) -> HarnessError {
    HarnessError::NotReady {
        peer: "baresip",
        timeout: READY_TIMEOUT,
        detail,
        log: process.log().to_path_buf(),
    }
}

fn write_profile(dir: &Path, o: &BaresipOptions, wav: &Path) -> Result<()> {
    let config = format!(
        "poll_method\t\tepoll\n\
         sip_listen\t\t127.0.0.1:{sip_port}\n\
         net_interface\t\t127.0.0.1\n\
         call_local_timeout\t120\n\
         call_max_calls\t\t4\n\
         audio_player\t\talsa,null\n\
         audio_source\t\taufile,{wav}\n\
         audio_alert\t\talsa,null\n\
         ausrc_format\t\ts16\n\
         auplay_format\t\ts16\n\
         auenc_format\t\ts16\n\
         audec_format\t\ts16\n\
         audio_buffer\t\t20-160\n\
         rtp_tos\t\t\t0\n\
         rtp_ports\t\t{rtp_min}-{rtp_max}\n\
         rtcp_mux\t\tno\n\
         jitter_buffer_delay\t5-10\n\
         rtp_stats\t\tyes\n\
         statmode_default\toff\n\
         module_path\t\t/usr/lib/baresip/modules\n\
         module\t\t\tg711.so\n\
         module\t\t\tg722.so\n\
         module\t\t\topus.so\n\
         module\t\t\taufile.so\n\
         module\t\t\tausine.so\n\
         module\t\t\talsa.so\n\
         module\t\t\tsndfile.so\n\
         module\t\t\tsrtp.so\n\
         module_tmp\t\tuuid.so\n\
         module_tmp\t\taccount.so\n\
         module_app\t\tmenu.so\n\
         module_app\t\tctrl_tcp.so\n\
         ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}\n\
         snd_path\t\t{rec}\n",
        sip_port = o.sip_port,
        wav = wav.display(),
        rtp_min = o.rtp_ports.0,
        rtp_max = o.rtp_ports.1,
        ctrl_port = o.ctrl_port,
        rec = dir.join("rec").display(),
    );
    let mut account = match o.transport {
        SipTransport::Udp => format!("<sip:{}@{}>", o.user, o.registrar),
        SipTransport::Tcp => format!("<sip:{}@{};transport=tcp>", o.user, o.registrar),
        SipTransport::Tls => format!("<sip:{}@{};transport=tls>", o.user, o.registrar),
    };
    let _ = writeln!(
        account,
        ";auth_user={};auth_pass={};answermode={};regint={};audio_codecs={}{}",
        o.user,
        o.password,
        if o.auto_answer { "auto" } else { "manual" },
        if o.register { 300 } else { 0 },
        o.codecs.join(","),
        o.extra_account_params,
    );
    for (name, text) in [
        ("config", config),
        ("accounts", account),
        ("contacts", String::new()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(HarnessError::io(format!("write {}", path.display())))?;
    }
    Ok(())
}

/// Removes terminal colour codes (`ESC [ ... m`) that baresip puts in `reginfo`.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Client for baresip's ctrl_tcp: commands with responses matched by token, and the event stream.
///
/// baresip 1.0 appears to send events to one connection only, so this single persistent
/// connection carries both; do not open a second one to the same phone.
pub struct BaresipCtrl {
    writer: Mutex<TcpStream>,
    events: EventLog<Value>,
    responses: EventLog<Value>,
    next_token: AtomicU64,
    reader: Option<JoinHandle<()>>,
}

impl BaresipCtrl {
    /// Connects to `127.0.0.1:port` and starts the reader thread.
    pub fn connect(port: u16) -> Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(HarnessError::io(format!(
            "connect to baresip ctrl_tcp {port}"
        )))?;
        let read_half = stream
            .try_clone()
            .map_err(HarnessError::io("clone ctrl_tcp stream"))?;
        let events = EventLog::new();
        let responses = EventLog::new();
        let reader = {
            let (events, responses) = (events.clone(), responses.clone());
            std::thread::Builder::new()
                .name(format!("baresip-ctrl-{port}"))
                .spawn(move || read_messages(read_half, &events, &responses))
                .map_err(HarnessError::io("spawn ctrl_tcp reader"))?
        };
        Ok(Self {
            writer: Mutex::new(stream),
            events,
            responses,
            next_token: AtomicU64::new(1),
            reader: Some(reader),
        })
    }

    /// Runs a baresip command (as typed after `/` in its menu) and returns its text output;
    /// `Err(Peer)` when baresip answers `ok: false`.
    pub fn command(&self, command: &str, params: &str) -> Result<String> {
        let token = format!("t{}", self.next_token.fetch_add(1, Ordering::Relaxed));
        let body = json!({ "command": command, "params": params, "token": token }).to_string();
        let frame = format!("{}:{},", body.len(), body);
        self.writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write_all(frame.as_bytes())
            .map_err(HarnessError::io(format!("send {command} to baresip")))?;
        let response = self.responses.wait_for(
            &format!("response to {command} {params}"),
            COMMAND_TIMEOUT,
            |r| r.get("token").and_then(Value::as_str) == Some(token.as_str()),
        )?;
        let data = response
            .get("data")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if response.get("ok").and_then(Value::as_bool) == Some(true) {
            Ok(data)
        } else {
            Err(HarnessError::Peer {
                peer: "baresip",
                detail: format!("{command} {params}: {data}"),
            })
        }
    }

    pub fn dial(&self, uri: &str) -> Result<String> {
        self.command("dial", uri)
    }
    pub fn accept(&self) -> Result<String> {
        self.command("accept", "")
    }
    pub fn hangup(&self) -> Result<String> {
        self.command("hangup", "")
    }
    pub fn hold(&self) -> Result<String> {
        self.command("hold", "")
    }
    pub fn resume(&self) -> Result<String> {
        self.command("resume", "")
    }
    /// Sends one RFC 4733 DTMF digit on the current call.
    pub fn sndcode(&self, digit: char) -> Result<String> {
        self.command("sndcode", &digit.to_string())
    }
    /// Blind transfer (REFER) of the current call to `uri`.
    pub fn transfer(&self, uri: &str) -> Result<String> {
        self.command("transfer", uri)
    }

    /// Every event so far, e.g. `{"event":true,"class":"call","type":"CALL_ESTABLISHED",...}`.
    pub fn events(&self) -> Vec<Value> {
        self.events.all()
    }

    /// Waits for an event matching `predicate` (see [`EventLog::wait_for`] for the cursor rule).
    pub fn wait_for(
        &self,
        timeout: Duration,
        predicate: impl FnMut(&Value) -> bool,
    ) -> Result<Value> {
        self.events
            .wait_for("matching baresip event", timeout, predicate)
    }

    /// Waits for an event of type `kind`, e.g. `CALL_INCOMING`, `CALL_ESTABLISHED`, `CALL_CLOSED`,
    /// `CALL_DTMF_START` (digit in `param`).
    pub fn wait_event(&self, kind: &str, timeout: Duration) -> Result<Value> {
        self.events.wait_for(kind, timeout, |e| {
            e.get("type").and_then(Value::as_str) == Some(kind)
        })
    }
}

impl Drop for BaresipCtrl {
    fn drop(&mut self) {
        if let Ok(stream) = self.writer.lock() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// Reader thread: splits the stream into netstrings and files each JSON message as an event or
/// a response. Ends at EOF or on a framing error (logged into the event list for the test).
fn read_messages(mut stream: TcpStream, events: &EventLog<Value>, responses: &EventLog<Value>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        loop {
            match take_netstring(&mut buf) {
                Ok(Some(payload)) => {
                    let message = serde_json::from_slice::<Value>(&payload).unwrap_or_else(
                        |e| json!({ "harness_error": format!("bad JSON from baresip: {e}") }),
                    );
                    if message.get("response").is_some() {
                        responses.push(message);
                    } else {
                        events.push(message);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    events.push(json!({ "harness_error": e }));
                    events.close();
                    responses.close();
                    return;
                }
            }
        }
    }
    events.close();
    responses.close();
}

/// Removes one complete netstring (`<len>:<payload>,`) from the front of `buf`.
/// `Ok(None)`: need more bytes.
fn take_netstring(buf: &mut Vec<u8>) -> std::result::Result<Option<Vec<u8>>, String> {
    let Some(colon) = buf.iter().position(|b| *b == b':') else {
        if buf.len() > 10 || !buf.iter().all(u8::is_ascii_digit) {
            return Err(format!(
                "bad netstring header {:?}",
                String::from_utf8_lossy(buf)
            ));
        }
        return Ok(None);
    };
    let len: usize = std::str::from_utf8(&buf[..colon])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            format!(
                "bad netstring length {:?}",
                String::from_utf8_lossy(&buf[..colon])
            )
        })?;
    let end = colon + 1 + len;
    if buf.len() <= end {
        return Ok(None);
    }
    if buf[end] != b',' {
        return Err("netstring not terminated by ','".into());
    }
    let payload = buf[colon + 1..end].to_vec();
    buf.drain(..=end);
    Ok(Some(payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netstrings_are_split_across_partial_reads() {
        let mut buf = b"5:hello,3:ab".to_vec();
        assert_eq!(take_netstring(&mut buf), Ok(Some(b"hello".to_vec())));
        assert_eq!(take_netstring(&mut buf), Ok(None));
        buf.extend_from_slice(b"c,");
        assert_eq!(take_netstring(&mut buf), Ok(Some(b"abc".to_vec())));
        assert!(buf.is_empty());
        assert_eq!(take_netstring(&mut buf), Ok(None));
    }

    #[test]
    fn garbage_is_a_framing_error() {
        assert!(take_netstring(&mut b"x:hello,".to_vec()).is_err());
        assert!(take_netstring(&mut b"2:abc".to_vec()).is_err());
    }

    #[test]
    fn ansi_colours_are_removed_from_reginfo() {
        let line = "> sip:1000@127.0.0.1   \u{1b}[32mOK \u{1b}[;m kamailio Expires 300s";
        assert_eq!(
            strip_ansi(line),
            "> sip:1000@127.0.0.1   OK  kamailio Expires 300s"
        );
    }

    #[test]
    fn account_line_carries_transport_codecs_and_answer_mode() {
        let dir = std::env::temp_dir().join(format!("dialtone-bs-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut o = BaresipOptions::new("1001", 5090, 4445);
        o.transport = SipTransport::Tls;
        o.auto_answer = false;
        o.codecs = vec!["opus/48000/2".into(), "PCMU".into()];
        write_profile(&dir, &o, Path::new("/x.wav")).expect("profile");
        let account = std::fs::read_to_string(dir.join("accounts")).expect("accounts");
        assert_eq!(
            account.trim(),
            "<sip:1001@127.0.0.1;transport=tls>;auth_user=1001;auth_pass=pw1001;answermode=manual;\
             regint=300;audio_codecs=opus/48000/2,PCMU"
        );
        let config = std::fs::read_to_string(dir.join("config")).expect("config");
        assert!(config.contains("ctrl_tcp_listen\t\t127.0.0.1:4445"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
