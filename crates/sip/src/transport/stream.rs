//! The connection task for byte streams (TCP, and TLS on top of it): frames what arrives into SIP
//! messages, writes what the senders queue, sends RFC 5626 CRLF pings and answers the peer's.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use super::framing::{Frame, StreamFramer, PING, PONG};
use super::{
    copy_io, silence, Connection, IoOp, KeepAlive, Link, Outgoing, TransportError, TransportEvent,
};

/// A write that cannot finish in this time means the peer stopped reading.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
const READ_CHUNK: usize = 16 * 1024;

/// Starts the task for an established stream and returns its `Connection`.
pub(super) fn spawn<S>(stream: S, link: Link) -> Connection
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (conn, cmds, events) = link.channels();
    tokio::spawn(async move {
        let mut stream = stream;
        if let Some(reason) = run(&mut stream, link, cmds, &events).await {
            tracing::debug!(flow = %link.flow, error = %reason, "connection closed");
            let _ = events.send(TransportEvent::Closed(reason)).await;
        }
        // Best effort: a TLS close_notify or a TCP FIN; the peer may already be gone.
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
    });
    conn
}

/// Runs until the connection dies (returns why) or every sender is dropped (returns `None`).
async fn run<S>(
    stream: &mut S,
    link: Link,
    mut cmds: mpsc::Receiver<Outgoing>,
    events: &mpsc::Sender<TransportEvent>,
) -> Option<TransportError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let remote = link.flow.remote;
    let mut framer = StreamFramer::new();
    let mut keepalive = KeepAlive::new(link);
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let deadline = keepalive.deadline();
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = match read {
                    Ok(0) => return Some(TransportError::ClosedByPeer { remote }),
                    Ok(n) => n,
                    Err(e) => return Some(TransportError::io(IoOp::Receive, remote, e)),
                };
                keepalive.heard();
                framer.extend(buf.get(..n).unwrap_or_default());
                loop {
                    match framer.next_frame() {
                        Ok(None) => break,
                        Ok(Some(Frame::Message(msg))) => {
                            // A dropped receiver only means nobody listens; keep sending.
                            let _ = events.send(TransportEvent::Message(msg, remote)).await;
                        }
                        Ok(Some(Frame::Ping)) => {
                            if let Err(e) = write(stream, PONG).await {
                                return Some(TransportError::io(IoOp::Send, remote, e));
                            }
                        }
                        Ok(Some(Frame::Pong)) => {}
                        Err(e) => return Some(TransportError::Framing(e)),
                    }
                }
            }
            cmd = cmds.recv() => {
                // `None`: every sender was dropped, so the connection closes quietly.
                let Outgoing { bytes, done } = cmd?;
                match write(stream, &bytes).await {
                    Ok(()) => {
                        let _ = done.send(Ok(()));
                    }
                    Err(e) => {
                        let _ = done.send(Err(TransportError::io(IoOp::Send, remote, copy_io(&e))));
                        return Some(TransportError::io(IoOp::Send, remote, e));
                    }
                }
            }
            () = keepalive.ping_due() => {
                if let Err(e) = write(stream, PING).await {
                    return Some(TransportError::io(IoOp::Send, remote, e));
                }
            }
            silent_for = silence(deadline) => {
                return Some(TransportError::DeadConnection { remote, silent_for });
            }
        }
    }
}

async fn write<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    let io = async {
        stream.write_all(bytes).await?;
        stream.flush().await
    };
    match tokio::time::timeout(WRITE_TIMEOUT, io).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the peer stopped reading",
        )),
    }
}
