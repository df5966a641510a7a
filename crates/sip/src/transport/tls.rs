//! TLS for SIP over TLS and for WSS: one code path, so trust works the same for both.
//!
//! rustls with the ring provider. Three trust modes ([`TlsTrust`]): the platform verifier (the
//! operating system's roots and policies), a CA file (only those CAs), or a pinned leaf fingerprint
//! for a self-signed PBX. Every verifier is wrapped so the fingerprint of the leaf it was shown is
//! remembered: when the certificate is refused, the error carries it and a UI can offer pinning.

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::{CertProblem, ConnectOptions, IoOp, TlsTrust, TransportError};

/// SHA-256 of a DER certificate: what [`TlsTrust::PinnedSha256`] compares.
pub fn fingerprint_sha256(cert_der: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, cert_der);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Formats a fingerprint as `AB:CD:…` (the form browsers and `openssl x509 -fingerprint` show).
pub fn format_fingerprint(fp: &[u8; 32]) -> String {
    fp.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Parses a fingerprint typed by a user: 64 hex digits, with or without `:` separators.
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let hex: Vec<u8> = text
        .trim()
        .bytes()
        .filter(|b| !matches!(b, b':' | b' '))
        .collect();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks(2)) {
        let s = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// Performs the TLS handshake over `tcp` according to `opts` (server name and trust).
pub(super) async fn handshake(
    tcp: TcpStream,
    opts: &ConnectOptions,
) -> Result<TlsStream<TcpStream>, TransportError> {
    let name = server_name(opts)?;
    let expected_name = name.to_str().into_owned();
    let (inner, listed) = verifier(&opts.tls)?;
    let verifier = Arc::new(Recording::new(inner, listed));
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::TlsSetup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));
    connector
        .connect(name, tcp)
        .await
        .map_err(|e| map_handshake_error(e, opts, &expected_name, verifier.seen()))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS server name: `server_name`, or the remote IP when it is empty. IP addresses are valid
/// names (checked against the certificate's IP SANs).
fn server_name(opts: &ConnectOptions) -> Result<ServerName<'static>, TransportError> {
    if opts.server_name.is_empty() {
        return Ok(ServerName::IpAddress(opts.remote.ip().into()));
    }
    let trimmed = opts
        .server_name
        .trim_start_matches('[')
        .trim_end_matches(']');
    ServerName::try_from(trimmed.to_owned())
        .map_err(|_| TransportError::InvalidServerName(opts.server_name.clone()))
}

/// A verifier, and the fingerprints of certificates the user listed explicitly (a CA file's own
/// certificates; see [`Recording`]).
type Trust = (Arc<dyn ServerCertVerifier>, Vec<[u8; 32]>);

/// The verifier for a trust mode.
fn verifier(trust: &TlsTrust) -> Result<Trust, TransportError> {
    match trust {
        TlsTrust::SystemRoots => {
            let v = rustls_platform_verifier::Verifier::new(provider())
                .map_err(|e| TransportError::TlsSetup(e.to_string()))?;
            Ok((Arc::new(v), Vec::new()))
        }
        TlsTrust::CaFile(path) => {
            let (roots, listed) = load_roots(path)?;
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(|e| TransportError::CaFile {
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
            Ok((webpki, listed))
        }
        TlsTrust::PinnedSha256(pin) => Ok((
            Arc::new(Pinned {
                pin: *pin,
                algorithms: provider().signature_verification_algorithms,
            }),
            Vec::new(),
        )),
    }
}

/// The CA file's certificates as roots, and the fingerprints of every certificate in it.
fn load_roots(path: &Path) -> Result<(RootCertStore, Vec<[u8; 32]>), TransportError> {
    let ca_error = |detail: String| TransportError::CaFile {
        path: path.to_owned(),
        detail,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| ca_error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ca_error(e.to_string()))?;
    if certs.is_empty() {
        return Err(ca_error("it holds no PEM certificate".to_owned()));
    }
    let listed = certs.iter().map(|c| fingerprint_sha256(c)).collect();
    let mut roots = RootCertStore::empty();
    let (_, rejected) = roots.add_parsable_certificates(certs);
    if roots.is_empty() {
        return Err(ca_error(format!(
            "none of its {rejected} certificates could be used"
        )));
    }
    Ok((roots, listed))
}

/// Accepts exactly one leaf certificate, by SHA-256; handshake signatures are still verified with
/// the provider's algorithms so the server must hold the pinned certificate's private key.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if fingerprint_sha256(end_entity) == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Wraps a verifier and remembers the fingerprint of the leaf it was shown.
///
/// It also accepts a server certificate the user listed explicitly (one that is itself in the CA
/// file), after the name check, when the inner verifier refuses it: a self-signed PBX certificate
/// made with `openssl req -x509` is marked as a CA, which WebPKI refuses as a server certificate
/// ("CA used as end entity"), yet a user who gives that very certificate as `--tls-ca` trusted it.
#[derive(Debug)]
struct Recording {
    inner: Arc<dyn ServerCertVerifier>,
    listed: Vec<[u8; 32]>,
    seen: Mutex<Option<[u8; 32]>>,
}

impl Recording {
    fn new(inner: Arc<dyn ServerCertVerifier>, listed: Vec<[u8; 32]>) -> Self {
        Self {
            inner,
            listed,
            seen: Mutex::new(None),
        }
    }

    fn seen(&self) -> Option<[u8; 32]> {
        self.seen.lock().map(|s| *s).unwrap_or(None)
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fingerprint = fingerprint_sha256(end_entity);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(fingerprint);
        }
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if verdict.is_ok() || !self.listed.contains(&fingerprint) {
            return verdict;
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

fn map_handshake_error(
    e: io::Error,
    opts: &ConnectOptions,
    expected_name: &str,
    seen: Option<[u8; 32]>,
) -> TransportError {
    let remote = opts.remote;
    let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return match e.kind() {
            io::ErrorKind::UnexpectedEof => TransportError::Tls {
                remote,
                detail: "the server closed the connection during the handshake".to_owned(),
            },
            _ => TransportError::io(IoOp::Connect, remote, e),
        };
    };
    let rustls::Error::InvalidCertificate(cert_error) = tls else {
        return TransportError::Tls {
            remote,
            detail: tls.to_string(),
        };
    };
    let problem = match cert_error {
        CertificateError::UnknownIssuer => CertProblem::UnknownIssuer,
        CertificateError::NotValidForName => CertProblem::NotValidForName {
            expected: expected_name.to_owned(),
            presented: Vec::new(),
        },
        CertificateError::NotValidForNameContext { presented, .. } => {
            CertProblem::NotValidForName {
                expected: expected_name.to_owned(),
                presented: presented.clone(),
            }
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => CertProblem::Expired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            CertProblem::NotYetValid
        }
        CertificateError::Revoked => CertProblem::Revoked,
        CertificateError::BadSignature => CertProblem::Other(
            "its signature does not verify against the authority named as its issuer".to_owned(),
        ),
        CertificateError::ApplicationVerificationFailure => match &opts.tls {
            TlsTrust::PinnedSha256(pin) => CertProblem::PinMismatch {
                expected: format_fingerprint(pin),
            },
            _ => CertProblem::Other(cert_error.to_string()),
        },
        // `openssl req -x509` certificates are CAs; WebPKI names the problem in its own terms.
        // To the user it is a self-signed certificate nobody vouched for.
        other if format!("{other:?}").contains("CaUsedAsEndEntity") => CertProblem::UnknownIssuer,
        other => CertProblem::Other(other.to_string()),
    };
    TransportError::Certificate {
        problem,
        fingerprint_sha256: seen.map(|fp| format_fingerprint(&fp)).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_round_trip_through_text() {
        let fp = fingerprint_sha256(b"not really a certificate");
        let text = format_fingerprint(&fp);
        assert_eq!(text.len(), 32 * 3 - 1);
        assert_eq!(parse_fingerprint(&text), Some(fp));
        assert_eq!(
            parse_fingerprint(&text.replace(':', "").to_lowercase()),
            Some(fp)
        );
        assert_eq!(parse_fingerprint("AB:CD"), None);
        assert_eq!(parse_fingerprint(&"zz".repeat(32)), None);
    }
}
