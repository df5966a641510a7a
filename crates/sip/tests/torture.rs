//! The SIP torture tests: every message of RFC 4475 §3 and RFC 5118 §4, byte for byte
//! (`tests/torture/*.sip`, sources in `tests/torture/README.md`), classified by
//! `SipMessage::parse` + `SipMessage::validate` + `Verdict` exactly as the RFC says a user agent
//! should treat it. Where the RFC allows more than one answer the table records the one we chose
//! and why. No message may panic the parser or any accessor.
//!
//! The same per-message checks as the fuzz target (`fuzz/src/sip_message.rs`, included below)
//! run over the fuzz seed corpus, so the corpus is exercised on stable Rust in every test run.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use dialtone_sip::message::{
    HeaderName, Host, Method, RejectCause, SipMessage, SipUri, UaPolicy, Verdict,
};

/// The fuzz target's body, shared as source so that this crate does not depend on the fuzz crate.
mod fuzz_body {
    include!("../../../fuzz/src/sip_message.rs");
}

/// What a UA must do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Process it.
    Accept,
    /// Answer the request with this status.
    Reject(u16),
    /// Drop it silently (a malformed response).
    Discard,
}

struct Case {
    /// File stem in `tests/torture/`, the RFC's own name for the message.
    name: &'static str,
    /// The RFC and section that gives the verdict.
    section: &'static str,
    /// Our classification (with the UA policy `UaPolicy::default()`).
    expect: Expect,
    /// What the RFC says, and where it allows a choice, which one we made and why.
    why: &'static str,
}

use Expect::{Accept, Discard, Reject};

const CASES: &[Case] = &[
    // ---- RFC 4475 §3.1.1: valid messages; every element must parse them. ----
    Case { name: "wsinv", section: "RFC 4475 §3.1.1.1", expect: Accept,
        why: "short tortuous INVITE: folding, LWS around every separator, compact forms, escaped quotes; well-formed" },
    Case { name: "intmeth", section: "RFC 4475 §3.1.1.2", expect: Reject(501),
        why: "well-formed; the method is unknown, and endpoints answer 501 listing Allow" },
    Case { name: "esc01", section: "RFC 4475 §3.1.1.3", expect: Accept,
        why: "valid %-escapes in Request-URI, To, From and Contact" },
    Case { name: "escnull", section: "RFC 4475 §3.1.1.4", expect: Accept,
        why: "escaped NUL (%00) in a user part is valid; the register succeeds" },
    Case { name: "esc02", section: "RFC 4475 §3.1.1.5", expect: Reject(501),
        why: "% is no escape in a method: RE%47IST%45R is an unknown method (501); C%6Fntact is an unknown header" },
    Case { name: "lwsdisp", section: "RFC 4475 §3.1.1.6", expect: Accept,
        why: "no LWS between display name and '<' is valid" },
    Case { name: "longreq", section: "RFC 4475 §3.1.1.7", expect: Accept,
        why: "long values and 34 Via headers; well-formed" },
    Case { name: "dblreq", section: "RFC 4475 §3.1.1.8", expect: Accept,
        why: "REGISTER followed by an INVITE in one datagram: bytes past Content-Length are discarded (RFC 3261 §18.3)" },
    Case { name: "semiuri", section: "RFC 4475 §3.1.1.9", expect: Accept,
        why: "';' inside the user part of the Request-URI is valid" },
    Case { name: "transports", section: "RFC 4475 §3.1.1.10", expect: Accept,
        why: "unknown transports in Via (SCTP, UNKNOWN) are valid" },
    Case { name: "mpart01", section: "RFC 4475 §3.1.1.11", expect: Accept,
        why: "multipart body with binary part holding NUL octets; framed by Content-Length" },
    Case { name: "unreason", section: "RFC 4475 §3.1.1.12", expect: Accept,
        why: "UTF-8 reason phrase in a 200; valid response" },
    Case { name: "noreason", section: "RFC 4475 §3.1.1.13", expect: Accept,
        why: "empty reason phrase; valid response" },
    // ---- RFC 4475 §3.1.2: invalid messages. ----
    Case { name: "badinv01", section: "RFC 4475 §3.1.2.1", expect: Reject(400),
        why: "empty Via/Contact params and list elements (;;,;,,): 400" },
    Case { name: "clerr", section: "RFC 4475 §3.1.2.2", expect: Reject(400),
        why: "Content-Length larger than the datagram: 400 over UDP (RFC 3261 §18.3)" },
    Case { name: "ncl", section: "RFC 4475 §3.1.2.3", expect: Reject(400),
        why: "negative Content-Length: 400" },
    Case { name: "scalar02", section: "RFC 4475 §3.1.2.4", expect: Reject(400),
        why: "CSeq of 2**65 (and Max-Forwards 300, huge Expires): 400 for the CSeq" },
    Case { name: "scalarlg", section: "RFC 4475 §3.1.2.5", expect: Discard,
        why: "response with overlarge CSeq, Retry-After and warn-code: dropped (responses are never answered)" },
    Case { name: "quotbal", section: "RFC 4475 §3.1.2.6", expect: Reject(400),
        why: "unterminated quoted display name: 400 (inferring the quote is allowed but risky; we do not)" },
    Case { name: "ltgtruri", section: "RFC 4475 §3.1.2.7", expect: Reject(400),
        why: "<> around the Request-URI: 400" },
    Case { name: "lwsruri", section: "RFC 4475 §3.1.2.8", expect: Reject(400),
        why: "LWS inside the Request-URI: 400" },
    Case { name: "lwsstart", section: "RFC 4475 §3.1.2.9", expect: Reject(400),
        why: "several SP between Request-Line elements: 400" },
    Case { name: "trws", section: "RFC 4475 §3.1.2.10", expect: Reject(400),
        why: "SP after SIP-Version at the end of the Request-Line: 400" },
    Case { name: "escruri", section: "RFC 4475 §3.1.2.11", expect: Reject(400),
        why: "escaped headers in a SIP Request-URI are not allowed (RFC 3261 §19.1.5): 400" },
    Case { name: "baddate", section: "RFC 4475 §3.1.2.12", expect: Accept,
        why: "non-GMT Date is invalid, but the RFC says not to reject unless Date matters; we never read Date" },
    Case { name: "regbadct", section: "RFC 4475 §3.1.2.13", expect: Reject(400),
        why: "Contact URI with '?' headers not enclosed in <>: 400 (inferring <> is not possible in general)" },
    Case { name: "badaspec", section: "RFC 4475 §3.1.2.14", expect: Reject(400),
        why: "spaces inside <addr-spec>: reasonable to 400 (chosen; ignoring them is also allowed)" },
    Case { name: "baddn", section: "RFC 4475 §3.1.2.15", expect: Reject(400),
        why: "unquoted display names with non-token characters: 400" },
    Case { name: "badvers", section: "RFC 4475 §3.1.2.16", expect: Reject(505),
        why: "SIP/7.0: 505 Version Not Supported" },
    Case { name: "mismatch01", section: "RFC 4475 §3.1.2.17", expect: Reject(400),
        why: "OPTIONS with CSeq method INVITE: 400" },
    Case { name: "mismatch02", section: "RFC 4475 §3.1.2.18", expect: Reject(400),
        why: "unknown method with mismatching CSeq: 501 preferred, 400 acceptable; validation runs before method policy, so 400" },
    Case { name: "bigcode", section: "RFC 4475 §3.1.2.19", expect: Discard,
        why: "status code 4294967301: malformed response, dropped" },
    // ---- RFC 4475 §3.2: transaction layer. ----
    Case { name: "badbranch", section: "RFC 4475 §3.2.1", expect: Reject(400),
        why: "branch is the bare magic cookie: 400 or fall back to RFC 2543 matching; we reject" },
    // ---- RFC 4475 §3.3: application layer. ----
    Case { name: "insuf", section: "RFC 4475 §3.3.1", expect: Reject(400),
        why: "no To, From, Call-ID or Max-Forwards: 400" },
    Case { name: "unkscm", section: "RFC 4475 §3.3.2", expect: Reject(416),
        why: "unknown Request-URI scheme: 416 Unsupported URI Scheme" },
    Case { name: "novelsc", section: "RFC 4475 §3.3.3", expect: Reject(416),
        why: "known but unsupported scheme (soap.beep): 416" },
    Case { name: "unksm2", section: "RFC 4475 §3.3.4", expect: Accept,
        why: "unknown schemes in To/From/Contact are well-formed; the parser must accept (the registrar decides)" },
    Case { name: "bext01", section: "RFC 4475 §3.3.5", expect: Reject(420),
        why: "Require with unknown options: 420 listing them in Unsupported; Proxy-Require is for proxies" },
    Case { name: "invut", section: "RFC 4475 §3.3.6", expect: Reject(415),
        why: "unknown Content-Type on an INVITE: 415 with Accept" },
    Case { name: "regaut01", section: "RFC 4475 §3.3.7", expect: Accept,
        why: "unknown Authorization scheme is well-formed; a registrar answers 401 (application layer)" },
    Case { name: "multi01", section: "RFC 4475 §3.3.8", expect: Reject(400),
        why: "two CSeq, Call-ID, To, From, Max-Forwards: 400" },
    Case { name: "mcl01", section: "RFC 4475 §3.3.9", expect: Reject(400),
        why: "two different Content-Length values: 400" },
    Case { name: "bcast", section: "RFC 4475 §3.3.10", expect: Accept,
        why: "200 OK with a broadcast second Via is well-formed; the UAC processes it" },
    Case { name: "zeromf", section: "RFC 4475 §3.3.11", expect: Accept,
        why: "Max-Forwards 0 to an endpoint: processed normally (483 is a proxy's answer)" },
    Case { name: "cparam01", section: "RFC 4475 §3.3.12", expect: Accept,
        why: "addr-spec Contact: ';unknownparam' is a contact parameter; valid" },
    Case { name: "cparam02", section: "RFC 4475 §3.3.13", expect: Accept,
        why: "URI parameter inside <>; valid" },
    Case { name: "regescrt", section: "RFC 4475 §3.3.14", expect: Accept,
        why: "escaped Route header inside a <> Contact URI is valid" },
    Case { name: "sdp01", section: "RFC 4475 §3.3.15", expect: Reject(406),
        why: "Accept excludes application/sdp, the only answer we can give: 406" },
    // ---- RFC 4475 §3.4: backward compatibility. ----
    Case { name: "inv2543", section: "RFC 4475 §3.4.1", expect: Accept,
        why: "RFC 2543 INVITE (no branch, no Max-Forwards, no Content-Length): accepted" },
    // ---- RFC 5118 §4: IPv6. ----
    Case { name: "ipv6-good", section: "RFC 5118 §4.1", expect: Accept,
        why: "IPv6 references in Request-URI, Via and Contact" },
    Case { name: "ipv6-bad", section: "RFC 5118 §4.2", expect: Reject(400),
        why: "IPv6 address without brackets in the Request-URI: invalid, 400" },
    Case { name: "port-ambiguous", section: "RFC 5118 §4.3", expect: Accept,
        why: "[2001:db8::10:5070] is an address without port; valid" },
    Case { name: "port-unambiguous", section: "RFC 5118 §4.4", expect: Accept,
        why: "[2001:db8::10]:5070 is address and port; valid" },
    Case { name: "via-received-param-with-delim", section: "RFC 5118 §4.5", expect: Accept,
        why: "received=[IPv6] must be accepted" },
    Case { name: "via-received-param-no-delim", section: "RFC 5118 §4.5", expect: Accept,
        why: "received=IPv6 (the RFC 3261 form) must be accepted" },
    Case { name: "ipv6-in-sdp", section: "RFC 5118 §4.6", expect: Reject(400),
        why: "valid per the RFC, but its printed Content-Length (268) exceeds the body (251 with CRLF): as a datagram that is clerr (400); see ipv6_in_sdp_is_valid_once_framed" },
    Case { name: "mult-ip-in-header", section: "RFC 5118 §4.7", expect: Accept,
        why: "IPv4 and IPv6 Vias in one message" },
    Case { name: "mult-ip-in-sdp", section: "RFC 5118 §4.8", expect: Accept,
        why: "valid; printed Content-Length 181 < body, the surplus is discarded (RFC 3261 §18.3)" },
    Case { name: "ipv4-mapped-ipv6", section: "RFC 5118 §4.9", expect: Accept,
        why: "::ffff:192.0.2.2 references must parse" },
    Case { name: "ipv6-bug-abnf-3-colons", section: "RFC 5118 §4.10", expect: Accept,
        why: "[2001:db8:::192.0.2.1] from RFC 3261's ABNF bug must be tolerated" },
    Case { name: "ipv6-correct-abnf-2-colons", section: "RFC 5118 §4.10", expect: Accept,
        why: "[2001:db8::192.0.2.1], the correct form" },
];

fn torture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/torture")
}

fn message(name: &str) -> Vec<u8> {
    let path = torture_dir().join(format!("{name}.sip"));
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parsed(name: &str) -> SipMessage {
    SipMessage::parse(&message(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn classify(bytes: &[u8]) -> Expect {
    match Verdict::of(bytes, &UaPolicy::default()) {
        Verdict::Accept => Accept,
        Verdict::Reject(rejection) => Reject(rejection.status),
        Verdict::Discard(_) => Discard,
    }
}

#[test]
fn every_torture_message_gets_the_rfc_verdict_without_panicking() {
    let mut wrong = Vec::new();
    for case in CASES {
        let bytes = message(case.name);
        match catch_unwind(AssertUnwindSafe(|| classify(&bytes))) {
            Ok(got) if got == case.expect => {}
            Ok(got) => wrong.push(format!(
                "{} ({}): expected {:?}, got {:?} [{:?}] — {}",
                case.name,
                case.section,
                case.expect,
                got,
                Verdict::of(&bytes, &UaPolicy::default()),
                case.why
            )),
            Err(_) => wrong.push(format!("{} ({}): PANICKED", case.name, case.section)),
        }
    }
    assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
}

#[test]
fn the_table_covers_all_61_messages_and_nothing_else() {
    let mut on_disk: Vec<String> = fs::read_dir(torture_dir())
        .expect("torture dir")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "sip").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    on_disk.sort();
    let mut in_table: Vec<String> = CASES.iter().map(|c| c.name.to_owned()).collect();
    in_table.sort();
    in_table.dedup();
    assert_eq!(on_disk, in_table);
    assert_eq!(
        CASES
            .iter()
            .filter(|c| c.section.starts_with("RFC 4475"))
            .count(),
        49
    );
    assert_eq!(
        CASES
            .iter()
            .filter(|c| c.section.starts_with("RFC 5118"))
            .count(),
        12
    );
}

#[test]
fn every_torture_message_survives_the_fuzz_checks() {
    for case in CASES {
        let bytes = message(case.name);
        let outcome = catch_unwind(AssertUnwindSafe(|| fuzz_body::check_sip_message(&bytes)));
        assert!(outcome.is_ok(), "{} failed the fuzz checks", case.name);
    }
}

#[test]
fn fuzz_seed_corpus_holds_every_torture_message_and_passes_the_fuzz_checks() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/sip_message");
    for case in CASES {
        let seed = fs::read(corpus.join(format!("{}.sip", case.name)))
            .unwrap_or_else(|e| panic!("seed {} missing: {e}", case.name));
        assert_eq!(
            seed,
            message(case.name),
            "seed {} differs from the torture file",
            case.name
        );
    }
    let mut count = 0;
    for entry in fs::read_dir(&corpus).expect("corpus dir") {
        let path = entry.expect("entry").path();
        let bytes = fs::read(&path).expect("seed");
        let outcome = catch_unwind(AssertUnwindSafe(|| fuzz_body::check_sip_message(&bytes)));
        assert!(outcome.is_ok(), "{} failed the fuzz checks", path.display());
        count += 1;
    }
    assert!(count >= CASES.len());
}

// ---- What the accepted messages mean, not only that they parse. ----

#[test]
fn wsinv_unfolds_lws_everywhere_into_three_vias_and_typed_values() {
    let msg = parsed("wsinv");
    let vias = msg.vias().expect("vias");
    let hosts: Vec<String> = vias.iter().map(|v| v.host.to_string()).collect();
    assert_eq!(
        hosts,
        ["192.0.2.2", "spindle.example.com", "192.168.255.111"]
    );
    assert_eq!(vias[1].transport, "TCP");
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(msg.cseq().expect("cseq").seq, 9);
    assert_eq!(msg.max_forwards(), Ok(Some(68)));
    let from = msg.from().expect("from");
    assert_eq!(from.display.as_deref(), Some("J Rosenberg \\\""));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(msg.to().expect("to").tag(), Some("1918181833n"));
    let contact = &msg.contacts().expect("contacts")[0];
    assert_eq!(contact.display.as_deref(), Some("Quoted string \"\""));
    assert_eq!(contact.params.value("q"), Some("0.33"));
    assert_eq!(contact.params.get("secondparam"), Some(None));
    assert_eq!(msg.headers.get(HeaderName::new("Subject")), Some(""));
    assert_eq!(
        msg.headers
            .get(HeaderName::new("UnknownHeaderWithUnusualValue")),
        Some(";;,,;;,;")
    );
    assert_eq!(msg.body.len(), 150);
}

#[test]
fn intmeth_keeps_unusual_tokens_userinfo_and_control_characters_in_quotes() {
    let msg = parsed("intmeth");
    assert_eq!(
        msg.method(),
        Some(&Method::Other(
            "!interesting-Method0123456789_*+`.%indeed'~".into()
        ))
    );
    let uri = SipUri::parse(msg.request_uri().expect("request")).expect("uri");
    assert_eq!(
        uri.user.as_deref(),
        Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
    );
    assert_eq!(
        uri.password.as_deref(),
        Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
    );
    assert_eq!(uri.headers, None);
    let to = msg.to().expect("to");
    assert_eq!(
        to.display.as_deref(),
        Some("BEL:\u{7} NUL:\u{0} DEL:\u{7f}")
    );
    let from = msg.from().expect("from");
    assert_eq!(
        from.display.as_deref(),
        Some("token1~` token2'+_ token3*%!.-")
    );
    assert_eq!(
        from.params.value("fromParam''~+*_!.-%"),
        Some("\"работающий\"")
    );
    assert_eq!(from.tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        msg.call_id(),
        Ok("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
    );
}

#[test]
fn escaped_nul_in_a_user_part_stays_escaped_and_valid() {
    let msg = parsed("escnull");
    let users: Vec<Option<String>> = msg
        .contacts()
        .expect("contacts")
        .iter()
        .map(|c| c.sip_uri().expect("uri").user)
        .collect();
    assert_eq!(users, [Some("%00".to_owned()), Some("%00%00".to_owned())]);
    assert_eq!(msg.validate(), Ok(()));
}

#[test]
fn percent_in_a_method_or_header_name_is_not_an_escape() {
    let msg = parsed("esc02");
    assert_eq!(msg.method(), Some(&Method::Other("RE%47IST%45R".into())));
    assert_eq!(msg.contacts().expect("contacts").len(), 2);
    assert!(msg.headers.get(HeaderName::new("C%6Fntact")).is_some());
}

#[test]
fn a_datagram_with_two_requests_yields_the_first_and_drops_the_rest() {
    let msg = parsed("dblreq");
    assert_eq!(msg.method(), Some(&Method::Register));
    assert!(msg.body.is_empty());
}

#[test]
fn a_binary_multipart_body_is_framed_by_content_length() {
    let msg = parsed("mpart01");
    assert_eq!(msg.body.len(), 553);
    assert!(msg.body.contains(&0));
    assert!(msg.body.ends_with(b"--7a9cbec02ceef655--\r\n"));
}

#[test]
fn bad_extension_rejection_names_the_unsupported_options() {
    let Verdict::Reject(rejection) = Verdict::of(&message("bext01"), &UaPolicy::default()) else {
        panic!("bext01 must be rejected");
    };
    assert_eq!(
        rejection.cause,
        RejectCause::UnsupportedExtensions(vec![
            "nothingSupportsThis".into(),
            "nothingSupportsThisEither".into()
        ])
    );
    let response = SipMessage::error_response(&message("bext01"), &rejection).expect("response");
    assert_eq!(response.status(), Some(420));
    assert_eq!(
        response.headers.get(HeaderName::new("Unsupported")),
        Some("nothingSupportsThis, nothingSupportsThisEither")
    );
}

#[test]
fn a_request_with_a_malformed_request_line_still_gets_a_400_it_can_route() {
    for name in ["lwsstart", "lwsruri", "trws"] {
        let bytes = message(name);
        let Verdict::Reject(rejection) = Verdict::of(&bytes, &UaPolicy::default()) else {
            panic!("{name} must be rejected");
        };
        let response = SipMessage::error_response(&bytes, &rejection).expect("response");
        assert_eq!(response.status(), Some(400), "{name}");
        assert!(response.top_via().is_ok(), "{name}");
        assert!(response.call_id().is_ok(), "{name}");
    }
}

#[test]
fn ipv6_references_keep_address_and_port_apart() {
    let ambiguous = SipUri::parse(parsed("port-ambiguous").request_uri().expect("r")).expect("uri");
    assert_eq!(
        ambiguous.host,
        Host::Ip("2001:db8::10:5070".parse().expect("ip"))
    );
    assert_eq!(ambiguous.port, None);
    let unambiguous =
        SipUri::parse(parsed("port-unambiguous").request_uri().expect("r")).expect("uri");
    assert_eq!(
        unambiguous.host,
        Host::Ip("2001:db8::10".parse().expect("ip"))
    );
    assert_eq!(unambiguous.port, Some(5070));
}

#[test]
fn via_received_is_read_with_or_without_brackets() {
    let expected = "2001:db8::9:255".parse().expect("ip");
    for name in [
        "via-received-param-with-delim",
        "via-received-param-no-delim",
    ] {
        let via = parsed(name).top_via().expect("via");
        assert_eq!(via.received(), Some(Ok(expected)), "{name}");
    }
    let vias = parsed("mult-ip-in-header").vias().expect("vias");
    assert_eq!(vias[0].port, Some(6050));
    assert_eq!(
        vias[2].received(),
        Some(Ok("192.0.2.200".parse().expect("ip")))
    );
}

#[test]
fn the_three_colon_ipv6_form_reads_as_the_two_colon_address() {
    let three =
        SipUri::parse(parsed("ipv6-bug-abnf-3-colons").request_uri().expect("r")).expect("uri");
    let two = SipUri::parse(
        parsed("ipv6-correct-abnf-2-colons")
            .request_uri()
            .expect("r"),
    )
    .expect("uri");
    assert_eq!(three.host, two.host);
    // Only right before an embedded IPv4 address.
    assert!(SipUri::parse("sip:user@[2001:db8:::1]").is_err());
}

#[test]
fn ipv4_mapped_ipv6_addresses_parse_everywhere() {
    let msg = parsed("ipv4-mapped-ipv6");
    let vias = msg.vias().expect("vias");
    assert_eq!(
        vias[0].host,
        Host::Ip("::ffff:192.0.2.10".parse().expect("ip"))
    );
    assert_eq!(vias[0].port, Some(19823));
    let contact = msg.contacts().expect("contacts")[0].sip_uri().expect("uri");
    assert_eq!(contact.host.to_string(), "[::ffff:192.0.2.2]");
}

/// RFC 5118 §4.6's printed Content-Length is wrong (268 for a 251-octet body), so as a datagram
/// it must be refused like RFC 4475's clerr; with the length corrected (as over a stream with
/// the right framing) everything the section is about, IPv6 in headers and SDP, is accepted.
#[test]
fn ipv6_in_sdp_is_valid_once_framed() {
    let bytes = message("ipv6-in-sdp");
    let text = String::from_utf8(bytes).expect("utf-8");
    let fixed = text.replace("Content-Length: 268", "Content-Length: 251");
    assert_eq!(classify(fixed.as_bytes()), Accept);
    let msg = SipMessage::parse(fixed.as_bytes()).expect("parses");
    assert!(msg.body.ends_with(b"a=rtpmap:107 H263-1998/90000\r\n"));
}

/// multi01's printed `l: 154` is larger than its 152-octet body, so framing refuses it first;
/// with the length corrected, the duplicated single-value headers are what gets the 400.
#[test]
fn multi01_is_refused_for_its_duplicate_headers_once_framed() {
    let text = String::from_utf8(message("multi01")).expect("utf-8");
    let fixed = text.replace("l: 154", "l: 152");
    let msg = SipMessage::parse(fixed.as_bytes()).expect("parses once framed");
    assert!(matches!(
        msg.validate(),
        Err(dialtone_sip::message::ParseError::DuplicateHeader(_))
    ));
    assert_eq!(classify(fixed.as_bytes()), Reject(400));
}

/// scalar02 has four faults; each one alone is still refused (the RFC lets an element that sees
/// only the Max-Forwards fault treat it as absent, and only the expiry faults as 3600; we refuse
/// Max-Forwards and leave out-of-range expiries to the registrar as `seconds()` == None).
#[test]
fn scalar02_faults_are_each_detected() {
    let text = String::from_utf8(message("scalar02")).expect("utf-8");
    let cseq_fixed = text.replace("36893488147419103232", "5");
    assert_eq!(
        classify(cseq_fixed.as_bytes()),
        Reject(400),
        "Max-Forwards 300"
    );
    let both_fixed = cseq_fixed.replace("Max-Forwards: 300", "Max-Forwards: 70");
    let msg = SipMessage::parse(both_fixed.as_bytes()).expect("parses");
    assert_eq!(msg.validate(), Ok(()));
    assert_eq!(msg.seconds(HeaderName::EXPIRES), None);
}

mod mutated {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Torture messages with a few octets changed, inserted or removed still pass the fuzz
        /// checks: no panic, and whatever parses prints and parses back the same.
        #[test]
        fn mutated_torture_messages_never_panic_and_round_trip(
            case in 0..CASES.len(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..5),
        ) {
            let mut bytes = message(CASES[case].name);
            for (at, byte, op) in edits {
                let at = at % (bytes.len() + 1);
                match op {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 => bytes.insert(at, byte),
                    _ if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.push(byte),
                }
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| fuzz_body::check_sip_message(&bytes)));
            prop_assert!(outcome.is_ok(), "{:?}", String::from_utf8_lossy(&bytes));
        }
    }
}
