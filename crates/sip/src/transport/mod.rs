//! Thin tokio adapters that move SIP messages as bytes over UDP, TCP, TLS, WS and WSS.
//!
//! Why this module is small and separate: the SIP core (`message`, transactions, registration...)
//! is sans-IO and never imports it. The driver loop that feeds the core from these connections and
//! writes what the core wants sent lives in `dialtone-core`; here we only open a connection, frame
//! bytes into whole messages, keep the connection alive, and report when it dies. No SIP parsing
//! happens here beyond finding where a message ends (see [`framing`]).
//!
//! Shape, for a client user agent that talks to one registrar/outbound proxy per account:
//! [`connect`] gives a [`Connection`] with a cloneable [`Sender`] and a stream of
//! [`TransportEvent`]s. Each connection runs one background task; dropping every `Sender`
//! (including the `Connection`'s) closes the socket and ends the task.
//!
//! - UDP: an unconnected socket (servers may answer from another port); anything that is not
//!   plausibly SIP (STUN, CRLF keep-alives) is dropped silently.
//! - TCP/TLS: RFC 3261 §18.3 framing by `Content-Length`; RFC 5626 CRLF keep-alives.
//! - WS/WSS (RFC 7118): one SIP message per WebSocket frame, subprotocol `sip`; WebSocket pings.
//! - TLS (also under WSS) goes through one code path, [`tls`], with three trust modes
//!   ([`TlsTrust`]) and typed certificate errors carrying the leaf's fingerprint.

pub mod error;
pub mod framing;
mod stream;
pub mod tls;
mod udp;
mod ws;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

pub use error::{CertProblem, IoOp, TransportError};
pub use framing::FramingError;

use crate::flow::{Flow, TransportKind};

/// How long opening a connection may take, handshakes included.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Added to two keep-alive intervals of silence before a connection is declared dead.
pub const DEAD_GRACE: Duration = Duration::from_secs(10);

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub transport: TransportKind,
    pub remote: SocketAddr,
    /// The server's name: TLS SNI and certificate name check, WebSocket `Host`. A DNS name or an
    /// IP address; when empty, the remote IP address is used.
    pub server_name: String,
    /// Path (and query) of the WebSocket URL, such as `/` or `/ws?exten=1000`.
    pub ws_path: String,
    /// Which TLS server certificates to accept (TLS and WSS).
    pub tls: TlsTrust,
    /// Keep-alive period for connection transports; [`Duration::ZERO`] turns keep-alives and dead
    /// connection detection off. Ignored for UDP.
    pub keepalive_interval: Duration,
}

impl ConnectOptions {
    /// Options with defaults: path `/`, system trust roots, keep-alives every 30 s.
    pub fn new(
        transport: TransportKind,
        remote: SocketAddr,
        server_name: impl Into<String>,
    ) -> Self {
        Self {
            transport,
            remote,
            server_name: server_name.into(),
            ws_path: "/".to_owned(),
            tls: TlsTrust::SystemRoots,
            keepalive_interval: Duration::from_secs(30),
        }
    }
}

/// Which server certificates a TLS connection accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsTrust {
    /// The operating system's trust store, through the platform verifier.
    SystemRoots,
    /// Only the CA certificates in this PEM file (one or more), and nothing else.
    CaFile(PathBuf),
    /// Exactly the leaf certificate with this SHA-256 fingerprint: a self-signed PBX the user
    /// pinned explicitly. Name and validity dates are not checked; handshake signatures are.
    PinnedSha256([u8; 32]),
}

/// What a connection reports.
#[derive(Debug)]
pub enum TransportEvent {
    /// Exactly one SIP message, and the address it came from.
    Message(Bytes, SocketAddr),
    /// The connection is gone and its task has ended; open a new one to go on. Over UDP this only
    /// follows a socket error.
    Closed(TransportError),
}

/// Sends SIP messages on one connection. Cheap to clone; the connection lives while any clone does.
#[derive(Debug, Clone)]
pub struct Sender {
    flow: Flow,
    tx: mpsc::Sender<Outgoing>,
}

impl Sender {
    /// Sends one complete SIP message and waits until it was written to the socket.
    pub async fn send(&self, bytes: Bytes) -> Result<(), TransportError> {
        let (done, result) = oneshot::channel();
        self.tx
            .send(Outgoing { bytes, done })
            .await
            .map_err(|_| TransportError::NotConnected)?;
        result.await.unwrap_or(Err(TransportError::NotConnected))
    }

    pub fn flow(&self) -> Flow {
        self.flow
    }

    /// Whether the connection's task has ended.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// An open connection (or, for UDP, a bound socket aimed at one server).
#[derive(Debug)]
pub struct Connection {
    flow: Flow,
    local_addr: SocketAddr,
    sender: Sender,
    events: mpsc::Receiver<TransportEvent>,
}

impl Connection {
    /// The local address of the socket (for Via and Contact). Over UDP bound to the wildcard
    /// address this is the address the operating system routes to the server from.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn flow(&self) -> Flow {
        self.flow
    }

    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// The next event; `None` once the connection's task has ended and every event was read.
    pub async fn recv(&mut self) -> Option<TransportEvent> {
        self.events.recv().await
    }

    /// Splits into the sender and the event receiver, for a driver loop that owns them apart.
    pub fn into_parts(self) -> (Sender, mpsc::Receiver<TransportEvent>) {
        (self.sender, self.events)
    }
}

/// Opens a connection (or binds a UDP socket) to `opts.remote`.
pub async fn connect(opts: ConnectOptions) -> Result<Connection, TransportError> {
    if opts.transport == TransportKind::Udp {
        return udp::open(&opts).await;
    }
    match tokio::time::timeout(CONNECT_TIMEOUT, connect_stream(&opts)).await {
        Ok(result) => result,
        Err(_) => Err(TransportError::Timeout {
            transport: opts.transport,
            remote: opts.remote,
            after: CONNECT_TIMEOUT,
        }),
    }
}

async fn connect_stream(opts: &ConnectOptions) -> Result<Connection, TransportError> {
    let remote = opts.remote;
    let tcp = TcpStream::connect(remote)
        .await
        .map_err(|e| TransportError::io(IoOp::Connect, remote, e))?;
    // SIP messages are written whole; don't let Nagle hold a request back.
    tcp.set_nodelay(true)
        .map_err(|e| TransportError::io(IoOp::Connect, remote, e))?;
    let local = tcp
        .local_addr()
        .map_err(|e| TransportError::io(IoOp::Connect, remote, e))?;
    let link = Link {
        flow: Flow {
            transport: opts.transport,
            remote,
        },
        local,
        keepalive: opts.keepalive_interval,
    };
    match opts.transport {
        TransportKind::Tcp => Ok(stream::spawn(tcp, link)),
        TransportKind::Tls => {
            let tls = tls::handshake(tcp, opts).await?;
            Ok(stream::spawn(tls, link))
        }
        TransportKind::Ws => {
            let ws = ws::handshake(tcp, opts, "ws").await?;
            Ok(ws::spawn(ws, link))
        }
        TransportKind::Wss => {
            let tls = tls::handshake(tcp, opts).await?;
            let ws = ws::handshake(tls, opts, "wss").await?;
            Ok(ws::spawn(ws, link))
        }
        TransportKind::Udp => udp::open(opts).await,
    }
}

/// A message waiting for the connection task, with the way back for its result.
#[derive(Debug)]
struct Outgoing {
    bytes: Bytes,
    done: oneshot::Sender<Result<(), TransportError>>,
}

/// What a connection task needs to know about its connection.
#[derive(Debug, Clone, Copy)]
struct Link {
    flow: Flow,
    local: SocketAddr,
    keepalive: Duration,
}

/// Capacity of the queues between a connection task and its users.
const QUEUE: usize = 64;

impl Link {
    /// Creates the channels and the `Connection`; the caller spawns the task with the other ends.
    fn channels(
        self,
    ) -> (
        Connection,
        mpsc::Receiver<Outgoing>,
        mpsc::Sender<TransportEvent>,
    ) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (events_tx, events) = mpsc::channel(QUEUE);
        let conn = Connection {
            flow: self.flow,
            local_addr: self.local,
            sender: Sender {
                flow: self.flow,
                tx,
            },
            events,
        };
        (conn, rx, events_tx)
    }

    /// Silence after which the connection is dead, or `None` when keep-alives are off.
    fn dead_after(self) -> Option<Duration> {
        (!self.keepalive.is_zero()).then(|| self.keepalive * 2 + DEAD_GRACE)
    }
}

/// Keep-alive timing shared by the stream and WebSocket tasks: a ping timer and a deadline that
/// moves forward whenever anything arrives.
struct KeepAlive {
    ping: Option<tokio::time::Interval>,
    dead_after: Option<Duration>,
    deadline: tokio::time::Instant,
}

impl KeepAlive {
    fn new(link: Link) -> Self {
        let now = tokio::time::Instant::now();
        let ping = link.dead_after().map(|_| {
            let mut i = tokio::time::interval_at(now + link.keepalive, link.keepalive);
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            i
        });
        let dead_after = link.dead_after();
        Self {
            ping,
            dead_after,
            deadline: now + dead_after.unwrap_or(Duration::from_secs(365 * 24 * 3600)),
        }
    }

    /// Something arrived: the peer is alive.
    fn heard(&mut self) {
        if let Some(d) = self.dead_after {
            self.deadline = tokio::time::Instant::now() + d;
        }
    }

    /// Resolves when a ping is due (never when keep-alives are off).
    async fn ping_due(&mut self) {
        match &mut self.ping {
            Some(i) => {
                i.tick().await;
            }
            None => std::future::pending().await,
        }
    }

    /// When the peer will have been silent too long, and how long that is (`None` when
    /// keep-alives are off).
    fn deadline(&self) -> Option<(tokio::time::Instant, Duration)> {
        self.dead_after.map(|d| (self.deadline, d))
    }
}

/// Resolves at the keep-alive deadline, with the silence that elapsed; never when there is none.
async fn silence(deadline: Option<(tokio::time::Instant, Duration)>) -> Duration {
    match deadline {
        Some((at, silent_for)) => {
            tokio::time::sleep_until(at).await;
            silent_for
        }
        None => std::future::pending().await,
    }
}

/// Copies an I/O error so it can be both returned to a sender and reported as `Closed`.
fn copy_io(e: &std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), e.to_string())
}
