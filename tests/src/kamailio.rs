//! Kamailio as registrar/proxy: UDP/TCP 5060, TLS 5061, WS 8080, WSS 8443 on 127.0.0.1, digest
//! auth against an in-memory user table, in-memory location table queried over its ctl socket.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{run_tool, tcp_port_open, PeerProcess};
use crate::{binary, HarnessError, Netns, Result};

const CONFIG_TEMPLATE: &str = include_str!("../peers/kamailio.cfg");
const TLS_TEMPLATE: &str = include_str!("../peers/tls.cfg");
/// Generous: two busy cores, and kamailio forks ~10 workers before its ports accept.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// How to configure the registrar.
#[derive(Debug, Clone)]
pub struct KamailioOptions {
    /// Digest users as (username, password); REGISTERs and calls from other users get 401/407
    /// forever. Default: 1000..=1003 with passwords pw1000..pw1003. Names and passwords must be
    /// plain `[A-Za-z0-9._-]` (they are pasted into the config).
    pub users: Vec<(String, String)>,
    /// Extra `-A` preprocessor defines, e.g. `WITH_RTPENGINE` (needs rtpengine on 2223).
    pub defines: Vec<String>,
    /// Kamailio `debug=` level: 2 = info (default), 3 = debug (logs every SIP message's routing).
    pub debug: u8,
}

impl Default for KamailioOptions {
    fn default() -> Self {
        Self {
            users: (1000..=1003)
                .map(|n| (n.to_string(), format!("pw{n}")))
                .collect(),
            defines: Vec::new(),
            debug: 2,
        }
    }
}

/// One registered contact of an AoR, as `ul.lookup` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Contact URI, e.g. `sip:1000@127.0.0.1:5080;transport=tcp`.
    pub contact: String,
    /// Seconds until the binding expires, as kamailio counts it.
    pub expires: Option<i64>,
    /// Kamailio socket that received the REGISTER, e.g. `udp:127.0.0.1:5060`, `tls:127.0.0.1:5061`.
    pub socket: Option<String>,
    pub user_agent: Option<String>,
}

/// A running kamailio; killed (by PID/process group) when dropped.
pub struct Kamailio {
    dir: PathBuf,
    /// The control socket, outside `dir`: a unix socket path may not exceed 104 bytes, and the
    /// artefact directory of a test with a long name in a deep checkout does.
    ctl: PathBuf,
    options: KamailioOptions,
    process: Option<PeerProcess>,
}

impl Kamailio {
    pub const DOMAIN: &'static str = "127.0.0.1";
    pub const UDP_PORT: u16 = 5060;
    pub const TCP_PORT: u16 = 5060;
    pub const TLS_PORT: u16 = 5061;
    pub const WS_PORT: u16 = 8080;
    pub const WSS_PORT: u16 = 8443;

    /// Writes config + a fresh self-signed certificate into `dir`, starts kamailio and returns
    /// once all five listeners answer (TCP connects, and an OPTIONS over UDP gets its 200).
    pub fn start(dir: &Path, options: KamailioOptions) -> Result<Self> {
        Netns::assert_private("kamailio");
        binary::require("kamcmd"); // needed later by registered_contacts; fail early if missing
        std::fs::create_dir_all(dir)
            .map_err(HarnessError::io(format!("create {}", dir.display())))?;
        let dir = dir
            .canonicalize()
            .map_err(HarnessError::io(format!("resolve {}", dir.display())))?;
        let ctl = control_socket_path();
        write_config(&dir, &ctl, &options)?;
        make_certificate(&dir)?;
        let mut kamailio = Self {
            dir,
            ctl,
            options,
            process: None,
        };
        kamailio.launch()?;
        Ok(kamailio)
    }

    fn launch(&mut self) -> Result<()> {
        let mut command = Command::new(binary::require("kamailio"));
        command
            .arg("-f")
            .arg(self.dir.join("kamailio.cfg"))
            // foreground, log to stderr, small shared/private memory, no auto-aliases
            .args(["-DD", "-E", "-m", "64", "-M", "8", "-a", "no"]);
        for define in &self.options.defines {
            command.args(["-A", define]);
        }
        let mut process = PeerProcess::spawn("kamailio", command, &self.dir.join("kamailio.log"))?;
        let result = wait_ready(&mut process);
        self.process = Some(process);
        result
    }

    /// Stops kamailio (SIGTERM, then SIGKILL). Bindings are lost: the location table is in memory.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }

    /// Stops and starts again on the same ports with the same certificate and config; the log
    /// continues in the same file.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        self.launch()
    }

    pub fn is_running(&mut self) -> bool {
        self.process
            .as_mut()
            .is_some_and(|p| p.check_alive().is_ok())
    }

    /// PEM of the self-signed server certificate (CN and SAN 127.0.0.1, SAN DNS localhost):
    /// what a client passes as its trusted CA (`--tls-ca`).
    pub fn cert_pem(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("kamailio.log")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Contact URIs currently bound to `aor` (`1000` or `1000@127.0.0.1`: the domain is ignored,
    /// usrloc runs without `use_domain`). Empty when nothing is registered.
    pub fn registered_contacts(&self, aor: &str) -> Result<Vec<String>> {
        Ok(self.bindings(aor)?.into_iter().map(|b| b.contact).collect())
    }

    /// Full bindings of `aor` (contact, remaining expiry, receiving socket, User-Agent).
    pub fn bindings(&self, aor: &str) -> Result<Vec<Binding>> {
        let ctl = format!("unix:{}", self.ctl.display());
        // `s:` forces a string: kamcmd would send "1000" as an integer and kamailio rejects it.
        let output = run_tool(
            "kamcmd",
            Command::new(binary::require("kamcmd")).args([
                "-s",
                &ctl,
                "ul.lookup",
                "location",
                &format!("s:{aor}"),
            ]),
        )?;
        parse_ul_lookup(&output)
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.ctl);
    }
}

/// A short, unique path for kamailio's control socket: `/tmp/dialtone-kam-<pid>-<n>.ctl`
/// (nextest runs each test in its own process, so the pid separates tests).
fn control_socket_path() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("dialtone-kam-{}-{n}.ctl", std::process::id()))
}

fn write_config(dir: &Path, ctl: &Path, options: &KamailioOptions) -> Result<()> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    let mut users = String::new();
    for (user, password) in &options.users {
        if !plain(user) || !plain(password) {
            return Err(HarnessError::Peer {
                peer: "kamailio",
                detail: format!("user {user:?}: names and passwords must be [A-Za-z0-9._-]"),
            });
        }
        users.push_str(&format!("\t$sht(pw=>{user}) = \"{password}\";\n"));
    }
    let dir_str = dir.to_string_lossy();
    let config = CONFIG_TEMPLATE
        .replace("@CTL@", &ctl.to_string_lossy())
        .replace("@DIR@", &dir_str)
        .replace("@USERS@\n", &users)
        .replace("\ndebug=2\n", &format!("\ndebug={}\n", options.debug));
    let tls = TLS_TEMPLATE.replace("@DIR@", &dir_str);
    for (name, text) in [("kamailio.cfg", config), ("tls.cfg", tls)] {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(HarnessError::io(format!("write {}", path.display())))?;
    }
    Ok(())
}

/// A fresh key pair per run: tests that pin or trust the certificate must read it from here.
fn make_certificate(dir: &Path) -> Result<()> {
    let mut openssl = Command::new(binary::require("openssl"));
    openssl
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]);
    run_tool("openssl", &mut openssl).map(drop)
}

fn wait_ready(process: &mut PeerProcess) -> Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let ports = [
        Kamailio::TCP_PORT,
        Kamailio::TLS_PORT,
        Kamailio::WS_PORT,
        Kamailio::WSS_PORT,
    ];
    let mut detail = String::from("nothing checked yet");
    while Instant::now() < deadline {
        process.check_alive()?;
        let closed: Vec<u16> = ports.into_iter().filter(|p| !tcp_port_open(*p)).collect();
        if !closed.is_empty() {
            detail = format!("TCP ports {closed:?} not accepting");
        } else if !udp_options_answered() {
            detail = "no answer to OPTIONS on UDP 5060".into();
        } else {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(HarnessError::NotReady {
        peer: "kamailio",
        timeout: READY_TIMEOUT,
        detail,
        log: process.log().to_path_buf(),
    })
}

/// Sends one OPTIONS to 127.0.0.1:5060 over UDP and waits briefly for any SIP response.
fn udp_options_answered() -> bool {
    let Ok(socket) = UdpSocket::bind("127.0.0.1:0") else {
        return false;
    };
    let Ok(local) = socket.local_addr() else {
        return false;
    };
    let port = local.port();
    let request = format!(
        "OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-ready{port}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:ready@127.0.0.1>;tag=ready{port}\r\n\
         To: <sip:127.0.0.1>\r\n\
         Call-ID: ready{port}@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    );
    let mut buf = [0u8; 2048];
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .is_ok()
        && socket
            .send_to(request.as_bytes(), ("127.0.0.1", 5060))
            .is_ok()
        && socket
            .recv(&mut buf)
            .is_ok_and(|n| buf[..n].starts_with(b"SIP/2.0 "))
}

/// Parses kamcmd's text rendering of `ul.lookup` (nested `Key: value` lines, one `Contact: {`
/// block per binding). "AOR not found" is an empty list, not an error.
fn parse_ul_lookup(output: &str) -> Result<Vec<Binding>> {
    let trimmed = output.trim();
    if let Some(error) = trimmed.strip_prefix("error:") {
        if error.contains("not found") {
            return Ok(Vec::new());
        }
        return Err(HarnessError::Peer {
            peer: "kamcmd",
            detail: trimmed.to_string(),
        });
    }
    let mut bindings = Vec::new();
    let mut current: Option<Binding> = None;
    for line in trimmed.lines().map(str::trim) {
        if line == "Contact: {" {
            bindings.extend(current.take());
            current = Some(Binding {
                contact: String::new(),
                expires: None,
                socket: None,
                user_agent: None,
            });
            continue;
        }
        let (Some(binding), Some((key, value))) = (current.as_mut(), line.split_once(": ")) else {
            continue;
        };
        match key {
            "Address" => binding.contact = value.to_string(),
            "Expires" => binding.expires = value.parse().ok(),
            "Socket" => binding.socket = Some(value.to_string()),
            "User-Agent" => binding.user_agent = Some(value.to_string()),
            _ => {}
        }
    }
    bindings.extend(current);
    Ok(bindings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ul_lookup_output_becomes_bindings() {
        let out = "{\n\tAoR: 1000\n\tContacts: {\n\t\tContact: {\n\t\t\tAddress: sip:1000@127.0.0.1:15060\n\
                   \t\t\tExpires: 60\n\t\t\tUser-Agent: sipsak 0.9.8.1\n\t\t\tSocket: udp:127.0.0.1:5060\n\t\t}\n\
                   \t\tContact: {\n\t\t\tAddress: sip:1000@127.0.0.1:5080;transport=tls\n\t\t\tExpires: 300\n\t\t}\n\t}\n}\n";
        let bindings = parse_ul_lookup(out).expect("parses");
        assert_eq!(bindings.len(), 2);
        assert_eq!(bindings[0].contact, "sip:1000@127.0.0.1:15060");
        assert_eq!(bindings[0].expires, Some(60));
        assert_eq!(bindings[0].socket.as_deref(), Some("udp:127.0.0.1:5060"));
        assert_eq!(bindings[1].contact, "sip:1000@127.0.0.1:5080;transport=tls");
    }

    #[test]
    fn unknown_aor_is_an_empty_list_and_other_errors_are_errors() {
        let none = parse_ul_lookup("error: 500 - AOR not found in location table\n");
        assert_eq!(none.expect("not found is fine"), Vec::new());
        assert!(parse_ul_lookup("error: 500 - Not enough parameters\n").is_err());
    }

    #[test]
    fn config_lists_configured_users_and_the_artefact_dir() {
        let dir = std::env::temp_dir().join(format!("dialtone-kam-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let options = KamailioOptions {
            users: vec![("alice".into(), "secret".into())],
            ..KamailioOptions::default()
        };
        write_config(&dir, Path::new("/tmp/k.ctl"), &options).expect("config written");
        let cfg = std::fs::read_to_string(dir.join("kamailio.cfg")).expect("cfg");
        assert!(cfg.contains("$sht(pw=>alice) = \"secret\";"));
        assert!(!cfg.contains("pw=>1000"));
        assert!(cfg.contains(&format!("!TESTBED_DIR!{}!g", dir.display())));
        assert!(!cfg.contains("@DIR@") && !cfg.contains("@USERS@") && !cfg.contains("@CTL@"));
        assert!(cfg.contains("unix:/tmp/k.ctl"));
        let bad = KamailioOptions {
            users: vec![("x\"; drop".into(), "p".into())],
            ..KamailioOptions::default()
        };
        assert!(write_config(&dir, Path::new("/tmp/k.ctl"), &bad).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
