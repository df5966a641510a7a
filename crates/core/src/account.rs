//! A plain SIP account: what the user typed, checked once at the edge and kept as typed values.

use std::path::PathBuf;

use dialtone_sip::flow::TransportKind;
use dialtone_sip::secret::Secret;
use dialtone_sip::transport::TlsTrust;

use crate::result_code::{PhoneError, ResultCode};

/// What a user gives to log in to a plain SIP server (the CLI's account flags, the app's form).
#[derive(Debug, Clone, Default)]
pub struct SipAccountInput {
    pub user: String,
    /// `sip:HOST[:PORT]` (also `sips:`, or a bare `HOST[:PORT]`).
    pub registrar: String,
    pub transport: String,
    pub domain: Option<String>,
    pub auth_user: Option<String>,
    pub password: Option<Secret>,
    /// `ws://` or `wss://` URL of the SIP WebSocket endpoint (WS/WSS only).
    pub ws_url: Option<String>,
    pub tls_ca: Option<PathBuf>,
    /// SHA-256 fingerprint (`AB:CD:…`) of a self-signed server certificate the user trusts.
    pub tls_pin: Option<String>,
    pub display_name: Option<String>,
    pub expires: Option<u32>,
}

/// A checked plain SIP account.
#[derive(Debug, Clone)]
pub struct SipAccount {
    pub user: String,
    pub domain: String,
    pub auth_user: String,
    pub password: Secret,
    pub display_name: Option<String>,
    pub transport: TransportKind,
    /// Where requests go: the registrar (also the outbound proxy).
    pub server: ServerAddress,
    /// For WS/WSS: the path (and query) of the WebSocket URL.
    pub ws_path: String,
    pub tls: TlsTrust,
    pub expires: u32,
}

/// A host name or address literal with a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddress {
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Binding lifetime asked for when the user sets none (seconds).
pub const DEFAULT_EXPIRES: u32 = 600;

impl SipAccount {
    pub fn from_input(input: SipAccountInput) -> Result<SipAccount, PhoneError> {
        let user = input.user.trim().to_owned();
        if user.is_empty() || user.contains(|c: char| c.is_whitespace() || "@:;<>\"".contains(c)) {
            return Err(invalid(format!(
                "{:?} is not a SIP user name. Give the extension or user name alone, without '@' or spaces (for example 1000).",
                input.user
            )));
        }
        let transport = TransportKind::from_token(input.transport.trim()).ok_or_else(|| {
            invalid(format!(
                "Unknown transport {:?}. Use one of udp, tcp, tls, ws, wss.",
                input.transport
            ))
        })?;
        let registrar = parse_registrar(&input.registrar, transport)?;
        let (server, ws_path) = match (&input.ws_url, transport) {
            (Some(url), TransportKind::Ws | TransportKind::Wss) => parse_ws_url(url, transport)?,
            (Some(_), _) => {
                return Err(invalid(
                    "--ws-url is only used with the ws or wss transport.".to_owned(),
                ));
            }
            (None, _) => (registrar.clone(), "/".to_owned()),
        };
        let domain = match input.domain.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => d.to_owned(),
            _ => registrar.host.clone(),
        };
        let password = input.password.ok_or_else(|| {
            PhoneError::new(
                ResultCode::RegistryFailed,
                "No password given. Put it in the environment variable DIALTONE_PASSWORD (it is never taken from a flag).",
            )
        })?;
        let tls = match (input.tls_ca, input.tls_pin) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "Give either --tls-ca or --tls-pin, not both.".to_owned(),
                ))
            }
            (Some(path), None) => TlsTrust::CaFile(path),
            (None, Some(pin)) => TlsTrust::PinnedSha256(parse_fingerprint(&pin)?),
            (None, None) => TlsTrust::SystemRoots,
        };
        Ok(SipAccount {
            auth_user: input
                .auth_user
                .filter(|a| !a.trim().is_empty())
                .unwrap_or_else(|| user.clone()),
            user,
            domain,
            password,
            display_name: input.display_name,
            transport,
            server,
            ws_path,
            tls,
            expires: input.expires.unwrap_or(DEFAULT_EXPIRES).max(1),
        })
    }

    /// `1000@example.com`, for logs and events.
    pub fn aor(&self) -> String {
        format!("{}@{}", self.user, self.domain)
    }
}

fn invalid(message: String) -> PhoneError {
    PhoneError::new(ResultCode::InvalidPbxUrl, message)
}

fn parse_registrar(text: &str, transport: TransportKind) -> Result<ServerAddress, PhoneError> {
    let trimmed = text.trim();
    let rest = ["sips:", "sip:"]
        .iter()
        .find_map(|scheme| {
            trimmed
                .get(..scheme.len())
                .filter(|s| s.eq_ignore_ascii_case(scheme))
                .map(|_| &trimmed[scheme.len()..])
        })
        .unwrap_or(trimmed);
    // Tolerate a user part and URI parameters (`sip:1000@pbx;transport=tcp`): the host is what counts.
    let rest = rest.rsplit('@').next().unwrap_or(rest);
    let hostport = rest.split([';', '?']).next().unwrap_or(rest);
    parse_host_port(hostport, transport.default_port()).ok_or_else(|| {
        invalid(format!(
            "{text:?} is not a registrar address. Write it as sip:HOST or sip:HOST:PORT (for example sip:pbx.example.com:5060)."
        ))
    })
}

fn parse_ws_url(
    text: &str,
    transport: TransportKind,
) -> Result<(ServerAddress, String), PhoneError> {
    let bad = || {
        invalid(format!("{text:?} is not a WebSocket URL. Write it as ws://HOST[:PORT]/PATH or wss://HOST[:PORT]/PATH."))
    };
    let (scheme, rest) = text.trim().split_once("://").ok_or_else(bad)?;
    let expected = if transport == TransportKind::Wss {
        "wss"
    } else {
        "ws"
    };
    if !scheme.eq_ignore_ascii_case(expected) {
        return Err(invalid(format!(
            "The WebSocket URL {text:?} does not match the {transport} transport: it must start with {expected}://."
        )));
    }
    let (hostport, path) = match rest.find(['/', '?']) {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    let server = parse_host_port(hostport, transport.default_port()).ok_or_else(bad)?;
    Ok((server, path))
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`. Hosts are names or address literals.
fn parse_host_port(text: &str, default_port: u16) -> Option<ServerAddress> {
    let (host, port) = if let Some(v6) = text.strip_prefix('[') {
        let (host, rest) = v6.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match rest.strip_prefix(':') {
            Some(p) => Some(p),
            None if rest.is_empty() => None,
            None => return None,
        };
        (host, port)
    } else {
        match text.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c));
    if !valid_host {
        return None;
    }
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
        None => default_port,
    };
    Some(ServerAddress {
        host: host.to_owned(),
        port,
    })
}

fn parse_fingerprint(text: &str) -> Result<[u8; 32], PhoneError> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let bad = || {
        invalid(format!("{text:?} is not a SHA-256 fingerprint. Give 32 bytes in hex, such as AB:CD:… (64 hex digits)."))
    };
    if hex.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
            .map_err(|_| bad())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(registrar: &str, transport: &str) -> SipAccountInput {
        SipAccountInput {
            user: "1000".into(),
            registrar: registrar.into(),
            transport: transport.into(),
            password: Some(Secret::new("pw1000".to_owned())),
            ..Default::default()
        }
    }

    #[test]
    fn registrar_forms_are_understood_with_transport_default_ports() {
        let a = SipAccount::from_input(input("sip:127.0.0.1", "udp")).expect("valid");
        assert_eq!(
            a.server,
            ServerAddress {
                host: "127.0.0.1".into(),
                port: 5060
            }
        );
        assert_eq!(a.domain, "127.0.0.1");
        assert_eq!(a.auth_user, "1000");
        let a = SipAccount::from_input(input("sip:pbx.example.com", "tls")).expect("valid");
        assert_eq!(a.server.port, 5061);
        let a =
            SipAccount::from_input(input("sips:[::1]:5071;transport=tls", "tls")).expect("valid");
        assert_eq!(
            a.server,
            ServerAddress {
                host: "::1".into(),
                port: 5071
            }
        );
        let a = SipAccount::from_input(input("pbx.example.com:5080", "tcp")).expect("valid");
        assert_eq!(a.server.port, 5080);
    }

    #[test]
    fn ws_url_gives_server_and_path() {
        let mut i = input("sip:127.0.0.1", "wss");
        i.ws_url = Some("wss://127.0.0.1:8443/ws?exten=1000".into());
        let a = SipAccount::from_input(i).expect("valid");
        assert_eq!(
            a.server,
            ServerAddress {
                host: "127.0.0.1".into(),
                port: 8443
            }
        );
        assert_eq!(a.ws_path, "/ws?exten=1000");
        let mut i = input("sip:127.0.0.1", "ws");
        i.ws_url = Some("wss://127.0.0.1:8443".into());
        let err = SipAccount::from_input(i).expect_err("scheme mismatch");
        assert!(err.message.contains("ws://"), "{}", err.message);
    }

    #[test]
    fn bad_input_gets_a_message_that_says_what_to_do() {
        let err = SipAccount::from_input(input("sip:", "udp")).expect_err("no host");
        assert!(err.message.contains("sip:HOST"), "{}", err.message);
        let err = SipAccount::from_input(input("sip:host:99999", "udp")).expect_err("bad port");
        assert_eq!(err.code, -2);
        let err = SipAccount::from_input(input("sip:host", "sctp")).expect_err("transport");
        assert!(err.message.contains("udp, tcp, tls, ws, wss"));
        let mut no_password = input("sip:host", "udp");
        no_password.password = None;
        let err = SipAccount::from_input(no_password).expect_err("password");
        assert!(err.message.contains("DIALTONE_PASSWORD"));
        let mut pin = input("sip:host", "tls");
        pin.tls_pin = Some("AB:CD".into());
        assert!(SipAccount::from_input(pin).is_err());
    }

    #[test]
    fn fingerprint_parses_with_or_without_colons() {
        let hex = "AB".repeat(32);
        assert_eq!(parse_fingerprint(&hex).expect("plain"), [0xAB; 32]);
        let colons = vec!["ab"; 32].join(":");
        assert_eq!(parse_fingerprint(&colons).expect("colons"), [0xAB; 32]);
    }
}
