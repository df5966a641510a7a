//! SIP over WebSocket (RFC 7118), for WS and WSS: the upgrade asks for subprotocol `sip` and
//! insists the server chose it; afterwards each text (or binary) frame carries one SIP message.
//! The TLS under WSS is opened by [`super::tls`] before the upgrade, so trust handling is shared.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::Utf8Bytes;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use super::framing::is_plausible_sip_datagram;
use super::{
    copy_io, silence, ConnectOptions, Connection, IoOp, KeepAlive, Link, Outgoing, TransportError,
    TransportEvent,
};

const SUBPROTOCOL: &str = "sip";
/// A write that cannot finish in this time means the peer stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The URL requested for the upgrade: `ws(s)://server_name:port/path`.
fn url(opts: &ConnectOptions, scheme: &str) -> String {
    let host = if opts.server_name.is_empty() {
        opts.remote.ip().to_string()
    } else {
        opts.server_name.clone()
    };
    let host = match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
        _ => host,
    };
    let path = if opts.ws_path.starts_with('/') {
        opts.ws_path.clone()
    } else {
        format!("/{}", opts.ws_path)
    };
    format!("{scheme}://{host}:{}{path}", opts.remote.port())
}

/// Performs the WebSocket upgrade over an established (TCP or TLS) stream.
pub(super) async fn handshake<S>(
    stream: S,
    opts: &ConnectOptions,
    scheme: &str,
) -> Result<WebSocketStream<S>, TransportError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let url = url(opts, scheme);
    let refused = |detail: String, status: Option<u16>| TransportError::WebSocketHandshake {
        url: url.clone(),
        status,
        detail,
    };
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| refused(e.to_string(), None))?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let (ws, response) = tokio_tungstenite::client_async(request, stream)
        .await
        .map_err(|e| match e {
            tungstenite::Error::Http(response) => {
                let status = response.status();
                refused(
                    status
                        .canonical_reason()
                        .unwrap_or("unexpected answer")
                        .to_owned(),
                    Some(status.as_u16()),
                )
            }
            tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::SecWebSocketSubProtocolError(_),
            ) => TransportError::WebSocketSubprotocol { url: url.clone() },
            tungstenite::Error::Io(io) => TransportError::io(IoOp::Connect, opts.remote, io),
            other => refused(other.to_string(), None),
        })?;
    // tungstenite checks this too; checked here so the rule stays visible and version-proof.
    let chosen = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok());
    if !chosen.is_some_and(|p| p.trim().eq_ignore_ascii_case(SUBPROTOCOL)) {
        return Err(TransportError::WebSocketSubprotocol { url });
    }
    Ok(ws)
}

/// Starts the task for an upgraded WebSocket and returns its `Connection`.
pub(super) fn spawn<S>(ws: WebSocketStream<S>, link: Link) -> Connection
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (conn, cmds, events) = link.channels();
    tokio::spawn(async move {
        let mut ws = ws;
        let reason = run(&mut ws, link, cmds, &events).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
        drop(ws);
        if let Some(reason) = reason {
            tracing::debug!(flow = %link.flow, error = %reason, "WebSocket closed");
            let _ = events.send(TransportEvent::Closed(reason)).await;
        }
    });
    conn
}

async fn run<S>(
    ws: &mut WebSocketStream<S>,
    link: Link,
    mut cmds: mpsc::Receiver<Outgoing>,
    events: &mpsc::Sender<TransportEvent>,
) -> Option<TransportError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let remote = link.flow.remote;
    let mut keepalive = KeepAlive::new(link);
    // A message read but not yet taken by the receiver: until it is, the task stops reading but
    // keeps writing, so a driver busy in `Sender::send` never deadlocks against a full queue.
    let mut pending: Option<Bytes> = None;
    loop {
        let deadline = keepalive.deadline();
        let reading = pending.is_none();
        tokio::select! {
            frame = ws.next(), if reading => {
                keepalive.heard();
                let payload = match frame {
                    None | Some(Ok(Message::Close(_))) => {
                        return Some(TransportError::ClosedByPeer { remote })
                    }
                    Some(Err(e)) => return Some(ws_error(e, link)),
                    Some(Ok(Message::Text(text))) => Bytes::from(text),
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    // tungstenite answers pings itself; pongs only prove the peer is alive.
                    Some(Ok(_)) => continue,
                };
                if is_plausible_sip_datagram(&payload) {
                    pending = Some(payload);
                } else {
                    tracing::trace!(%remote, len = payload.len(), "dropped a WebSocket frame that is not SIP");
                }
            }
            permit = events.reserve(), if !reading => {
                let msg = pending.take();
                // An error means nobody listens any more; senders may still use the connection.
                if let (Ok(permit), Some(msg)) = (permit, msg) {
                    permit.send(TransportEvent::Message(msg, remote));
                }
            }
            cmd = cmds.recv() => {
                // `None`: every sender was dropped, so the connection closes quietly.
                let Outgoing { bytes, done } = cmd?;
                // SIP is text; a body that is not UTF-8 goes in a binary frame (RFC 7118 §4.2).
                let msg = match Utf8Bytes::try_from(bytes.clone()) {
                    Ok(text) => Message::Text(text),
                    Err(_) => Message::Binary(bytes),
                };
                match send(ws, msg).await {
                    Ok(()) => {
                        let _ = done.send(Ok(()));
                    }
                    Err(e) => {
                        let err = ws_error(e, link);
                        let copy = match &err {
                            TransportError::Io { op, remote, source } => TransportError::Io { op: *op, remote: *remote, source: copy_io(source) },
                            _ => TransportError::NotConnected,
                        };
                        let _ = done.send(Err(copy));
                        return Some(err);
                    }
                }
            }
            () = keepalive.ping_due() => {
                if let Err(e) = send(ws, Message::Ping(Bytes::new())).await {
                    return Some(ws_error(e, link));
                }
            }
            // While the receiver lags we are not reading, so silence proves nothing.
            silent_for = silence(deadline), if reading => {
                return Some(TransportError::DeadConnection { remote, silent_for });
            }
        }
    }
}

/// Sends one frame; a send that cannot finish in time means the peer stopped reading.
async fn send<S>(ws: &mut WebSocketStream<S>, msg: Message) -> Result<(), tungstenite::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match tokio::time::timeout(WRITE_TIMEOUT, ws.send(msg)).await {
        Ok(result) => result,
        Err(_) => Err(tungstenite::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the peer stopped reading",
        ))),
    }
}

fn ws_error(e: tungstenite::Error, link: Link) -> TransportError {
    let remote = link.flow.remote;
    match e {
        tungstenite::Error::Io(io) => TransportError::io(IoOp::Receive, remote, io),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            TransportError::ClosedByPeer { remote }
        }
        other => TransportError::io(
            IoOp::Receive,
            remote,
            std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
        ),
    }
}
