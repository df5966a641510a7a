//! UDP: one unconnected socket per account. It is not `connect()`ed because servers may answer
//! from another port (RFC 3261 §18.2.2) and other peers may send requests to it. Every datagram is
//! one message; datagrams that are not plausibly SIP are dropped without a word.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::framing::is_plausible_sip_datagram;
use super::{ConnectOptions, Connection, IoOp, Link, Outgoing, TransportError, TransportEvent};
use crate::flow::{Flow, TransportKind};

/// Largest UDP payload over IPv4.
const MAX_DATAGRAM: usize = 65_507;

pub(super) async fn open(opts: &ConnectOptions) -> Result<Connection, TransportError> {
    let remote = opts.remote;
    let bind_ip = match remote.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(ip) if ip.is_loopback() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = UdpSocket::bind(SocketAddr::new(bind_ip, 0))
        .await
        .map_err(|e| TransportError::io(IoOp::Bind, remote, e))?;
    let mut local = socket
        .local_addr()
        .map_err(|e| TransportError::io(IoOp::Bind, remote, e))?;
    if local.ip().is_unspecified() {
        if let Some(ip) = route_source(remote).await {
            local.set_ip(ip);
        }
    }
    let link = Link {
        flow: Flow {
            transport: TransportKind::Udp,
            remote,
        },
        local,
        keepalive: std::time::Duration::ZERO,
    };
    let (conn, cmds, events) = link.channels();
    tokio::spawn(async move {
        if let Some(reason) = run(&socket, remote, cmds, &events).await {
            tracing::debug!(%remote, error = %reason, "UDP socket failed");
            let _ = events.send(TransportEvent::Closed(reason)).await;
        }
    });
    Ok(conn)
}

/// The local address the OS would send from to reach `remote`, learned by `connect()`ing a
/// throwaway socket (which sends nothing), so Via and Contact name a real address.
async fn route_source(remote: SocketAddr) -> Option<IpAddr> {
    let unspecified: IpAddr = match remote {
        SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let probe = UdpSocket::bind(SocketAddr::new(unspecified, 0))
        .await
        .ok()?;
    probe.connect(remote).await.ok()?;
    probe.local_addr().ok().map(|a| a.ip())
}

async fn run(
    socket: &UdpSocket,
    remote: SocketAddr,
    mut cmds: mpsc::Receiver<Outgoing>,
    events: &mpsc::Sender<TransportEvent>,
) -> Option<TransportError> {
    let mut buf = vec![0u8; 65_536];
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    let datagram = buf.get(..n).unwrap_or_default();
                    if is_plausible_sip_datagram(datagram) {
                        let msg = Bytes::copy_from_slice(datagram);
                        // Never wait for the receiver here: a driver busy in `Sender::send`
                        // would deadlock. A lagging receiver loses datagrams, as a full socket
                        // buffer would; transactions retransmit over UDP.
                        if let Err(mpsc::error::TrySendError::Full(_)) =
                            events.try_send(TransportEvent::Message(msg, from))
                        {
                            tracing::debug!(%from, "receiver lags: dropped a datagram");
                        }
                    } else {
                        tracing::trace!(%from, len = n, "dropped a datagram that is not SIP");
                    }
                }
                // Windows reports an earlier ICMP "port unreachable" this way; the socket is fine.
                Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused) => {}
                Err(e) => return Some(TransportError::io(IoOp::Receive, remote, e)),
            },
            cmd = cmds.recv() => {
                // `None`: every sender was dropped, so the connection closes quietly.
                let Outgoing { bytes, done } = cmd?;
                let result = if bytes.len() > MAX_DATAGRAM {
                    Err(TransportError::MessageTooLarge { transport: TransportKind::Udp, len: bytes.len() })
                } else {
                    // A failed send (no route, buffer full) fails this message, not the socket.
                    socket.send_to(&bytes, remote).await.map(drop)
                        .map_err(|e| TransportError::io(IoOp::Send, remote, e))
                };
                let _ = done.send(result);
            }
        }
    }
}
