//! What can go wrong on a transport, in terms a caller can act on and a user can read.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::framing::FramingError;
use crate::flow::TransportKind;

/// A transport failure. Messages say what happened and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// A socket operation failed (connection refused, reset, unreachable network...).
    #[error("{}", io_message(*.op, *.remote, .source))]
    Io {
        op: IoOp,
        remote: SocketAddr,
        #[source]
        source: io::Error,
    },
    /// Connecting (TCP, then TLS and WebSocket handshakes) took longer than allowed.
    #[error("No answer from {remote} within {} s while connecting over {transport}. Check the server address and port, and that a firewall lets {transport} through.", .after.as_secs())]
    Timeout {
        transport: TransportKind,
        remote: SocketAddr,
        after: Duration,
    },
    /// The server's TLS certificate was refused.
    #[error("{}", cert_message(.problem, .fingerprint_sha256))]
    Certificate {
        problem: CertProblem,
        /// SHA-256 of the leaf certificate as `AB:CD:…`, so the user can compare and pin it; empty
        /// when the server sent no certificate.
        fingerprint_sha256: String,
    },
    /// The TLS handshake failed for a reason other than the certificate (no common protocol
    /// version or cipher suite, the server closed the connection...).
    #[error("The TLS handshake with {remote} failed: {detail}. Check that the port speaks TLS (5061 for SIP over TLS, 443 for WSS).")]
    Tls { remote: SocketAddr, detail: String },
    /// `server_name` is neither a DNS name nor an IP address.
    #[error("{0:?} is not a valid server name for TLS. Use the server's DNS name or IP address.")]
    InvalidServerName(String),
    /// The CA file given for the account could not be used.
    #[error("Cannot use the CA certificate file {}: {detail}. Give a PEM file with one or more certificates.", .path.display())]
    CaFile { path: PathBuf, detail: String },
    /// The TLS library refused our configuration (should not happen; reported rather than panicking).
    #[error("TLS could not be set up: {0}")]
    TlsSetup(String),
    /// The server answered the WebSocket upgrade with something else than `101 Switching Protocols`.
    #[error("The WebSocket upgrade at {url} was refused{}: {detail}. Check the WebSocket path (for example /ws) and port.", .status.map(|s| format!(" with HTTP {s}")).unwrap_or_default())]
    WebSocketHandshake {
        url: String,
        status: Option<u16>,
        detail: String,
    },
    /// The server accepted the WebSocket but not the `sip` subprotocol (RFC 7118).
    #[error("The server at {url} accepted the WebSocket but not SIP over it (subprotocol \"sip\", RFC 7118). Check that the path points at the SIP WebSocket endpoint.")]
    WebSocketSubprotocol { url: String },
    /// The peer sent a stream that cannot be split into SIP messages; the connection was closed.
    #[error("The server sent data that cannot be read as SIP ({0}); the connection was closed and will be reopened.")]
    Framing(#[from] FramingError),
    /// Nothing arrived, not even a keep-alive answer, for too long.
    #[error("The connection to {remote} went silent for {} s (no answer to keep-alives); it is treated as dead.", .silent_for.as_secs())]
    DeadConnection {
        remote: SocketAddr,
        silent_for: Duration,
    },
    /// The server closed the connection.
    #[error("The server at {remote} closed the connection.")]
    ClosedByPeer { remote: SocketAddr },
    /// The connection is gone (its task ended); nothing more can be sent on it.
    #[error("The connection is closed; nothing can be sent on it.")]
    NotConnected,
    /// The message is too large for the transport (a UDP datagram carries at most 65 507 bytes).
    #[error(
        "A {len}-byte SIP message is too large for {transport}; use TCP or TLS for large messages."
    )]
    MessageTooLarge {
        transport: TransportKind,
        len: usize,
    },
}

/// The socket operation an [`TransportError::Io`] happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoOp {
    Bind,
    Connect,
    Send,
    Receive,
}

/// Why a server certificate was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// Self-signed, or issued by an authority that is not trusted.
    UnknownIssuer,
    /// The certificate does not name the server we connected to.
    NotValidForName {
        expected: String,
        /// Names in the certificate, when the verifier reported them.
        presented: Vec<String>,
    },
    Expired,
    NotYetValid,
    Revoked,
    /// The account pins a certificate and the server presented another one.
    PinMismatch {
        expected: String,
    },
    Other(String),
}

impl fmt::Display for CertProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertProblem::UnknownIssuer => {
                f.write_str("it is self-signed or issued by an unknown authority")
            }
            CertProblem::NotValidForName {
                expected,
                presented,
            } if presented.is_empty() => write!(f, "it is not valid for {expected}"),
            CertProblem::NotValidForName {
                expected,
                presented,
            } => write!(
                f,
                "it is valid for {} but not for {expected}",
                presented.join(", ")
            ),
            CertProblem::Expired => f.write_str("it has expired"),
            CertProblem::NotYetValid => f.write_str("it is not valid yet"),
            CertProblem::Revoked => f.write_str("it has been revoked"),
            CertProblem::PinMismatch { expected } => write!(
                f,
                "it is not the certificate pinned for this account (pinned SHA-256 {expected})"
            ),
            CertProblem::Other(detail) => write!(f, "{detail}"),
        }
    }
}

fn cert_message(problem: &CertProblem, fingerprint: &str) -> String {
    let seen = if fingerprint.is_empty() {
        String::new()
    } else {
        format!(" (SHA-256 {fingerprint})")
    };
    let advice = match problem {
        CertProblem::UnknownIssuer => "Check the fingerprint with your administrator, then give its CA with --tls-ca FILE or pin it.",
        CertProblem::NotValidForName { .. } => "Use the server name the certificate was issued for, or ask your administrator for a certificate that names this server.",
        CertProblem::Expired | CertProblem::NotYetValid => "Check this computer's date and time; if they are right, ask your administrator to renew the certificate.",
        CertProblem::Revoked => "Ask your administrator for a new certificate.",
        CertProblem::PinMismatch { .. } => "The server's certificate changed: check the new fingerprint with your administrator before pinning it again.",
        CertProblem::Other(_) => "Ask your administrator to check the server's certificate.",
    };
    format!("The server's TLS certificate is not trusted: {problem}{seen}. {advice}")
}

fn io_message(op: IoOp, remote: SocketAddr, source: &io::Error) -> String {
    use io::ErrorKind as K;
    let what = match op {
        IoOp::Bind => format!("Could not open a local socket to reach {remote}"),
        IoOp::Connect => format!("Could not connect to {remote}"),
        IoOp::Send => format!("Could not send to {remote}"),
        IoOp::Receive => format!("Could not receive from {remote}"),
    };
    let advice = match source.kind() {
        K::ConnectionRefused => {
            " Nothing listens on that port: check the server's address, port and transport."
        }
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
            " The server dropped the connection; it will be reopened."
        }
        K::AddrNotAvailable | K::NetworkUnreachable | K::HostUnreachable => {
            " Check this computer's network connection."
        }
        _ => "",
    };
    format!("{what}: {source}.{advice}")
}

impl TransportError {
    /// Whether the failure comes from the server's certificate, so a UI can offer to pin it.
    pub fn is_certificate(&self) -> bool {
        matches!(self, TransportError::Certificate { .. })
    }

    pub(crate) fn io(op: IoOp, remote: SocketAddr, source: io::Error) -> Self {
        TransportError::Io { op, remote, source }
    }
}
