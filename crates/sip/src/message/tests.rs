use super::*;

const REGISTER: &str = "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK776asdhds;rport\r\n\
v: SIP/2.0/TCP [2001:db8::1]:5070 ;branch=z9hG4bKabc\r\n\
Max-Forwards: 70\r\n\
To: <sip:1000@127.0.0.1>\r\n\
f: \"Alice \\\"A\\\"\" <sip:1000@127.0.0.1>;tag=1928301774\r\n\
i: a84b4c76e66710@pc33\r\n\
CSeq: 314159 REGISTER\r\n\
m: <sip:1000@127.0.0.1:40000;transport=udp;ob>;expires=600, sip:1000@10.0.0.1\r\n\
Subject: folded\r\n   across lines\r\n\
l: 4\r\n\r\nbodyEXTRA";

#[test]
fn parses_a_register_with_compact_forms_and_folding() {
    let msg = SipMessage::parse(REGISTER.as_bytes()).expect("valid");
    assert_eq!(msg.method(), Some(&Method::Register));
    assert_eq!(msg.call_id().expect("call-id"), "a84b4c76e66710@pc33");
    assert_eq!(
        msg.cseq().expect("cseq"),
        CSeq {
            seq: 314159,
            method: Method::Register
        }
    );
    let vias = msg.vias().expect("vias");
    assert_eq!(vias.len(), 2);
    assert_eq!(vias[0].branch(), Some("z9hG4bK776asdhds"));
    assert!(vias[0].params.contains("rport"));
    assert_eq!(vias[1].host, Host::Ip("2001:db8::1".parse().expect("ip")));
    assert_eq!(vias[1].port, Some(5070));
    let from = msg.from().expect("from");
    assert_eq!(from.display.as_deref(), Some("Alice \"A\""));
    assert_eq!(from.tag(), Some("1928301774"));
    let contacts = msg.contacts().expect("contacts");
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0].params.value("expires"), Some("600"));
    let uri = contacts[0].sip_uri().expect("uri");
    assert_eq!(uri.port, Some(40000));
    assert!(uri.params.contains("ob"));
    assert_eq!(
        msg.headers.get(HeaderName::new("subject")),
        Some("folded across lines")
    );
    // Over a datagram the bytes after Content-Length are dropped.
    assert_eq!(&msg.body[..], b"body");
}

#[test]
fn print_then_parse_is_stable() {
    let msg = SipMessage::parse(REGISTER.as_bytes()).expect("valid");
    let printed = msg.to_bytes();
    let again = SipMessage::parse(&printed).expect("reparse");
    assert_eq!(msg, again);
    assert_eq!(printed, again.to_bytes());
}

#[test]
fn response_to_copies_the_dialog_headers() {
    let request = SipMessage::parse(REGISTER.as_bytes()).expect("valid");
    let response = SipMessage::response_to(&request, 200, "OK");
    assert_eq!(response.status(), Some(200));
    assert_eq!(response.vias().expect("vias").len(), 2);
    assert_eq!(response.call_id().expect("call-id"), "a84b4c76e66710@pc33");
    assert!(response.contacts().expect("contacts").is_empty());
}

#[test]
fn rejects_truncated_body_and_bad_start_lines() {
    let truncated = "SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    assert!(matches!(
        SipMessage::parse(truncated.as_bytes()),
        Err(ParseError::Truncated {
            declared: 10,
            available: 3
        })
    ));
    for bad in [
        "INVITE  sip:a@b SIP/2.0\r\n\r\n",
        "INVITE sip:a@b SIP/7.0\r\n\r\n",
        "SIP/2.0 20 OK\r\n\r\n",
        "SIP/2.0 200 OK\r\nno colon here\r\n\r\n",
        "INVITE sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n",
    ] {
        assert!(
            SipMessage::parse(bad.as_bytes()).is_err(),
            "{bad:?} should be refused"
        );
    }
}

#[test]
fn retry_after_and_expires_read_as_seconds() {
    let msg = SipMessage::parse(
        b"SIP/2.0 503 Busy\r\nRetry-After: 18000;duration=3600\r\nMin-Expires: 1800\r\n\r\n",
    )
    .expect("valid");
    assert_eq!(msg.seconds(HeaderName::RETRY_AFTER), Some(18000));
    assert_eq!(msg.seconds(HeaderName::MIN_EXPIRES), Some(1800));
    assert_eq!(msg.seconds(HeaderName::EXPIRES), None);
}

#[test]
fn sip_uris_round_trip() {
    for text in [
        "sip:1000@127.0.0.1:5060;transport=tcp",
        "sips:alice:secret@example.com?subject=hi",
        "sip:[2001:db8::10]:5061;maddr=[2001:db8::1]",
        "sip:%61lice@atlanta.com;lr",
    ] {
        let uri = SipUri::parse(text).expect(text);
        assert_eq!(uri.to_string(), text);
    }
    assert!(SipUri::parse("sip:2001:db8::10").is_err());
    assert!(SipUri::parse("tel:+1234").is_err());
    assert!(SipUri::parse("sip:user@host:99999").is_err());
}

#[test]
fn headers_set_replaces_all_lines_in_place() {
    let mut headers = Headers::default();
    headers.push(HeaderName::VIA, "a");
    headers.push(HeaderName::EXPIRES, "1");
    headers.push(HeaderName::new("expires"), "2");
    headers.set(HeaderName::EXPIRES, "3");
    let all: Vec<_> = headers.iter().map(|(n, v)| format!("{n}={v}")).collect();
    assert_eq!(all, ["Via=a", "Expires=3"]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(msg) = SipMessage::parse(&bytes) {
                let _ = msg.vias();
                let _ = msg.cseq();
                let _ = msg.from();
                let _ = msg.contacts();
                let _ = (msg.validate(), msg.max_forwards(), msg.to_bytes());
            }
            let _ = Verdict::of(&bytes, &UaPolicy::default());
        }

        /// Messages built through the API print, parse back to the same headers and body, and
        /// print identically again.
        #[test]
        fn print_parse_print_is_stable_for_generated_messages(
            request in any::<bool>(),
            method in "[A-Z]{3,9}",
            code in 100u16..700,
            reason in "[ -~]{0,20}",
            user in "[a-z0-9._~-]{1,10}",
            host in "[a-z][a-z0-9-]{0,8}(\\.[a-z]{2,5}){0,2}",
            headers in proptest::collection::vec(
                ("[A-Za-z][A-Za-z0-9!%*_+`'~.-]{0,14}", "[!-~]([ -~]{0,30}[!-~])?"),
                0..12,
            ),
            body in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut msg = if request {
                SipMessage::request(Method::from_token(&method), format!("sip:{user}@{host}"))
            } else {
                SipMessage::response(code, reason.trim_start())
            };
            for (name, value) in &headers {
                msg.headers.push(HeaderName::new(name), value.as_str());
            }
            msg.body = bytes::Bytes::from(body);
            let printed = msg.to_bytes();
            let parsed = SipMessage::parse(&printed);
            prop_assert!(parsed.is_ok(), "{:?} on {:?}", parsed, printed);
            let parsed = parsed.expect("checked");
            prop_assert_eq!(&parsed.start, &msg.start);
            prop_assert_eq!(&parsed.body, &msg.body);
            let not_length = |(n, _): &(&HeaderName, &str)| **n != HeaderName::CONTENT_LENGTH;
            let sent: Vec<_> = msg.headers.iter().filter(not_length).collect();
            let got: Vec<_> = parsed.headers.iter().filter(not_length).collect();
            prop_assert_eq!(got, sent);
            prop_assert_eq!(parsed.to_bytes(), printed);
        }

        /// SIP URIs built from parts print and parse back to the same value, IPv6 included.
        #[test]
        fn sip_uris_print_parse_round_trip(
            user in proptest::option::of("[a-zA-Z0-9&=+$,;?/_.!~*'()-]{1,12}"),
            v6 in any::<[u16; 8]>(),
            use_v6 in any::<bool>(),
            port in proptest::option::of(any::<u16>()),
            params in proptest::collection::vec(("[a-z][a-z0-9-]{0,6}", proptest::option::of("[a-zA-Z0-9.!~*_-]{1,8}")), 0..4),
        ) {
            let host = if use_v6 {
                Host::Ip(std::net::IpAddr::V6(std::net::Ipv6Addr::from(v6)))
            } else {
                Host::Name("example.com".into())
            };
            let mut uri = SipUri::new(Scheme::Sip, user.as_deref(), host, port);
            for (name, value) in &params {
                uri.params.set(name, value.as_deref());
            }
            let printed = uri.to_string();
            let parsed = SipUri::parse(&printed);
            prop_assert_eq!(parsed, Ok(uri), "{}", printed);
        }

        #[test]
        fn never_panics_on_mutated_register(at in 0usize..400, byte in any::<u8>()) {
            let mut bytes = REGISTER.as_bytes().to_vec();
            let at = at % bytes.len();
            bytes[at] = byte;
            if let Ok(msg) = SipMessage::parse(&bytes) {
                let _ = (msg.vias(), msg.cseq(), msg.from(), msg.to(), msg.contacts());
                let printed = msg.to_bytes();
                let reparsed = SipMessage::parse(&printed);
                prop_assert!(reparsed.is_ok());
                prop_assert_eq!(reparsed.expect("checked").to_bytes(), printed);
                let _ = (msg.validate(), msg.verdict(&UaPolicy::default()));
            }
        }
    }
}
