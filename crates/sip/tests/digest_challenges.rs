//! Parsing WWW-/Proxy-Authenticate challenges: odd but valid ones accepted, unusable ones refused
//! with a reason, and no input can make the parser panic.
#![allow(clippy::unwrap_used)]

use dialtone_sip::digest::{preferred, Algorithm, Challenge, DigestError};
use proptest::prelude::*;

#[test]
fn parses_a_plain_rfc2617_challenge() {
    let c = Challenge::parse(
        r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        false,
    )
    .unwrap();
    assert_eq!(
        c,
        Challenge {
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            opaque: Some("5ccc069c403ebaf9f0171e9517f40e41".into()),
            algorithm: Algorithm::Md5,
            qop_auth: true,
            qop_auth_int_only: false,
            stale: false,
            proxy: false,
        }
    );
}

#[test]
fn accepts_odd_but_valid_challenges() {
    let c = Challenge::parse(
        "digest   realm = \"Sales, Berlin \\\"HQ\\\"\" ,nonce=\"a,b\",,\talgorithm=md5 , stale=TRUE, qop=\"auth-int, auth\", domain=\"sip:a sip:b\", charset=UTF-8",
        true,
    )
    .unwrap();
    assert_eq!(c.realm, "Sales, Berlin \"HQ\"");
    assert_eq!(c.nonce, "a,b");
    assert_eq!(c.algorithm, Algorithm::Md5);
    assert!(c.stale);
    assert!(c.qop_auth);
    assert!(!c.qop_auth_int_only);
    assert!(c.proxy);
    assert_eq!(c.opaque, None);
}

#[test]
fn reads_the_algorithms_and_defaults_to_md5() {
    for (text, expected) in [
        ("", Algorithm::Md5),
        (", algorithm=MD5-sess", Algorithm::Md5Sess),
        (", algorithm=\"SHA-256\"", Algorithm::Sha256),
        (", algorithm=sha-256-SESS", Algorithm::Sha256Sess),
    ] {
        let c = Challenge::parse(&format!("Digest realm=r, nonce=n{text}"), false).unwrap();
        assert_eq!(c.algorithm, expected, "{text}");
    }
}

#[test]
fn auth_int_alone_is_marked_and_no_qop_means_neither() {
    let c = Challenge::parse(r#"Digest realm="r", nonce="n", qop="auth-int""#, false).unwrap();
    assert!(c.qop_auth_int_only && !c.qop_auth);
    let c = Challenge::parse(r#"Digest realm="r", nonce="n""#, false).unwrap();
    assert!(!c.qop_auth_int_only && !c.qop_auth);
    let c = Challenge::parse(r#"Digest realm="r", nonce="n", stale=false"#, false).unwrap();
    assert!(!c.stale);
}

#[test]
fn refuses_unusable_challenges_with_a_reason() {
    let cases: &[(&str, DigestError)] = &[
        (
            r#"Basic realm="x""#,
            DigestError::UnsupportedScheme("Basic".into()),
        ),
        (
            r#"Digest nonce="n""#,
            DigestError::MissingParameter("realm"),
        ),
        (
            r#"Digest realm="r""#,
            DigestError::MissingParameter("nonce"),
        ),
        (
            r#"Digest realm="r", nonce="n", algorithm=SHA-512-256"#,
            DigestError::UnsupportedAlgorithm("SHA-512-256".into()),
        ),
        (
            r#"Digest realm="r", nonce="n", qop="auth-conf""#,
            DigestError::UnsupportedQop("auth-conf".into()),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            &Challenge::parse(text, false).unwrap_err(),
            expected,
            "{text}"
        );
    }
    for malformed in [
        "",
        "   ",
        r#"Digest realm="r, nonce="n""#,
        r#"Digest realm="r" x, nonce="n""#,
        r#"Digest realm="r", realm="s", nonce="n""#,
        r#"Digest realm=, nonce="n""#,
        r#"realm="r", nonce="n""#,
        r#"Digest realm="r", nonce="n", Digest realm="s", nonce="m""#,
    ] {
        assert!(
            matches!(
                Challenge::parse(malformed, false),
                Err(DigestError::Malformed(_))
            ),
            "{malformed:?} -> {:?}",
            Challenge::parse(malformed, false)
        );
    }
}

#[test]
fn one_header_field_may_hold_several_challenges() {
    let all = Challenge::parse_all(
        r#"Basic realm="a, b", Digest realm="r", nonce="n", algorithm=SHA-256, Digest realm="r", nonce="m""#,
        false,
    );
    assert_eq!(all.len(), 3);
    assert!(matches!(all[0], Err(DigestError::UnsupportedScheme(_))));
    assert_eq!(all[1].as_ref().unwrap().algorithm, Algorithm::Sha256);
    assert_eq!(all[2].as_ref().unwrap().nonce, "m");
}

#[test]
fn prefers_sha256_per_realm_and_keeps_the_topmost_otherwise() {
    let parse = |s: &str, proxy| Challenge::parse(s, proxy).unwrap();
    let list = [
        parse(r#"Digest realm="a", nonce="1", algorithm=MD5"#, false),
        parse(r#"Digest realm="b", nonce="2", algorithm=MD5"#, true),
        parse(r#"Digest realm="a", nonce="3", algorithm=SHA-256"#, false),
        parse(
            r#"Digest realm="a", nonce="4", algorithm=SHA-256-sess"#,
            false,
        ),
        parse(r#"Digest realm="b", nonce="5", algorithm=MD5-sess"#, true),
    ];
    let nonces: Vec<_> = preferred(&list).iter().map(|c| c.nonce.as_str()).collect();
    assert_eq!(nonces, ["3", "2"]);
}

proptest! {
    #[test]
    fn parse_never_panics(text in "\\PC*") {
        let _ = Challenge::parse(&text, false);
        let _ = Challenge::parse_all(&text, true);
    }

    #[test]
    fn parse_never_panics_on_challenge_like_text(
        text in r#"(Digest|digest|Basic)?[ \t]*([a-z]{0,6}[ ]*=?[ ]*("[^"]{0,8}"?|[a-zA-Z0-9/=,\\-]{0,8})[ ,]*){0,6}"#
    ) {
        let _ = Challenge::parse(&text, false);
    }

    #[test]
    fn any_realm_and_nonce_survive_quoting(realm in "\\PC{0,20}", nonce in "[!-~&&[^\"\\\\]]{1,20}") {
        let quoted = realm.replace('\\', "\\\\").replace('"', "\\\"");
        let c = Challenge::parse(&format!("Digest realm=\"{quoted}\", nonce=\"{nonce}\""), false).unwrap();
        prop_assert_eq!(c.realm, realm);
        prop_assert_eq!(c.nonce, nonce);
    }
}
