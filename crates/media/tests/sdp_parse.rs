//! Parsing and printing real-world SDP: the samples are the fuzz seeds in `fuzz/corpus/sdp/`,
//! modelled on what baresip, Linphone, Asterisk, Yeastar, JsSIP/Chrome and rtpengine send.

use std::net::IpAddr;

use dialtone_media::sdp::{
    Direction, MediaDescription, Rtcp, SdpError, SessionDescription, SrtpSuite,
};

macro_rules! sample {
    ($name:literal) => {
        include_str!(concat!("../../../fuzz/corpus/sdp/", $name))
    };
}

const SAMPLES: &[(&str, &str)] = &[
    ("baresip-opus", sample!("baresip-opus.sdp")),
    ("baresip-savp", sample!("baresip-savp.sdp")),
    ("linphone", sample!("linphone-optional-srtp-video.sdp")),
    ("asterisk", sample!("asterisk-g711.sdp")),
    ("yeastar-hold", sample!("yeastar-hold.sdp")),
    ("rfc2543-hold", sample!("rfc2543-hold.sdp")),
    ("jssip-chrome", sample!("jssip-chrome-webrtc.sdp")),
    ("rtpengine", sample!("rtpengine-answer.sdp")),
    ("ipv6-sloppy", sample!("ipv6-sloppy.sdp")),
];

fn parse(text: &str) -> SessionDescription {
    text.parse()
        .unwrap_or_else(|e| panic!("does not parse: {e}\n{text}"))
}

fn audio(sdp: &SessionDescription) -> &MediaDescription {
    sdp.media
        .iter()
        .find(|m| m.is_audio())
        .expect("an audio m-line")
}

#[test]
fn every_real_world_sample_prints_and_parses_back_the_same() {
    for (name, text) in SAMPLES {
        let parsed = parse(text);
        let printed = parsed.to_string();
        let again = parse(&printed);
        assert_eq!(
            again, parsed,
            "{name}: print → parse changed the description"
        );
        assert_eq!(again.to_string(), printed, "{name}: printing is not stable");
        assert!(
            printed.ends_with("\r\n") && !printed.contains("\r\r"),
            "{name}: CRLF"
        );
    }
}

#[test]
fn well_formed_samples_print_byte_for_byte_as_received() {
    for name in [
        "baresip-opus",
        "baresip-savp",
        "linphone",
        "asterisk",
        "rtpengine",
    ] {
        let (_, text) = SAMPLES.iter().find(|(n, _)| *n == name).expect("sample");
        let text = text.replace("\r\n", "\n").replace('\n', "\r\n");
        assert_eq!(parse(&text).to_string(), text, "{name}");
    }
}

#[test]
fn baresip_offer_exposes_codecs_in_order_with_fmtp_and_ptime() {
    let sdp = parse(sample!("baresip-opus.sdp"));
    let m = audio(&sdp);
    let labels: Vec<String> = m.codecs().iter().map(|c| c.label()).collect();
    assert_eq!(
        labels,
        [
            "opus/48000/2",
            "G722/8000",
            "PCMU/8000",
            "PCMA/8000",
            "telephone-event/8000"
        ]
    );
    assert_eq!(m.fmtp(96), Some("stereo=1;sprop-stereo=1"));
    assert_eq!(m.fmtp(101), Some("0-15"));
    assert_eq!(m.ptime(), Some(20));
    assert_eq!(m.direction(), Some(Direction::SendRecv));
    assert_eq!(m.bandwidths[0].kind, "AS");
    assert_eq!(m.bandwidths[0].value, 86);
    assert_eq!(sdp.origin.session_version, 2583731245);
}

#[test]
fn crypto_lines_are_typed_in_order() {
    let sdp = parse(sample!("baresip-savp.sdp"));
    let cryptos = audio(&sdp).cryptos();
    assert_eq!(cryptos.len(), 2);
    assert_eq!(
        (cryptos[0].tag, &cryptos[0].suite),
        (1, &SrtpSuite::AesCm128HmacSha1_32)
    );
    assert_eq!(
        (cryptos[1].tag, &cryptos[1].suite),
        (2, &SrtpSuite::AesCm128HmacSha1_80)
    );
    assert!(cryptos.iter().all(|c| c.key().is_some()));
    assert!(audio(&sdp).rtcp_mux());
}

#[test]
fn linphone_offer_keeps_video_and_session_attributes() {
    let sdp = parse(sample!("linphone-optional-srtp-video.sdp"));
    assert_eq!(sdp.media.len(), 2);
    assert_eq!(sdp.media[1].media, "video");
    assert_eq!(sdp.session_name, "Talk");
    assert_eq!(
        sdp.attributes("record")
            .next()
            .and_then(|a| a.value.as_deref()),
        Some("off")
    );
    let m = audio(&sdp);
    assert_eq!(m.proto, "RTP/AVP");
    assert_eq!(m.cryptos().len(), 2);
    assert_eq!(
        m.rtcp(),
        Some(Rtcp {
            port: 7079,
            connection: None
        })
    );
    // pt 18 has an fmtp but no rtpmap: the static table names it.
    assert_eq!(m.codec(18).map(|c| c.label()), Some("G729/8000".to_owned()));
    assert_eq!(
        m.codec(18).and_then(|c| c.fmtp),
        Some("annexb=yes".to_owned())
    );
}

#[test]
fn webrtc_attributes_stay_raw_and_in_order_for_the_webrtc_layer() {
    let sdp = parse(sample!("jssip-chrome-webrtc.sdp"));
    let m = audio(&sdp);
    let names: Vec<&str> = m.attributes.iter().map(|a| a.name.as_str()).collect();
    let order = [
        "rtcp",
        "candidate",
        "ice-ufrag",
        "ice-pwd",
        "ice-options",
        "fingerprint",
        "setup",
        "mid",
    ];
    assert_eq!(&names[..order.len()], order);
    assert_eq!(m.attribute_value("ice-ufrag"), Some("Vq9+"));
    assert_eq!(m.attribute_value("setup"), Some("actpass"));
    assert_eq!(
        sdp.attributes("msid-semantic")
            .next()
            .and_then(|a| a.value.as_deref()),
        Some("WMS 3a1b2c"),
    );
    assert_eq!(m.codec(110).map(|c| c.clock_rate), Some(48000));
}

#[test]
fn rtpengine_answer_has_rtcp_with_address_and_mux() {
    let sdp = parse(sample!("rtpengine-answer.sdp"));
    let m = audio(&sdp);
    let rtcp = m.rtcp().expect("a=rtcp");
    assert_eq!(rtcp.port, 9);
    assert_eq!(
        rtcp.connection.and_then(|c| c.ip()),
        Some(IpAddr::from([0, 0, 0, 0]))
    );
    assert!(m.rtcp_mux());
    assert_eq!(m.connections[0].ip(), Some(IpAddr::from([127, 0, 0, 1])));
}

#[test]
fn sloppy_ipv6_sdp_with_lf_extra_spaces_and_unknown_lines_is_accepted() {
    let sdp = parse(sample!("ipv6-sloppy.sdp"));
    assert_eq!(sdp.session_name, "-", "an empty s= becomes `-`");
    let connection = sdp.connection.as_ref().expect("c=");
    assert_eq!(connection.addr_type, "IP6");
    assert_eq!(connection.ip(), "2001:db8::10".parse().ok());
    let m = audio(&sdp);
    assert_eq!((m.port, m.formats.len()), (49170, 3));
    assert_eq!(m.rtpmap(0).map(|r| r.encoding), Some("PCMU".to_owned()));
    assert_eq!(m.ptime(), Some(20), "`20.0` is read as 20");
    assert_eq!(
        m.attributes.len(),
        4,
        "`a = x` is not an attribute and is dropped"
    );
    let rtcp = m.rtcp().expect("a=rtcp");
    assert_eq!(
        rtcp.connection.and_then(|c| c.ip()),
        "2001:db8::11".parse().ok()
    );
}

#[test]
fn hold_samples_say_hold_in_both_styles() {
    let yeastar = parse(sample!("yeastar-hold.sdp"));
    assert_eq!(
        yeastar.media_direction(audio(&yeastar)),
        Direction::SendOnly
    );
    let old = parse(sample!("rfc2543-hold.sdp"));
    assert!(old
        .media_connection(audio(&old))
        .is_some_and(|c| c.is_hold_address()));
    assert_eq!(old.media_direction(audio(&old)), Direction::SendRecv);
}

#[test]
fn media_direction_falls_back_to_the_session_level() {
    let sdp = parse("v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nt=0 0\na=inactive\nm=audio 4000 RTP/AVP 0\nm=audio 4002 RTP/AVP 0\na=recvonly\n");
    assert_eq!(sdp.media_direction(&sdp.media[0]), Direction::Inactive);
    assert_eq!(sdp.media_direction(&sdp.media[1]), Direction::RecvOnly);
}

#[test]
fn missing_s_and_t_are_tolerated_and_printed() {
    let sdp = parse("v=0\no=- 1 1 IN IP4 10.0.0.1\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 0\n");
    let printed = sdp.to_string();
    assert!(
        printed.contains("s=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"),
        "{printed}"
    );
}

fn error_of(text: &str) -> SdpError {
    match text.parse::<SessionDescription>() {
        Ok(_) => panic!("should not parse:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn a_bad_media_port_is_an_error_naming_the_line() {
    let error =
        error_of("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 7o78 RTP/AVP 0\r\n");
    assert_eq!(
        error.to_string(),
        "SDP line 5 `m=audio 7o78 RTP/AVP 0`: port `7o78` is not a number between 0 and 65535"
    );
    assert!(!error.rejects_offer(), "malformed, not merely unacceptable");
    let error = error_of("v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nm=audio 70000 RTP/AVP 0\n");
    assert!(
        matches!(error, SdpError::Malformed { line: 4, .. }),
        "{error}"
    );
}

#[test]
fn malformed_m_and_c_lines_are_errors() {
    let base = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nt=0 0\n";
    for bad in [
        "m=audio 4000\n",
        "m=audio 4000 RTP/AVP 0 x\n",
        "m=audio 4000 RTP/AVP 128\n",
        "m=audio 4000/x RTP/AVP 0\n",
        "c=IN IP4\n",
        "c=IN IP4 10.0.0.300\n",
    ] {
        let error = error_of(&format!("{base}{bad}"));
        assert!(
            matches!(&error, SdpError::Malformed { line: 5, text, .. } if text == bad.trim_end()),
            "{bad}: {error}"
        );
    }
}

#[test]
fn v_and_o_are_required() {
    assert_eq!(
        error_of("o=- 1 1 IN IP4 10.0.0.1\ns=-\n"),
        SdpError::MissingLine("v=0")
    );
    assert_eq!(error_of("v=0\ns=-\n"), SdpError::MissingLine("o="));
    assert!(matches!(
        error_of("v=1\n"),
        SdpError::Malformed { line: 1, .. }
    ));
    assert!(matches!(
        error_of("v=0\no=- 1 one IN IP4 10.0.0.1\n"),
        SdpError::Malformed { line: 2, .. }
    ));
    assert_eq!(error_of(""), SdpError::MissingLine("v=0"));
}

#[test]
fn non_rtp_media_may_use_non_numeric_formats() {
    let sdp = parse("v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nt=0 0\nm=application 5000 TCP/BFCP *\nm=image 0 udptl t38\n");
    assert_eq!(sdp.media[0].formats, ["*"]);
    assert_eq!(sdp.media[1].formats, ["t38"]);
}

#[test]
fn bytes_with_invalid_utf8_in_free_text_still_parse() {
    let mut bytes = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
    let sdp = SessionDescription::parse_bytes(&bytes).expect("parses");
    assert_eq!(sdp.media[0].port, 4000);
}
