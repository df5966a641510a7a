//! Real-socket tests of TLS and WSS: trust modes and the certificate errors a user sees. Each test
//! makes its own certificates with rcgen and runs its peer on 127.0.0.1 on an ephemeral port.

// A failed unwrap in a test is the test failing, with the value in the message. The WebSocket
// accept callbacks have the error type tungstenite dictates.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::result_large_err)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dialtone_sip::flow::TransportKind;
use dialtone_sip::transport::framing::{Frame, StreamFramer};
use dialtone_sip::transport::tls::{fingerprint_sha256, format_fingerprint};
use dialtone_sip::transport::{
    connect, CertProblem, ConnectOptions, Connection, TlsTrust, TransportError, TransportEvent,
};
use futures_util::{SinkExt, StreamExt};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const REGISTER: &[u8] =
    b"REGISTER sip:pbx SIP/2.0\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
const OK: &[u8] = b"SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
const WAIT: Duration = Duration::from_secs(5);

/// A server certificate (for `localhost` and 127.0.0.1), its key, and the CA that issued it
/// (`None` for a self-signed certificate).
struct ServerCert {
    leaf: CertificateDer<'static>,
    key: Vec<u8>,
    ca_pem: Option<String>,
}

impl ServerCert {
    fn names() -> Vec<String> {
        vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
    }

    fn self_signed() -> Self {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(Self::names())
            .unwrap()
            .self_signed(&key)
            .unwrap();
        Self {
            leaf: cert.der().clone(),
            key: key.serialize_der(),
            ca_pem: None,
        }
    }

    /// A self-signed certificate marked as a CA, as `openssl req -x509` makes them: the usual
    /// self-signed PBX certificate. Its own PEM is what the user gives as the CA file.
    fn self_signed_ca_style() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Self::names()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        Self {
            leaf: cert.der().clone(),
            key: key.serialize_der(),
            ca_pem: Some(cert.pem()),
        }
    }

    fn issued_by_test_ca() -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // Each test CA gets its own name, as real CAs have, so an unknown one is not mistaken
        // for a known one with a bad signature.
        let serial: u64 = next_serial();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("Dialtone test CA {serial}"));
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(Self::names())
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        Self {
            leaf: leaf.der().clone(),
            key: key.serialize_der(),
            ca_pem: Some(ca.pem()),
        }
    }

    fn fingerprint(&self) -> [u8; 32] {
        fingerprint_sha256(&self.leaf)
    }

    fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![self.leaf.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone())),
            )
            .unwrap();
        TlsAcceptor::from(Arc::new(config))
    }

    /// Writes the CA to a file of its own, as a user would give it with --tls-ca.
    fn ca_file(&self) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "dialtone-transport-test-{}-{n}.pem",
            std::process::id()
        ));
        std::fs::write(&path, self.ca_pem.as_deref().unwrap()).unwrap();
        path
    }
}

fn next_serial() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A TLS peer on loopback: accepts one connection, completes the handshake if it can, and hands
/// the stream to `serve`.
async fn tls_peer<F, Fut>(cert: &ServerCert, serve: F) -> SocketAddr
where
    F: FnOnce(tokio_rustls::server::TlsStream<tokio::net::TcpStream>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = cert.acceptor();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        // A client that refuses our certificate aborts the handshake: that is expected.
        if let Ok(tls) = acceptor.accept(tcp).await {
            serve(tls).await;
        }
    });
    addr
}

/// Answers each SIP message with a 200 OK until the client goes away.
async fn answer_ok<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let mut framer = StreamFramer::new();
    let mut buf = [0u8; 4096];
    loop {
        while let Ok(Some(frame)) = framer.next_frame() {
            match frame {
                Frame::Message(_) => stream.write_all(OK).await.unwrap(),
                Frame::Ping => stream.write_all(b"\r\n").await.unwrap(),
                Frame::Pong => {}
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => framer.extend(&buf[..n]),
        }
    }
}

fn tls_opts(addr: SocketAddr, trust: TlsTrust) -> ConnectOptions {
    let mut o = ConnectOptions::new(TransportKind::Tls, addr, "localhost");
    o.tls = trust;
    o
}

async fn round_trip(conn: &mut Connection) {
    conn.sender()
        .send(Bytes::from_static(REGISTER))
        .await
        .unwrap();
    match timeout(WAIT, conn.recv()).await.unwrap() {
        Some(TransportEvent::Message(m, _)) => assert_eq!(&m[..], OK),
        other => panic!("expected a 200 OK, got {other:?}"),
    }
}

fn cert_error(err: TransportError) -> (CertProblem, String) {
    match err {
        TransportError::Certificate {
            problem,
            fingerprint_sha256,
        } => (problem, fingerprint_sha256),
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[tokio::test]
async fn tls_self_signed_cert_is_refused_with_unknown_issuer_and_its_fingerprint() {
    let cert = ServerCert::self_signed();
    let addr = tls_peer(&cert, answer_ok).await;
    let err = connect(tls_opts(addr, TlsTrust::SystemRoots))
        .await
        .unwrap_err();
    let message = err.to_string();
    let (problem, fingerprint) = cert_error(err);
    assert_eq!(problem, CertProblem::UnknownIssuer);
    assert_eq!(fingerprint, format_fingerprint(&cert.fingerprint()));
    assert!(message.contains("self-signed"), "{message}");
    assert!(message.contains(&fingerprint), "{message}");
}

#[tokio::test]
async fn tls_cert_from_an_untrusted_ca_is_refused() {
    let cert = ServerCert::issued_by_test_ca();
    let addr = tls_peer(&cert, answer_ok).await;
    let other_ca = ServerCert::issued_by_test_ca().ca_file();
    let err = connect(tls_opts(addr, TlsTrust::CaFile(other_ca)))
        .await
        .unwrap_err();
    assert_eq!(cert_error(err).0, CertProblem::UnknownIssuer);
}

#[tokio::test]
async fn tls_ca_file_trusts_the_servers_ca() {
    let cert = ServerCert::issued_by_test_ca();
    let addr = tls_peer(&cert, answer_ok).await;
    let mut conn = connect(tls_opts(addr, TlsTrust::CaFile(cert.ca_file())))
        .await
        .unwrap();
    assert_eq!(conn.flow().transport, TransportKind::Tls);
    round_trip(&mut conn).await;
}

#[tokio::test]
async fn tls_ca_file_holding_the_servers_own_self_signed_cert_trusts_it_for_its_names_only() {
    let cert = ServerCert::self_signed_ca_style();
    let addr = tls_peer(&cert, answer_ok).await;
    let mut conn = connect(tls_opts(addr, TlsTrust::CaFile(cert.ca_file())))
        .await
        .unwrap();
    round_trip(&mut conn).await;
    // Without the file it is an unknown, self-signed certificate.
    let addr = tls_peer(&cert, answer_ok).await;
    let err = connect(tls_opts(addr, TlsTrust::SystemRoots))
        .await
        .unwrap_err();
    assert_eq!(cert_error(err).0, CertProblem::UnknownIssuer);
    // Listed or not, the name must still match.
    let addr = tls_peer(&cert, answer_ok).await;
    let mut o = tls_opts(addr, TlsTrust::CaFile(cert.ca_file()));
    o.server_name = "pbx.example.org".to_owned();
    let err = connect(o).await.unwrap_err();
    assert!(matches!(
        cert_error(err).0,
        CertProblem::NotValidForName { .. }
    ));
}

#[tokio::test]
async fn tls_ip_address_is_a_valid_server_name() {
    let cert = ServerCert::issued_by_test_ca();
    let addr = tls_peer(&cert, answer_ok).await;
    let mut o = tls_opts(addr, TlsTrust::CaFile(cert.ca_file()));
    o.server_name = "127.0.0.1".to_owned();
    round_trip(&mut connect(o).await.unwrap()).await;
}

#[tokio::test]
async fn tls_wrong_hostname_is_not_valid_for_name() {
    let cert = ServerCert::issued_by_test_ca();
    let addr = tls_peer(&cert, answer_ok).await;
    let mut o = tls_opts(addr, TlsTrust::CaFile(cert.ca_file()));
    o.server_name = "pbx.example.org".to_owned();
    let err = connect(o).await.unwrap_err();
    let message = err.to_string();
    match cert_error(err).0 {
        CertProblem::NotValidForName {
            expected,
            presented,
        } => {
            assert_eq!(expected, "pbx.example.org");
            assert!(
                presented.iter().any(|n| n.contains("localhost")),
                "{presented:?}"
            );
        }
        other => panic!("expected NotValidForName, got {other:?}"),
    }
    assert!(message.contains("pbx.example.org"), "{message}");
}

#[tokio::test]
async fn tls_pinned_fingerprint_accepts_that_self_signed_cert() {
    let cert = ServerCert::self_signed();
    let addr = tls_peer(&cert, answer_ok).await;
    let mut conn = connect(tls_opts(addr, TlsTrust::PinnedSha256(cert.fingerprint())))
        .await
        .unwrap();
    round_trip(&mut conn).await;
}

#[tokio::test]
async fn tls_wrong_pin_is_refused_and_shows_the_presented_fingerprint() {
    let cert = ServerCert::self_signed();
    let addr = tls_peer(&cert, answer_ok).await;
    let wrong = ServerCert::self_signed().fingerprint();
    let err = connect(tls_opts(addr, TlsTrust::PinnedSha256(wrong)))
        .await
        .unwrap_err();
    let (problem, fingerprint) = cert_error(err);
    assert_eq!(
        problem,
        CertProblem::PinMismatch {
            expected: format_fingerprint(&wrong)
        }
    );
    assert_eq!(fingerprint, format_fingerprint(&cert.fingerprint()));
}

#[tokio::test]
async fn tls_missing_ca_file_is_reported() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = listener.accept().await;
    });
    let err = connect(tls_opts(
        addr,
        TlsTrust::CaFile("/nonexistent/dialtone-ca.pem".into()),
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, TransportError::CaFile { .. }), "{err:?}");
}

#[tokio::test]
async fn tls_sends_crlf_keepalive_pings() {
    let cert = ServerCert::issued_by_test_ca();
    let (pings_tx, mut pings_rx) = tokio::sync::mpsc::channel(1);
    let addr = tls_peer(&cert, move |mut tls| async move {
        let mut buf = [0u8; 4];
        if tls.read_exact(&mut buf).await.is_ok() {
            let _ = pings_tx.send(buf).await;
        }
    })
    .await;
    let mut o = tls_opts(addr, TlsTrust::CaFile(cert.ca_file()));
    o.keepalive_interval = Duration::from_millis(200);
    let _conn = connect(o).await.unwrap();
    let ping = timeout(WAIT, pings_rx.recv()).await.unwrap().unwrap();
    assert_eq!(&ping, b"\r\n\r\n");
}

/// A WSS peer: TLS with `cert`, then a WebSocket upgrade that selects `sip`, then echoes a 200 OK
/// for each frame.
async fn wss_peer(cert: &ServerCert) -> SocketAddr {
    tls_peer(cert, |tls| async move {
        let mut ws = tokio_tungstenite::accept_hdr_async(tls, |_: &Request, mut resp: Response| {
            resp.headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
            Ok(resp)
        })
        .await
        .unwrap();
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_text() || msg.is_binary() {
                let ok = Message::text(std::str::from_utf8(OK).unwrap());
                if ws.send(ok).await.is_err() {
                    return;
                }
            }
        }
    })
    .await
}

fn wss_opts(addr: SocketAddr, trust: TlsTrust) -> ConnectOptions {
    let mut o = ConnectOptions::new(TransportKind::Wss, addr, "localhost");
    o.ws_path = "/ws?exten=1000".to_owned();
    o.tls = trust;
    o
}

#[tokio::test]
async fn wss_round_trip_with_ca_file() {
    let cert = ServerCert::issued_by_test_ca();
    let addr = wss_peer(&cert).await;
    let mut conn = connect(wss_opts(addr, TlsTrust::CaFile(cert.ca_file())))
        .await
        .unwrap();
    assert_eq!(conn.flow().transport, TransportKind::Wss);
    round_trip(&mut conn).await;
}

#[tokio::test]
async fn wss_uses_the_same_trust_rules_as_tls() {
    let cert = ServerCert::self_signed();
    let addr = wss_peer(&cert).await;
    let err = connect(wss_opts(addr, TlsTrust::SystemRoots))
        .await
        .unwrap_err();
    let (problem, fingerprint) = cert_error(err);
    assert_eq!(problem, CertProblem::UnknownIssuer);
    assert_eq!(fingerprint, format_fingerprint(&cert.fingerprint()));

    let cert = ServerCert::self_signed();
    let addr = wss_peer(&cert).await;
    let mut conn = connect(wss_opts(addr, TlsTrust::PinnedSha256(cert.fingerprint())))
        .await
        .unwrap();
    round_trip(&mut conn).await;
}
