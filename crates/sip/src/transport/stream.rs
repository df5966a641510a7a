//! The connection task for byte streams (TCP, and TLS on top of it): frames what arrives into SIP
//! messages, writes what the senders queue, sends RFC 5626 CRLF pings and answers the peer's.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;

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
        let reason = run(&mut stream, link, cmds, &events).await;
        // Best effort: a TLS close_notify or a TCP FIN; the peer may already be gone.
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
        drop(stream);
        if let Some(reason) = reason {
            tracing::debug!(flow = %link.flow, error = %reason, "connection closed");
            let _ = events.send(TransportEvent::Closed(reason)).await;
        }
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
    // Messages read but not yet taken by the receiver. While any wait, the task stops reading
    // (back-pressure reaches the peer through TCP) but keeps writing, so a driver busy in
    // `Sender::send` never deadlocks against a full event queue.
    let mut inbox: VecDeque<Bytes> = VecDeque::new();
    loop {
        let deadline = keepalive.deadline();
        let reading = inbox.is_empty();
        tokio::select! {
            read = stream.read(&mut buf), if reading => {
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
                        Ok(Some(Frame::Message(msg))) => inbox.push_back(msg),
                        Ok(Some(Frame::Ping)) => {
                            if let Err(e) = write(stream, PONG).await {
                                return Some(TransportError::io(IoOp::Send, remote, e));
                            }
                        }
                        Ok(Some(Frame::Pong)) => {}
                        Err(e) => {
                            // Hand over what was complete before the bad part, if there is room.
                            for msg in inbox.drain(..) {
                                let _ = events.try_send(TransportEvent::Message(msg, remote));
                            }
                            return Some(TransportError::Framing(e));
                        }
                    }
                }
            }
            permit = events.reserve(), if !reading => match permit {
                Ok(permit) => {
                    if let Some(msg) = inbox.pop_front() {
                        permit.send(TransportEvent::Message(msg, remote));
                    }
                }
                // Nobody listens any more; senders may still use the connection.
                Err(_) => inbox.clear(),
            },
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
            // While the receiver lags we are not reading, so silence proves nothing.
            silent_for = silence(deadline), if reading => {
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
