//! Digest answers against the RFC test vectors and the behaviours a registrar notices:
//! nonce counts, HA1 logins, -sess and auth-int, realm pinning, escaping, secrets kept out of logs.
#![allow(clippy::unwrap_used)]

use dialtone_sip::digest::{
    challenges, Algorithm, Challenge, Credentials, DigestClient, DigestError, SecretKind,
};
use dialtone_sip::message::{HeaderName, SipMessage};
use dialtone_sip::secret::Secret;

fn password(user: &str, password: &str) -> Credentials {
    Credentials {
        username: user.to_owned(),
        secret: SecretKind::Password(Secret::new(password)),
        realm: None,
    }
}

fn ha1(user: &str, ha1: &str) -> Credentials {
    Credentials {
        username: user.to_owned(),
        secret: SecretKind::Ha1Md5(Secret::new(ha1)),
        realm: None,
    }
}

fn client(credentials: Credentials, cnonce: &'static str) -> DigestClient {
    DigestClient::new(credentials).with_cnonce_source(move || cnonce.to_owned())
}

/// The value of `name` in an Authorization header we wrote (quoted or not).
fn param<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    let start = header.find(&format!(" {name}="))? + name.len() + 2;
    let rest = &header[start..];
    if let Some(quoted) = rest.strip_prefix('"') {
        quoted.split('"').next()
    } else {
        rest.split(',').next()
    }
}

const RFC2617: &str = r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

fn rfc7616(algorithm: &str) -> String {
    format!(
        r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
    )
}
const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

#[test]
fn answers_the_rfc2617_example_with_the_published_response() {
    let challenge = Challenge::parse(RFC2617, false).unwrap();
    let mut auth = client(password("Mufasa", "Circle Of Life"), "0a4f113b");
    let (name, value) = auth
        .authorize(&challenge, "GET", "/dir/index.html", b"")
        .unwrap();
    assert_eq!(name, HeaderName::AUTHORIZATION);
    assert_eq!(
        value,
        r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41", qop=auth, nc=00000001"#
    );
}

#[test]
fn answers_the_rfc7616_sha256_and_md5_examples_with_the_published_responses() {
    for (algorithm, expected) in [
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    ] {
        let challenge = Challenge::parse(&rfc7616(algorithm), false).unwrap();
        let mut auth = client(password("Mufasa", "Circle of Life"), RFC7616_CNONCE);
        let (_, value) = auth
            .authorize(&challenge, "GET", "/dir/index.html", b"")
            .unwrap();
        assert_eq!(param(&value, "response"), Some(expected), "{algorithm}");
        assert_eq!(param(&value, "algorithm"), Some(algorithm));
        assert_eq!(param(&value, "qop"), Some("auth"));
        assert_eq!(param(&value, "cnonce"), Some(RFC7616_CNONCE));
    }
}

#[test]
fn an_ha1_login_gives_the_same_answer_as_the_password() {
    let challenge = Challenge::parse(RFC2617, false).unwrap();
    // MD5("Mufasa:testrealm@host.com:Circle Of Life"), upper case as some PBXs hand it out.
    let mut auth = client(
        ha1("Mufasa", "939E7578ED9E3C518A452ACEE763BCE9"),
        "0a4f113b",
    );
    let (_, value) = auth
        .authorize(&challenge, "GET", "/dir/index.html", b"")
        .unwrap();
    assert_eq!(
        param(&value, "response"),
        Some("6629fae49393a05397450978507c4ef1")
    );
}

#[test]
fn an_ha1_login_cannot_answer_sha256_and_says_so() {
    let challenge = Challenge::parse(&rfc7616("SHA-256"), false).unwrap();
    let mut auth = client(ha1("Mufasa", "939e7578ed9e3c518a452acee763bce9"), "x");
    let err = auth
        .authorize(&challenge, "GET", "/dir/index.html", b"")
        .unwrap_err();
    assert_eq!(err, DigestError::Ha1AlgorithmMismatch(Algorithm::Sha256));
    let message = err.to_string();
    assert!(
        message.contains("SHA-256") && message.contains("MD5"),
        "{message}"
    );
    assert!(message.contains("password"), "{message}");
}

#[test]
fn a_malformed_ha1_is_refused() {
    let challenge = Challenge::parse(RFC2617, false).unwrap();
    let mut auth = client(ha1("Mufasa", "not-a-hash"), "x");
    assert_eq!(
        auth.authorize(&challenge, "GET", "/", b"").unwrap_err(),
        DigestError::InvalidHa1
    );
}

const SIP_CHALLENGE: &str = r#"Digest realm="pbx.example", nonce="abc123", qop="auth""#;

#[test]
fn nonce_count_goes_up_with_the_same_nonce_and_restarts_with_a_new_one() {
    let mut cnonces = ["deadbeef", "cafe0001"].into_iter();
    let mut auth = DigestClient::new(password("alice", "s3cret"))
        .with_cnonce_source(move || cnonces.next().unwrap_or("spent").to_owned());
    let first = Challenge::parse(SIP_CHALLENGE, false).unwrap();
    let (_, v1) = auth
        .authorize(&first, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    let (_, v2) = auth
        .authorize(&first, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert_eq!(param(&v1, "nc"), Some("00000001"));
    assert_eq!(param(&v2, "nc"), Some("00000002"));
    assert_eq!(param(&v2, "cnonce"), Some("deadbeef"));
    assert_eq!(
        param(&v2, "response"),
        Some("f465ebf6a909b194be208fef8292076c")
    );

    let stale = Challenge::parse(
        r#"Digest realm="pbx.example", nonce="fresh", qop="auth", stale=true"#,
        false,
    )
    .unwrap();
    let (_, v3) = auth
        .authorize(&stale, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert_eq!(param(&v3, "nc"), Some("00000001"));
    assert_eq!(param(&v3, "nonce"), Some("fresh"));
    assert_eq!(param(&v3, "cnonce"), Some("cafe0001"));
}

#[test]
fn a_refresh_answers_pre_emptively_with_the_next_nonce_count() {
    let mut auth = client(password("alice", "s3cret"), "deadbeef");
    assert_eq!(
        auth.authorize_again("REGISTER", "sip:pbx.example", b""),
        Ok(vec![])
    );
    let challenge = Challenge::parse(SIP_CHALLENGE, false).unwrap();
    auth.authorize(&challenge, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    let again = auth
        .authorize_again("REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, HeaderName::AUTHORIZATION);
    assert_eq!(param(&again[0].1, "nc"), Some("00000002"));
    assert_eq!(
        param(&again[0].1, "response"),
        Some("f465ebf6a909b194be208fef8292076c")
    );
}

#[test]
fn session_variants_fold_nonce_and_cnonce_into_ha1() {
    for (algorithm, expected) in [
        ("MD5-sess", "ecadadf5660da9d66d1a92856d19f1bb"),
        (
            "SHA-256-sess",
            "fe94022265552594ba81f8b722a6c1c5791b72bd962578e085492c3a2e5adc4b",
        ),
    ] {
        let challenge = Challenge::parse(
            &format!(
                r#"Digest realm="pbx.example", nonce="abc123", qop="auth", algorithm={algorithm}"#
            ),
            false,
        )
        .unwrap();
        let mut auth = client(password("alice", "s3cret"), "deadbeef");
        let (_, value) = auth
            .authorize(&challenge, "REGISTER", "sip:pbx.example", b"")
            .unwrap();
        assert_eq!(param(&value, "response"), Some(expected), "{algorithm}");
    }
}

#[test]
fn md5_sess_works_from_an_ha1_too() {
    let challenge = Challenge::parse(
        r#"Digest realm="pbx.example", nonce="abc123", qop="auth", algorithm=MD5-sess"#,
        false,
    )
    .unwrap();
    // MD5("alice:pbx.example:s3cret")
    let stored = format!("{:x}", md5_hex("alice:pbx.example:s3cret"));
    let mut auth = client(ha1("alice", &stored), "deadbeef");
    let (_, value) = auth
        .authorize(&challenge, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert_eq!(
        param(&value, "response"),
        Some("ecadadf5660da9d66d1a92856d19f1bb")
    );
}

/// HA1 the way a PBX would compute and store it.
fn md5_hex(text: &str) -> Hex {
    use md5::Digest as _;
    Hex(md5::Md5::digest(text.as_bytes()).to_vec())
}

struct Hex(Vec<u8>);
impl std::fmt::LowerHex for Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

#[test]
fn auth_int_alone_hashes_the_body() {
    let challenge = Challenge::parse(
        r#"Digest realm="pbx.example", nonce="abc123", qop="auth-int""#,
        false,
    )
    .unwrap();
    assert!(challenge.qop_auth_int_only);
    let mut auth = client(password("alice", "s3cret"), "deadbeef");
    let (_, value) = auth
        .authorize(&challenge, "INVITE", "sip:bob@pbx.example", b"v=0\r\n")
        .unwrap();
    assert_eq!(param(&value, "qop"), Some("auth-int"));
    assert_eq!(
        param(&value, "response"),
        Some("f6ed9d76136f7c3f312c1eccdfa648e4")
    );
}

#[test]
fn without_qop_answers_the_rfc2069_way_with_no_cnonce_or_count() {
    let challenge =
        Challenge::parse(r#"Digest realm="pbx.example", nonce="abc123""#, false).unwrap();
    let mut auth = client(password("alice", "s3cret"), "deadbeef");
    let (_, value) = auth
        .authorize(&challenge, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert_eq!(
        value,
        r#"Digest username="alice", realm="pbx.example", nonce="abc123", uri="sip:pbx.example", response="e215b3d9a6f6dead41f8df591ea4fc74", algorithm=MD5"#
    );
}

#[test]
fn quotes_and_backslashes_in_the_username_are_escaped_but_hashed_as_typed() {
    let challenge = Challenge::parse(SIP_CHALLENGE, false).unwrap();
    let mut auth = client(password(r#"a"b\c"#, "s3cret"), "deadbeef");
    let (_, value) = auth
        .authorize(&challenge, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert!(
        value.starts_with(r#"Digest username="a\"b\\c", "#),
        "{value}"
    );
    assert!(value.contains(r#"response="bc8ccda94f6eaaef9932a8f35c46d37b""#));
    // What we wrote is well-formed: our own auth-param grammar reads it back in one piece.
    let back = Challenge::parse(&value, false).unwrap();
    assert_eq!(
        (back.realm.as_str(), back.nonce.as_str()),
        ("pbx.example", "abc123")
    );
}

#[test]
fn a_username_with_a_line_break_is_refused_not_sent() {
    let challenge = Challenge::parse(SIP_CHALLENGE, false).unwrap();
    let mut auth = client(password("alice\r\nX-Evil: 1", "s3cret"), "deadbeef");
    assert_eq!(
        auth.authorize(&challenge, "REGISTER", "sip:pbx.example", b""),
        Err(DigestError::InvalidCharacter("username"))
    );
    // Nothing was sent, so nothing is remembered for a refresh either.
    assert_eq!(
        auth.authorize_again("REGISTER", "sip:pbx.example", b""),
        Ok(vec![])
    );
    let mut fixed = client(password("alice", "s3cret"), "deadbeef");
    let (_, value) = fixed
        .authorize(&challenge, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert_eq!(param(&value, "nc"), Some("00000001"));
}

#[test]
fn a_non_ascii_username_is_sent_as_utf8() {
    let challenge = Challenge::parse(SIP_CHALLENGE, false).unwrap();
    let mut auth = client(password("Jürgen", "s3cret"), "deadbeef");
    let (_, value) = auth
        .authorize(&challenge, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert!(value.contains(r#"username="Jürgen""#));
}

#[test]
fn a_pinned_realm_refuses_to_answer_a_stranger() {
    let mut credentials = password("alice", "s3cret");
    credentials.realm = Some("pbx.example".to_owned());
    let mut auth = client(credentials, "deadbeef");
    let stranger = Challenge::parse(r#"Digest realm="evil.example", nonce="n""#, false).unwrap();
    let err = auth
        .authorize(&stranger, "REGISTER", "sip:x", b"")
        .unwrap_err();
    assert!(matches!(err, DigestError::RealmMismatch { .. }));
    assert!(err.to_string().contains("evil.example"));
}

fn unauthorized(headers: &[(HeaderName, &str)]) -> SipMessage {
    let code = if headers
        .iter()
        .any(|(n, _)| *n == HeaderName::PROXY_AUTHENTICATE)
    {
        407
    } else {
        401
    };
    let mut msg = SipMessage::response(code, "Unauthorized");
    for (name, value) in headers {
        msg.headers.push(name.clone(), *value);
    }
    msg
}

#[test]
fn a_401_offering_sha256_and_md5_is_answered_with_sha256() {
    let msg = unauthorized(&[
        (
            HeaderName::WWW_AUTHENTICATE,
            r#"Digest realm="pbx.example", nonce="n1", qop="auth", algorithm=MD5"#,
        ),
        (
            HeaderName::WWW_AUTHENTICATE,
            r#"Digest realm="pbx.example", nonce="n2", qop="auth", algorithm=SHA-256"#,
        ),
    ]);
    let mut auth = client(password("alice", "s3cret"), "deadbeef");
    let answers = auth
        .answer(&msg, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(param(&answers[0].1, "algorithm"), Some("SHA-256"));

    // An HA1 cannot do SHA-256, so the same 401 is answered with MD5.
    let mut auth = client(ha1("alice", "0123456789abcdef0123456789abcdef"), "x");
    let answers = auth
        .answer(&msg, "REGISTER", "sip:pbx.example", b"")
        .unwrap();
    assert_eq!(param(&answers[0].1, "algorithm"), Some("MD5"));
}

#[test]
fn a_407_is_answered_with_proxy_authorization_and_each_realm_once() {
    let msg = unauthorized(&[
        (
            HeaderName::PROXY_AUTHENTICATE,
            r#"Digest realm="proxy.example", nonce="p1""#,
        ),
        (
            HeaderName::WWW_AUTHENTICATE,
            r#"Digest realm="pbx.example", nonce="w1""#,
        ),
    ]);
    assert_eq!(challenges(&msg).len(), 2);
    let mut auth = client(password("alice", "s3cret"), "deadbeef");
    let answers = auth
        .answer(&msg, "INVITE", "sip:bob@pbx.example", b"")
        .unwrap();
    let names: Vec<_> = answers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Authorization", "Proxy-Authorization"]);
    let again = auth
        .authorize_again("INVITE", "sip:bob@pbx.example", b"")
        .unwrap();
    assert_eq!(again.len(), 2);
}

#[test]
fn a_401_with_nothing_usable_says_why() {
    let msg = unauthorized(&[(
        HeaderName::WWW_AUTHENTICATE,
        r#"Digest realm="pbx.example", nonce="n", algorithm=SHA-512-256"#,
    )]);
    let mut auth = client(password("alice", "s3cret"), "x");
    let err = auth
        .answer(&msg, "REGISTER", "sip:pbx.example", b"")
        .unwrap_err();
    assert_eq!(err, DigestError::UnsupportedAlgorithm("SHA-512-256".into()));

    let basic = unauthorized(&[(HeaderName::WWW_AUTHENTICATE, r#"Basic realm="x""#)]);
    let err = auth
        .answer(&basic, "REGISTER", "sip:pbx.example", b"")
        .unwrap_err();
    assert_eq!(err, DigestError::UnsupportedScheme("Basic".into()));

    let ok = SipMessage::response(200, "OK");
    assert!(challenges(&ok).is_empty());
    assert_eq!(
        auth.answer(&ok, "REGISTER", "sip:pbx.example", b""),
        Err(DigestError::NoChallenge)
    );
}

#[test]
fn debug_output_never_shows_the_password_or_ha1() {
    let with_password = password("alice", "Circle Of Life");
    let with_ha1 = ha1("alice", "939e7578ed9e3c518a452acee763bce9");
    for credentials in [with_password, with_ha1] {
        let mut auth = client(credentials.clone(), "deadbeef");
        let challenge = Challenge::parse(SIP_CHALLENGE, false).unwrap();
        auth.authorize(&challenge, "REGISTER", "sip:pbx.example", b"")
            .unwrap();
        for printed in [
            format!("{credentials:?}"),
            format!("{credentials:#?}"),
            format!("{auth:?}"),
        ] {
            assert!(printed.contains("alice"), "{printed}");
            assert!(printed.contains("***"), "{printed}");
            assert!(!printed.contains("Circle"), "{printed}");
            assert!(!printed.contains("939e75"), "{printed}");
            assert!(!printed.contains("deadbeef"), "{printed}");
        }
    }
}
