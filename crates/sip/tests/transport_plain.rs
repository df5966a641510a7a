//! Real-socket tests of the UDP, TCP and WS adapters against small loopback peers written here.
//! Every peer binds 127.0.0.1 on an ephemeral port.

// A failed unwrap in a test is the test failing, with the value in the message. The WebSocket
// accept callbacks have the error type tungstenite dictates.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::result_large_err)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use dialtone_sip::flow::TransportKind;
use dialtone_sip::transport::framing::{Frame, StreamFramer};
use dialtone_sip::transport::{
    connect, ConnectOptions, Connection, FramingError, IoOp, TransportError, TransportEvent,
};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const REGISTER: &[u8] = b"REGISTER sip:pbx SIP/2.0\r\nVia: SIP/2.0/TCP client;branch=z9hG4bK1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
const OK: &[u8] = b"SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
const INVITE: &[u8] =
    b"INVITE sip:1000@client SIP/2.0\r\nCSeq: 7 INVITE\r\nl: 10\r\n\r\nv=0\r\no=- x";

const WAIT: Duration = Duration::from_secs(5);

fn opts(transport: TransportKind, remote: SocketAddr) -> ConnectOptions {
    ConnectOptions::new(transport, remote, "127.0.0.1")
}

async fn next_event(conn: &mut Connection) -> TransportEvent {
    match timeout(WAIT, conn.recv()).await {
        Ok(Some(ev)) => ev,
        Ok(None) => panic!("connection ended without an event"),
        Err(_) => panic!("no event within {WAIT:?}"),
    }
}

async fn next_message(conn: &mut Connection) -> (Bytes, SocketAddr) {
    match next_event(conn).await {
        TransportEvent::Message(m, from) => (m, from),
        TransportEvent::Closed(e) => panic!("closed instead of a message: {e}"),
    }
}

/// Reads frames from a server-side stream until a SIP message arrives.
async fn read_message(stream: &mut TcpStream, framer: &mut StreamFramer) -> Bytes {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(Frame::Message(m)) = framer.next_frame().expect("client framing") {
            return m;
        }
        let n = timeout(WAIT, stream.read(&mut buf))
            .await
            .expect("client wrote in time")
            .expect("read");
        assert!(n > 0, "client closed the connection");
        framer.extend(&buf[..n]);
    }
}

#[tokio::test]
async fn udp_round_trip_accepts_answers_from_another_port_and_drops_non_sip() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let other_port = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut conn = connect(opts(TransportKind::Udp, server.local_addr().unwrap()))
        .await
        .unwrap();
    assert_eq!(conn.local_addr().ip().to_string(), "127.0.0.1");
    assert_eq!(conn.flow().transport, TransportKind::Udp);

    conn.sender()
        .send(Bytes::from_static(REGISTER))
        .await
        .unwrap();
    let mut buf = [0u8; 2048];
    let (n, client) = timeout(WAIT, server.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], REGISTER);
    assert_eq!(client, conn.local_addr());

    // Noise first: a STUN binding request and a CRLF keep-alive, then the real answer from a
    // port the client never sent to.
    let stun = [
        0u8, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ];
    server.send_to(&stun, client).await.unwrap();
    server.send_to(b"\r\n\r\n", client).await.unwrap();
    other_port.send_to(OK, client).await.unwrap();
    let (msg, from) = next_message(&mut conn).await;
    assert_eq!(&msg[..], OK);
    assert_eq!(from, other_port.local_addr().unwrap());
}

#[tokio::test]
async fn udp_refuses_messages_larger_than_a_datagram() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let conn = connect(opts(TransportKind::Udp, server.local_addr().unwrap()))
        .await
        .unwrap();
    let err = conn
        .sender()
        .send(Bytes::from(vec![b'a'; 70_000]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, TransportError::MessageTooLarge { len: 70_000, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn tcp_round_trip_with_messages_split_and_joined_across_writes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut conn = connect(opts(TransportKind::Tcp, listener.local_addr().unwrap()))
        .await
        .unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();
    assert_eq!(peer.peer_addr().unwrap(), conn.local_addr());

    conn.sender()
        .send(Bytes::from_static(REGISTER))
        .await
        .unwrap();
    let got = read_message(&mut peer, &mut StreamFramer::new()).await;
    assert_eq!(&got[..], REGISTER);

    // The 200 OK dribbles in three writes, then an INVITE and another 200 OK share one write.
    for piece in [&OK[..10], &OK[10..40], &OK[40..]] {
        peer.write_all(piece).await.unwrap();
        peer.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    peer.write_all(&[INVITE, OK].concat()).await.unwrap();
    let remote = listener.local_addr().unwrap();
    assert_eq!(
        next_message(&mut conn).await,
        (Bytes::from_static(OK), remote)
    );
    assert_eq!(next_message(&mut conn).await.0, Bytes::from_static(INVITE));
    assert_eq!(next_message(&mut conn).await.0, Bytes::from_static(OK));
}

#[tokio::test]
async fn sending_never_waits_for_a_receiver_that_lags() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut conn = connect(opts(TransportKind::Tcp, listener.local_addr().unwrap()))
        .await
        .unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();
    // Far more messages than the event queue holds, while the driver only sends.
    let flood: Vec<u8> = std::iter::repeat_n(OK, 500).flatten().copied().collect();
    peer.write_all(&flood).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..20 {
        timeout(WAIT, conn.sender().send(Bytes::from_static(REGISTER)))
            .await
            .expect("send completes while events queue up")
            .unwrap();
    }
    for _ in 0..500 {
        assert_eq!(next_message(&mut conn).await.0, Bytes::from_static(OK));
    }
}

#[tokio::test]
async fn tcp_answers_a_crlf_ping_with_a_pong_and_sends_its_own_pings() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut o = opts(TransportKind::Tcp, listener.local_addr().unwrap());
    o.keepalive_interval = Duration::from_millis(300);
    let _conn = connect(o).await.unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();

    peer.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0u8; 2];
    timeout(WAIT, peer.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"\r\n");

    // Within a few intervals the client pings on its own.
    let mut ping = [0u8; 4];
    timeout(WAIT, peer.read_exact(&mut ping))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&ping, b"\r\n\r\n");
}

#[tokio::test]
async fn tcp_server_that_answers_pongs_keeps_the_connection_alive() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut o = opts(TransportKind::Tcp, listener.local_addr().unwrap());
    o.keepalive_interval = Duration::from_millis(100);
    let mut conn = connect(o).await.unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();
    // Answer every ping for a while; the deadline is 2 x 100 ms + 10 s so this only shows pongs
    // are accepted quietly (no event, no close).
    let mut pings = 0;
    let mut buf = [0u8; 4];
    while pings < 5 {
        timeout(WAIT, peer.read_exact(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf, b"\r\n\r\n");
        peer.write_all(b"\r\n").await.unwrap();
        pings += 1;
    }
    assert!(
        timeout(Duration::from_millis(200), conn.recv())
            .await
            .is_err(),
        "no event expected"
    );
}

#[tokio::test]
async fn tcp_silent_server_is_detected_as_dead() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut o = opts(TransportKind::Tcp, listener.local_addr().unwrap());
    o.keepalive_interval = Duration::from_millis(100);
    let mut conn = connect(o).await.unwrap();
    let (_peer, _) = listener.accept().await.unwrap(); // accepts, reads nothing, answers nothing
                                                       // Dead after 2 intervals + 10 s of silence.
    let ev = timeout(Duration::from_secs(20), conn.recv()).await.unwrap();
    match ev {
        Some(TransportEvent::Closed(TransportError::DeadConnection { silent_for, .. })) => {
            assert_eq!(silent_for, Duration::from_millis(10_200))
        }
        other => panic!("expected a dead connection, got {other:?}"),
    }
    let err = conn
        .sender()
        .send(Bytes::from_static(REGISTER))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::NotConnected), "{err}");
}

#[tokio::test]
async fn tcp_peer_closing_is_reported_as_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut conn = connect(opts(TransportKind::Tcp, listener.local_addr().unwrap()))
        .await
        .unwrap();
    let (peer, _) = listener.accept().await.unwrap();
    drop(peer);
    match next_event(&mut conn).await {
        TransportEvent::Closed(TransportError::ClosedByPeer { remote }) => {
            assert_eq!(remote, listener.local_addr().unwrap())
        }
        other => panic!("expected ClosedByPeer, got {other:?}"),
    }
}

#[tokio::test]
async fn tcp_message_without_content_length_closes_the_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut conn = connect(opts(TransportKind::Tcp, listener.local_addr().unwrap()))
        .await
        .unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();
    peer.write_all(b"SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\n\r\n")
        .await
        .unwrap();
    match next_event(&mut conn).await {
        TransportEvent::Closed(TransportError::Framing(FramingError::MissingContentLength)) => {}
        other => panic!("expected a framing error, got {other:?}"),
    }
    let mut buf = [0u8; 16];
    let n = timeout(WAIT, peer.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "the client closes the connection");
}

#[tokio::test]
async fn dropping_the_connection_closes_the_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let conn = connect(opts(TransportKind::Tcp, listener.local_addr().unwrap()))
        .await
        .unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();
    drop(conn);
    let mut buf = [0u8; 16];
    let n = timeout(WAIT, peer.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn tcp_connection_refused_names_the_address() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = connect(opts(TransportKind::Tcp, addr)).await.unwrap_err();
    match &err {
        TransportError::Io {
            op: IoOp::Connect,
            remote,
            source,
        } => {
            assert_eq!(*remote, addr);
            assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
        }
        other => panic!("expected a refused connection, got {other:?}"),
    }
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

/// A WebSocket peer that accepts the upgrade, choosing `sip` only if `offer_sip`.
async fn ws_peer(
    listener: &TcpListener,
    offer_sip: bool,
) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let (tcp, _) = listener.accept().await.unwrap();
    tokio_tungstenite::accept_hdr_async(tcp, move |req: &Request, mut resp: Response| {
        assert_eq!(req.uri().path(), "/ws");
        assert_eq!(req.uri().query(), Some("exten=1000"));
        let asked = req.headers().get("Sec-WebSocket-Protocol").cloned();
        assert_eq!(asked, Some(HeaderValue::from_static("sip")));
        if offer_sip {
            resp.headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
        }
        Ok(resp)
    })
    .await
    .unwrap()
}

fn ws_opts(listener: &TcpListener) -> ConnectOptions {
    let mut o = opts(TransportKind::Ws, listener.local_addr().unwrap());
    o.ws_path = "/ws?exten=1000".to_owned();
    o
}

#[tokio::test]
async fn ws_round_trip_one_message_per_frame() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (conn, mut peer) = tokio::join!(connect(ws_opts(&listener)), ws_peer(&listener, true));
    let mut conn = conn.unwrap();
    conn.sender()
        .send(Bytes::from_static(REGISTER))
        .await
        .unwrap();
    let got = timeout(WAIT, peer.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(got, Message::text(std::str::from_utf8(REGISTER).unwrap()));

    peer.send(Message::text(std::str::from_utf8(OK).unwrap()))
        .await
        .unwrap();
    peer.send(Message::text("\r\n\r\n")).await.unwrap(); // not SIP: dropped
    peer.send(Message::binary(INVITE.to_vec())).await.unwrap();
    assert_eq!(next_message(&mut conn).await.0, Bytes::from_static(OK));
    assert_eq!(next_message(&mut conn).await.0, Bytes::from_static(INVITE));

    peer.close(None).await.unwrap();
    match next_event(&mut conn).await {
        TransportEvent::Closed(TransportError::ClosedByPeer { .. }) => {}
        other => panic!("expected ClosedByPeer, got {other:?}"),
    }
}

#[tokio::test]
async fn ws_sends_websocket_pings() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut o = ws_opts(&listener);
    o.keepalive_interval = Duration::from_millis(200);
    let (conn, mut peer) = tokio::join!(connect(o), ws_peer(&listener, true));
    let _conn = conn.unwrap();
    let got = timeout(WAIT, peer.next()).await.unwrap().unwrap().unwrap();
    assert!(matches!(got, Message::Ping(_)), "{got:?}");
}

#[tokio::test]
async fn ws_upgrade_without_sip_subprotocol_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer = async {
        let (tcp, _) = listener.accept().await.unwrap();
        // The server completes the upgrade but ignores the requested subprotocol.
        let _ = tokio_tungstenite::accept_async(tcp).await;
    };
    let (result, ()) = tokio::join!(connect(ws_opts(&listener)), peer);
    let err = result.unwrap_err();
    assert!(
        matches!(err, TransportError::WebSocketSubprotocol { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("RFC 7118"), "{err}");
}

#[tokio::test]
async fn ws_upgrade_refused_with_http_status() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer = async {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 2048];
        let _ = tcp.read(&mut buf).await;
        tcp.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
    };
    let (result, ()) = tokio::join!(connect(ws_opts(&listener)), peer);
    match result.unwrap_err() {
        TransportError::WebSocketHandshake { status, url, .. } => {
            assert_eq!(status, Some(404));
            assert!(url.ends_with("/ws?exten=1000"), "{url}");
        }
        other => panic!("expected a refused upgrade, got {other:?}"),
    }
}
