//! RFC 3264 offer/answer: codec choice, SRTP policy, hold/resume, rtcp-mux, addresses, extra
//! m-lines, DTMF payload types, re-offers, and errors a user can act on.

use std::net::{IpAddr, SocketAddr};

use dialtone_media::sdp::{
    create_answer, create_offer, process_answer, CodecSpec, Direction, LocalCapabilities,
    MediaDescription, SdpError, SdpSession, SessionDescription, SrtpPolicy, SrtpSuite,
};

macro_rules! sample {
    ($name:literal) => {
        include_str!(concat!("../../../fuzz/corpus/sdp/", $name))
    };
}

fn caps(policy: SrtpPolicy) -> LocalCapabilities {
    LocalCapabilities {
        srtp: policy,
        ..LocalCapabilities::new(IpAddr::from([192, 168, 1, 50]), 40000)
    }
}

fn parse(text: &str) -> SessionDescription {
    text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Round-trips through text, as the SIP layer will.
fn wire(sdp: &SessionDescription) -> SessionDescription {
    parse(&sdp.to_string())
}

fn audio(sdp: &SessionDescription) -> &MediaDescription {
    sdp.media
        .iter()
        .find(|m| m.is_audio() && !m.is_rejected())
        .expect("audio m-line")
}

fn answer(
    offer: &str,
    caps: &LocalCapabilities,
) -> (SessionDescription, dialtone_media::sdp::Negotiated) {
    let (answer, negotiated) = create_answer(&parse(offer), caps).unwrap_or_else(|e| panic!("{e}"));
    (wire(&answer), negotiated)
}

fn answer_error(offer: &str, caps: &LocalCapabilities) -> SdpError {
    match create_answer(&parse(offer), caps) {
        Ok((answer, _)) => panic!("should fail, answered:\n{answer}"),
        Err(e) => e,
    }
}

const PLAIN_OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n\
m=audio 30000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n";

// ---------------------------------------------------------------- our offer

#[test]
fn offer_lists_codecs_in_preference_order_with_dynamic_numbers_and_dtmf() {
    let offer = wire(&create_offer(&caps(SrtpPolicy::Off), 7));
    assert_eq!(offer.origin.session_version, 7);
    assert_eq!(
        offer.connection.as_ref().and_then(|c| c.ip()),
        Some(IpAddr::from([192, 168, 1, 50]))
    );
    let m = audio(&offer);
    assert_eq!((m.port, m.proto.as_str()), (40000, "RTP/AVP"));
    assert_eq!(m.formats, ["96", "9", "0", "8", "97", "98"]);
    let labels: Vec<String> = m.codecs().iter().map(|c| c.label()).collect();
    assert_eq!(
        labels,
        [
            "opus/48000/2",
            "G722/8000",
            "PCMU/8000",
            "PCMA/8000",
            "telephone-event/48000",
            "telephone-event/8000"
        ]
    );
    assert_eq!(m.fmtp(96), Some("useinbandfec=1"));
    assert_eq!(m.fmtp(98), Some("0-16"));
    assert_eq!(m.ptime(), Some(20));
    assert!(m.rtcp_mux());
    assert_eq!(m.direction(), Some(Direction::SendRecv));
    assert!(m.cryptos().is_empty(), "SRTP off offers no keys");
}

#[test]
fn offer_without_opus_offers_only_telephone_event_8000() {
    let mut caps = caps(SrtpPolicy::Off);
    caps.codecs = vec![CodecSpec::pcma(), CodecSpec::pcmu()];
    let offer = create_offer(&caps, 1);
    assert_eq!(audio(&offer).formats, ["8", "0", "96"]);
    assert_eq!(audio(&offer).codec(96).map(|c| c.clock_rate), Some(8000));
}

#[test]
fn opus_max_average_bitrate_goes_into_fmtp() {
    let mut caps = caps(SrtpPolicy::Off);
    caps.codecs = vec![CodecSpec::opus_with_max_bitrate(32000)];
    let offer = create_offer(&caps, 1);
    assert_eq!(
        audio(&offer).fmtp(96),
        Some("useinbandfec=1; maxaveragebitrate=32000")
    );
}

#[test]
fn srtp_policy_decides_the_profile_and_crypto_lines_of_the_offer() {
    let optional = create_offer(&caps(SrtpPolicy::Optional), 1);
    assert_eq!(
        audio(&optional).proto,
        "RTP/AVP",
        "best-effort SDES keeps RTP/AVP"
    );
    let mandatory = create_offer(&caps(SrtpPolicy::Mandatory), 1);
    assert_eq!(audio(&mandatory).proto, "RTP/SAVP");
    for offer in [&optional, &mandatory] {
        let cryptos = audio(&wire(offer)).cryptos();
        assert_eq!(cryptos.len(), 2);
        assert_eq!(
            (cryptos[0].tag, &cryptos[0].suite),
            (1, &SrtpSuite::AesCm128HmacSha1_80)
        );
        assert_eq!(
            (cryptos[1].tag, &cryptos[1].suite),
            (2, &SrtpSuite::AesCm128HmacSha1_32)
        );
        assert!(cryptos[0].key().is_some() && cryptos[0].key() != cryptos[1].key());
    }
    let other = create_offer(&caps(SrtpPolicy::Mandatory), 1);
    assert_ne!(
        audio(&other).cryptos()[0].key(),
        audio(&mandatory).cryptos()[0].key(),
        "fresh keys"
    );
}

#[test]
fn ipv6_capabilities_write_ip6_origin_and_connection() {
    let caps = LocalCapabilities::new("2001:db8::5".parse().expect("ip"), 40000);
    let printed = create_offer(&caps, 1).to_string();
    assert!(printed.contains(" IN IP6 2001:db8::5\r\n"), "{printed}");
    assert!(printed.contains("c=IN IP6 2001:db8::5\r\n"), "{printed}");
}

#[test]
fn separate_rtcp_port_is_announced_when_not_muxed() {
    let mut caps = caps(SrtpPolicy::Off);
    caps.rtcp_mux = false;
    caps.rtcp_port = Some(40011);
    let offer = create_offer(&caps, 1);
    assert!(!audio(&offer).rtcp_mux());
    assert_eq!(audio(&offer).rtcp().map(|r| r.port), Some(40011));
}

// ---------------------------------------------------------------- answering

#[test]
fn answer_picks_the_first_codec_in_our_preference_that_the_offer_has() {
    let all = [
        CodecSpec::opus(),
        CodecSpec::g722(),
        CodecSpec::pcmu(),
        CodecSpec::pcma(),
    ];
    for preferred in 0..all.len() {
        let mut caps = caps(SrtpPolicy::Off);
        caps.codecs = all.to_vec();
        caps.codecs.rotate_left(preferred);
        let (sdp, negotiated) = answer(sample!("baresip-opus.sdp"), &caps);
        let expected = &all[preferred];
        assert!(
            expected.matches(&negotiated.send_codec),
            "{} preferred, got {:?}",
            expected.label(),
            negotiated.send_codec
        );
        let m = audio(&sdp);
        assert_eq!(
            m.formats.len(),
            2,
            "one codec plus telephone-event: {:?}",
            m.formats
        );
        assert_eq!(m.formats[1], "101", "the offer's DTMF number is kept");
    }
}

#[test]
fn answer_keeps_the_offers_payload_numbers_and_our_fmtp() {
    let offer = "v=0\no=- 5 5 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\n\
m=audio 30000 RTP/AVP 111 0 110\na=rtpmap:111 opus/48000/2\na=fmtp:111 maxaveragebitrate=20000\n\
a=rtpmap:110 telephone-event/48000\n";
    let (sdp, negotiated) = answer(offer, &caps(SrtpPolicy::Off));
    let m = audio(&sdp);
    assert_eq!(m.formats, ["111", "110"]);
    assert_eq!(m.fmtp(111), Some("useinbandfec=1"), "our receive wishes");
    assert_eq!(negotiated.send_codec.payload_type, 111);
    assert_eq!(
        negotiated.send_codec.fmtp.as_deref(),
        Some("maxaveragebitrate=20000"),
        "their receive wishes"
    );
    assert_eq!(
        negotiated.recv_codecs.keys().copied().collect::<Vec<_>>(),
        [110, 111]
    );
    assert_eq!(
        (negotiated.dtmf_send_pt, negotiated.dtmf_recv_pt),
        (Some(110), Some(110))
    );
    assert_eq!(
        negotiated.remote_rtp,
        SocketAddr::from(([10, 0, 0, 9], 30000))
    );
}

#[test]
fn static_payload_types_without_rtpmap_are_understood() {
    let (_, negotiated) = answer(PLAIN_OFFER, &caps(SrtpPolicy::Off));
    assert_eq!(negotiated.send_codec.name, "PCMU");
    assert_eq!(negotiated.send_codec.payload_type, 0);
}

#[test]
fn telephone_event_follows_the_clock_rate_of_the_chosen_codec() {
    let linphone = sample!("linphone-optional-srtp-video.sdp");
    let (_, opus) = answer(linphone, &caps(SrtpPolicy::Off));
    assert_eq!(
        (opus.send_codec.clock_rate, opus.dtmf_send_pt),
        (48000, Some(101))
    );
    let mut g711 = caps(SrtpPolicy::Off);
    g711.codecs = vec![CodecSpec::pcma()];
    let (sdp, pcma) = answer(linphone, &g711);
    assert_eq!(
        (pcma.send_codec.payload_type, pcma.dtmf_send_pt),
        (8, Some(100))
    );
    assert_eq!(audio(&sdp).formats, ["8", "100"]);
    // Only /8000 offered, Opus chosen: DTMF still works at 8000.
    let (_, baresip) = answer(sample!("baresip-opus.sdp"), &caps(SrtpPolicy::Off));
    assert_eq!(
        (baresip.send_codec.clock_rate, baresip.dtmf_send_pt),
        (48000, Some(101))
    );
}

#[test]
fn no_dtmf_is_answered_when_dtmf_is_off_or_not_offered() {
    let mut caps = caps(SrtpPolicy::Off);
    caps.dtmf = false;
    let (sdp, negotiated) = answer(PLAIN_OFFER, &caps);
    assert_eq!(
        (negotiated.dtmf_send_pt, audio(&sdp).formats.len()),
        (None, 1)
    );
    let (_, negotiated) = answer(
        sample!("yeastar-hold.sdp").replace("101", "").as_str(),
        &self::caps(SrtpPolicy::Off),
    );
    assert_eq!(negotiated.dtmf_send_pt, None);
}

#[test]
fn no_common_codec_is_a_488_that_lists_both_sides() {
    let offer = "v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\n\
m=audio 30000 RTP/AVP 18 97 101\na=rtpmap:97 iLBC/8000\na=rtpmap:101 telephone-event/8000\n";
    let error = answer_error(offer, &caps(SrtpPolicy::Off));
    assert!(error.rejects_offer());
    assert_eq!(
        error.to_string(),
        "no common audio codec: the other side offered G729/8000, iLBC/8000, we support \
         opus/48000/2, G722/8000, PCMU/8000, PCMA/8000; enable one of the offered codecs in \
         Settings → Audio, or on the other phone"
    );
}

#[test]
fn ptime_follows_the_peer_within_its_maxptime() {
    let offer = PLAIN_OFFER.replace("a=fmtp:101 0-16\r\n", "a=fmtp:101 0-16\r\na=ptime:30\r\n");
    assert_eq!(answer(&offer, &caps(SrtpPolicy::Off)).1.ptime, 30);
    let offer = PLAIN_OFFER.replace(
        "a=fmtp:101 0-16\r\n",
        "a=fmtp:101 0-16\r\na=maxptime:10\r\n",
    );
    assert_eq!(answer(&offer, &caps(SrtpPolicy::Off)).1.ptime, 10);
    assert_eq!(answer(PLAIN_OFFER, &caps(SrtpPolicy::Off)).1.ptime, 20);
}

// ---------------------------------------------------------------- SRTP matrix

const SDES_AVP_OFFER: &str = sample!("linphone-optional-srtp-video.sdp");
const SDES_SAVP_OFFER: &str = sample!("baresip-savp.sdp");

#[test]
fn srtp_off_answers_plain_and_refuses_savp() {
    let caps = caps(SrtpPolicy::Off);
    assert_eq!(answer(PLAIN_OFFER, &caps).1.srtp, None);
    let (sdp, negotiated) = answer(SDES_AVP_OFFER, &caps);
    assert_eq!(negotiated.srtp, None);
    assert!(
        audio(&sdp).cryptos().is_empty(),
        "no keys in a plain answer"
    );
    let error = answer_error(SDES_SAVP_OFFER, &caps);
    assert_eq!(error, SdpError::SrtpDisabled);
    assert!(
        error.rejects_offer()
            && error
                .to_string()
                .contains("set SRTP to optional or mandatory")
    );
}

#[test]
fn srtp_optional_encrypts_when_offered_and_falls_back_to_plain() {
    let caps = caps(SrtpPolicy::Optional);
    assert_eq!(answer(PLAIN_OFFER, &caps).1.srtp, None);
    for offer in [SDES_AVP_OFFER, SDES_SAVP_OFFER] {
        let (sdp, negotiated) = answer(offer, &caps);
        let srtp = negotiated.srtp.expect("encrypted");
        let ours = &audio(&sdp).cryptos()[0];
        let theirs = &audio(&parse(offer)).cryptos()[0];
        assert_eq!(
            (ours.tag, &ours.suite),
            (theirs.tag, &theirs.suite),
            "first offered suite, same tag"
        );
        assert_eq!(Some(&srtp.remote_key), theirs.key().as_ref());
        assert_eq!(Some(&srtp.local_key), ours.key().as_ref());
        assert_ne!(srtp.local_key, srtp.remote_key, "our own key, not an echo");
        assert_eq!(
            audio(&sdp).proto,
            audio(&parse(offer)).proto,
            "profile mirrored"
        );
    }
}

#[test]
fn srtp_mandatory_refuses_plain_offers_with_a_reason() {
    let caps = caps(SrtpPolicy::Mandatory);
    let error = answer_error(PLAIN_OFFER, &caps);
    assert_eq!(error, SdpError::SrtpRequired);
    assert!(error.rejects_offer());
    assert!(error.to_string().contains("requires SRTP"), "{error}");
    assert!(answer(SDES_AVP_OFFER, &caps).1.srtp.is_some());
    assert!(answer(SDES_SAVP_OFFER, &caps).1.srtp.is_some());
}

#[test]
fn crypto_choice_skips_suites_we_do_not_have() {
    let offer =
        "v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=audio 30000 RTP/SAVP 0\n\
a=crypto:1 AEAD_AES_256_GCM inline:bTXL7yBd8CuzkKvYf4YiGys1bqADzGOi9bTWY0CpbTXL7yBd8Cuz\n\
a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:AAAA\n\
a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:luB2spMshnivHCoUW/6/Bb7ktQddVXdrAIVMJejN|2^31\n";
    let (sdp, negotiated) = answer(offer, &caps(SrtpPolicy::Optional));
    let srtp = negotiated.srtp.expect("encrypted");
    assert_eq!(srtp.suite, SrtpSuite::AesCm128HmacSha1_32);
    assert_eq!(srtp.remote_mki, None);
    assert_eq!(audio(&sdp).cryptos()[0].tag, 3);
}

#[test]
fn savp_offer_with_only_unknown_suites_names_them() {
    let offer =
        "v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=audio 30000 RTP/SAVP 0\n\
a=crypto:1 AEAD_AES_256_GCM inline:bTXL7yBd8CuzkKvYf4YiGys1bqADzGOi9bTWY0CpbTXL7yBd8Cuz\n";
    let error = answer_error(offer, &caps(SrtpPolicy::Optional));
    assert_eq!(
        error,
        SdpError::NoCommonCryptoSuite {
            offered: vec!["AEAD_AES_256_GCM".into()]
        }
    );
    assert!(error.to_string().contains("AEAD_AES_256_GCM"));
}

#[test]
fn our_offer_under_each_policy_meets_a_peer_with_or_without_sdes() {
    for policy in [SrtpPolicy::Off, SrtpPolicy::Optional, SrtpPolicy::Mandatory] {
        for peer in [SrtpPolicy::Off, SrtpPolicy::Optional, SrtpPolicy::Mandatory] {
            let offer = wire(&create_offer(&caps(policy), 1));
            let peer_caps = LocalCapabilities {
                rtp_port: 50000,
                ..caps(peer)
            };
            let outcome = create_answer(&offer, &peer_caps);
            let expect_encrypted = policy != SrtpPolicy::Off && peer != SrtpPolicy::Off;
            match (policy, peer) {
                (SrtpPolicy::Mandatory, SrtpPolicy::Off) => {
                    assert_eq!(outcome.err(), Some(SdpError::SrtpDisabled));
                    continue;
                }
                (SrtpPolicy::Off, SrtpPolicy::Mandatory) => {
                    assert_eq!(outcome.err(), Some(SdpError::SrtpRequired));
                    continue;
                }
                _ => {}
            }
            let (reply, theirs) = outcome.unwrap_or_else(|e| panic!("{policy:?}/{peer:?}: {e}"));
            let ours = process_answer(&offer, &wire(&reply))
                .unwrap_or_else(|e| panic!("{policy:?}/{peer:?}: {e}"));
            assert_eq!(
                ours.srtp.is_some(),
                expect_encrypted,
                "{policy:?} offer, {peer:?} peer"
            );
            if let (Some(a), Some(b)) = (&ours.srtp, &theirs.srtp) {
                assert_eq!(
                    (&a.local_key, &a.remote_key),
                    (&b.remote_key, &b.local_key),
                    "keys cross over"
                );
                assert_eq!(a.suite, SrtpSuite::AesCm128HmacSha1_80);
            }
            assert_eq!(ours.send_codec.name, "opus");
            assert_eq!(ours.remote_rtp.port(), 50000);
            assert_eq!(theirs.remote_rtp.port(), 40000);
        }
    }
}

#[test]
fn a_plain_answer_to_a_mandatory_offer_fails_and_a_wrong_tag_is_a_mismatch() {
    let offer = wire(&create_offer(&caps(SrtpPolicy::Mandatory), 1));
    let plain = parse(&offer.to_string().replace("RTP/SAVP", "RTP/AVP"));
    let (reply, _) = create_answer(&plain, &caps(SrtpPolicy::Off)).expect("plain answer");
    let reply = parse(&reply.to_string().replace("RTP/AVP", "RTP/SAVP"));
    assert_eq!(
        process_answer(&offer, &reply).err(),
        Some(SdpError::SrtpRequired)
    );

    let (good, _) = create_answer(&offer, &caps(SrtpPolicy::Mandatory)).expect("answer");
    let bad = parse(&good.to_string().replace("a=crypto:1 ", "a=crypto:9 "));
    assert!(
        matches!(process_answer(&offer, &bad), Err(SdpError::AnswerMismatch(m)) if m.contains("tag 9"))
    );
    let swapped = parse(&good.to_string().replace(
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80",
        "a=crypto:1 AES_CM_128_HMAC_SHA1_32",
    ));
    assert!(matches!(
        process_answer(&offer, &swapped),
        Err(SdpError::AnswerMismatch(_))
    ));
}

// ---------------------------------------------------------------- answers to our offer

#[test]
fn answer_must_pick_from_our_offer() {
    let offer = wire(&create_offer(&caps(SrtpPolicy::Off), 1));
    let foreign = parse(
        "v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=audio 30000 RTP/AVP 18\n",
    );
    assert!(matches!(
        process_answer(&offer, &foreign),
        Err(SdpError::NoCommonCodec { .. })
    ));
    let remapped = parse("v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=audio 30000 RTP/AVP 96\na=rtpmap:96 iLBC/8000\n");
    assert!(matches!(
        process_answer(&offer, &remapped),
        Err(SdpError::NoCommonCodec { .. })
    ));
    let rejected =
        parse("v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=audio 0 RTP/AVP 0\n");
    assert_eq!(
        process_answer(&offer, &rejected).err(),
        Some(SdpError::AudioRejected)
    );
    let two = parse("v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=audio 3 RTP/AVP 0\nm=video 0 RTP/AVP 96\n");
    assert!(matches!(
        process_answer(&offer, &two),
        Err(SdpError::AnswerMismatch(_))
    ));
}

#[test]
fn answer_from_asterisk_gives_send_codec_dtmf_and_addresses() {
    let offer = wire(&create_offer(&caps(SrtpPolicy::Off), 1));
    let reply = parse(
        "v=0\r\no=- 9 9 IN IP4 10.0.0.5\r\ns=Asterisk\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n\
m=audio 14212 RTP/AVP 9 0 98\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:98 telephone-event/8000\r\na=fmtp:98 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
    );
    let n = process_answer(&offer, &reply).expect("negotiated");
    assert_eq!(
        (n.send_codec.name.as_str(), n.send_codec.payload_type),
        ("G722", 9)
    );
    assert_eq!(
        n.recv_codecs.keys().copied().collect::<Vec<_>>(),
        [0, 9, 98]
    );
    assert_eq!(n.dtmf_send_pt, Some(98));
    assert_eq!(n.remote_rtp, SocketAddr::from(([10, 0, 0, 5], 14212)));
    assert_eq!(
        n.remote_rtcp,
        SocketAddr::from(([10, 0, 0, 5], 14213)),
        "no mux, no a=rtcp: port + 1"
    );
    assert!(!n.rtcp_mux, "they did not accept rtcp-mux");
    assert!(n.should_send() && n.should_receive() && !n.held_by_remote);
}

// ---------------------------------------------------------------- RTCP

#[test]
fn rtcp_mux_is_used_only_when_both_sides_want_it() {
    let muxed = sample!("baresip-savp.sdp");
    let on = caps(SrtpPolicy::Optional);
    let (sdp, n) = answer(muxed, &on);
    assert!(n.rtcp_mux && audio(&sdp).rtcp_mux());
    assert_eq!(n.remote_rtcp, n.remote_rtp);

    let off = LocalCapabilities {
        rtcp_mux: false,
        ..on.clone()
    };
    let (sdp, n) = answer(muxed, &off);
    assert!(!n.rtcp_mux && !audio(&sdp).rtcp_mux());
    assert_eq!(n.remote_rtcp.port(), n.remote_rtp.port() + 1);

    let (sdp, n) = answer(PLAIN_OFFER, &on);
    assert!(
        !n.rtcp_mux && !audio(&sdp).rtcp_mux(),
        "not offered, not answered"
    );
}

#[test]
fn rtcp_attribute_gives_the_remote_rtcp_port_and_address() {
    let (_, n) = answer(
        sample!("linphone-optional-srtp-video.sdp"),
        &caps(SrtpPolicy::Off),
    );
    assert_eq!(n.remote_rtcp, SocketAddr::from(([192, 168, 0, 10], 7079)));
    let with_address = PLAIN_OFFER.replace(
        "a=fmtp:101 0-16\r\n",
        "a=fmtp:101 0-16\r\na=rtcp:31000 IN IP4 10.0.0.10\r\n",
    );
    let (_, n) = answer(&with_address, &caps(SrtpPolicy::Off));
    assert_eq!(n.remote_rtcp, SocketAddr::from(([10, 0, 0, 10], 31000)));
}

#[test]
fn ipv6_offer_gives_ipv6_remote_addresses() {
    let (_, n) = answer(sample!("ipv6-sloppy.sdp"), &caps(SrtpPolicy::Off));
    let ip: IpAddr = "2001:db8::10".parse().expect("ip");
    assert_eq!(n.remote_rtp, SocketAddr::new(ip, 49170));
    assert_eq!(
        n.remote_rtcp,
        SocketAddr::new("2001:db8::11".parse().expect("ip"), 49300)
    );
}

// ---------------------------------------------------------------- m-lines

#[test]
fn video_and_other_media_are_answered_with_port_zero() {
    let (sdp, n) = answer(
        sample!("linphone-optional-srtp-video.sdp"),
        &caps(SrtpPolicy::Off),
    );
    assert_eq!(sdp.media.len(), 2);
    assert_eq!(n.media_index, 0);
    let video = &sdp.media[1];
    assert_eq!(
        (video.media.as_str(), video.port, video.proto.as_str()),
        ("video", 0, "RTP/AVP")
    );
    assert_eq!(video.formats, ["96", "97"]);
    assert!(video.attributes.is_empty());
}

#[test]
fn first_usable_audio_line_wins_and_the_rest_are_rejected() {
    let offer = "v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\n\
m=image 30002 udptl t38\nm=audio 30004 RTP/AVP 18\nm=audio 30006 RTP/AVP 8\nm=audio 30008 RTP/AVP 0\n";
    let (sdp, n) = answer(offer, &caps(SrtpPolicy::Off));
    let ports: Vec<u16> = sdp.media.iter().map(|m| m.port).collect();
    assert_eq!(ports, [0, 0, 40000, 0]);
    assert_eq!((n.media_index, n.send_codec.name.as_str()), (2, "PCMA"));
}

#[test]
fn webrtc_offer_is_refused_as_unsupported_transport() {
    let error = answer_error(
        sample!("jssip-chrome-webrtc.sdp"),
        &caps(SrtpPolicy::Optional),
    );
    assert_eq!(
        error,
        SdpError::UnsupportedTransport {
            proto: "UDP/TLS/RTP/SAVPF".into()
        }
    );
    assert!(error.rejects_offer());
}

#[test]
fn offer_without_audio_is_refused() {
    let offer =
        "v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=video 30000 RTP/AVP 96\n";
    assert_eq!(
        answer_error(offer, &caps(SrtpPolicy::Off)),
        SdpError::NoAudio
    );
    let no_address = "v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nt=0 0\nm=audio 30000 RTP/AVP 0\n";
    assert!(matches!(
        answer_error(no_address, &caps(SrtpPolicy::Off)),
        SdpError::NoAddress(_)
    ));
}

// ---------------------------------------------------------------- hold and resume

fn pair() -> (SdpSession, SdpSession) {
    let a = SdpSession::new(caps(SrtpPolicy::Optional));
    let b = SdpSession::new(LocalCapabilities {
        rtp_port: 50000,
        ..caps(SrtpPolicy::Optional)
    });
    (a, b)
}

/// `from` offers (through `offer`), `to` answers, `from` processes; returns (from's, to's) view.
fn exchange(
    offer: SessionDescription,
    from: &mut SdpSession,
    to: &mut SdpSession,
) -> (
    dialtone_media::sdp::Negotiated,
    dialtone_media::sdp::Negotiated,
    SessionDescription,
) {
    let (reply, theirs) = to.create_answer(&wire(&offer)).expect("answer");
    let ours = from.process_answer(&wire(&reply)).expect("processed");
    (ours, theirs, reply)
}

#[test]
fn hold_and_resume_from_our_side() {
    let (mut a, mut b) = pair();
    let offer = a.create_offer();
    let (first, _, _) = exchange(offer.clone(), &mut a, &mut b);

    let hold = a.hold();
    assert_eq!(
        hold.origin.session_id, offer.origin.session_id,
        "same session"
    );
    assert_eq!(
        hold.origin.session_version,
        offer.origin.session_version + 1
    );
    assert_eq!(audio(&hold).direction(), Some(Direction::SendOnly));
    assert_eq!(
        audio(&hold).cryptos(),
        audio(&offer).cryptos(),
        "no rekeying for hold"
    );
    assert_eq!(audio(&hold).formats, audio(&offer).formats);
    let (ours, theirs, reply) = exchange(hold, &mut a, &mut b);
    assert_eq!(audio(&reply).direction(), Some(Direction::RecvOnly));
    assert!(theirs.held_by_remote && !theirs.should_send() && theirs.should_receive());
    assert!(!ours.held_by_remote && ours.should_send() && !ours.should_receive());
    assert_eq!(ours.srtp, first.srtp, "keys unchanged");

    let resume = a.resume();
    assert_eq!(
        resume.origin.session_version,
        offer.origin.session_version + 2
    );
    assert_eq!(audio(&resume).direction(), Some(Direction::SendRecv));
    let (ours, theirs, _) = exchange(resume, &mut a, &mut b);
    assert!(!theirs.held_by_remote && theirs.should_send());
    assert!(ours.should_send() && ours.should_receive());
}

#[test]
fn hold_from_both_sides_goes_inactive_and_back() {
    let (mut a, mut b) = pair();
    let offer = a.create_offer();
    exchange(offer, &mut a, &mut b);
    let hold = a.hold();
    exchange(hold, &mut a, &mut b);
    assert!(b.is_held_by_remote());

    // B holds too: B is already held, so it offers inactive; A (holding) answers inactive.
    let hold_b = b.hold();
    assert_eq!(audio(&hold_b).direction(), Some(Direction::Inactive));
    let (b_view, a_view, reply) = exchange(hold_b, &mut b, &mut a);
    assert_eq!(audio(&reply).direction(), Some(Direction::Inactive));
    assert!(
        b_view.held_by_remote,
        "still held by A: an inactive answer does not change that"
    );
    assert!(a_view.held_by_remote);
    assert!(!a_view.should_send() && !b_view.should_send());

    // B resumes while A still holds: A answers sendonly, B is still held.
    let resume_b = b.resume();
    assert_eq!(audio(&resume_b).direction(), Some(Direction::SendRecv));
    let (b_view, a_view, reply) = exchange(resume_b, &mut b, &mut a);
    assert_eq!(audio(&reply).direction(), Some(Direction::SendOnly));
    assert!(b_view.held_by_remote && b_view.should_receive() && !b_view.should_send());
    assert!(!a_view.held_by_remote);

    // A resumes: both send again.
    let resume_a = a.resume();
    let (a_view, b_view, _) = exchange(resume_a, &mut a, &mut b);
    assert!(a_view.should_send() && a_view.should_receive() && !a_view.held_by_remote);
    assert!(b_view.should_send() && !b_view.held_by_remote);
}

#[test]
fn being_held_by_a_yeastar_sendonly_offer_answers_recvonly() {
    let (sdp, n) = answer(sample!("yeastar-hold.sdp"), &caps(SrtpPolicy::Optional));
    assert_eq!(audio(&sdp).direction(), Some(Direction::RecvOnly));
    assert!(n.held_by_remote);
    assert_eq!(
        (n.local_direction, n.remote_direction),
        (Direction::RecvOnly, Direction::SendOnly)
    );
}

#[test]
fn rfc2543_hold_with_zero_address_counts_as_held() {
    let (sdp, n) = answer(sample!("rfc2543-hold.sdp"), &caps(SrtpPolicy::Optional));
    assert!(n.held_by_remote && !n.should_send());
    assert_eq!(audio(&sdp).direction(), Some(Direction::RecvOnly));
}

#[test]
fn inactive_offer_is_answered_inactive() {
    let offer = format!("{PLAIN_OFFER}a=inactive\r\n");
    let (sdp, n) = answer(&offer, &caps(SrtpPolicy::Off));
    assert_eq!(audio(&sdp).direction(), Some(Direction::Inactive));
    assert!(n.held_by_remote && !n.should_send() && !n.should_receive());
}

#[test]
fn an_unchanged_re_offer_keeps_its_version() {
    let (mut a, _) = pair();
    let first = a.create_offer();
    let again = a.create_offer();
    assert_eq!(first, again);
}

// ---------------------------------------------------------------- re-offers and late offer

#[test]
fn re_offer_with_a_changed_codec_set_is_answered_with_a_new_codec() {
    let (mut a, mut b) = pair();
    let offer = a.create_offer();
    let (first, _, first_answer) = exchange(offer, &mut a, &mut b);
    assert_eq!(first.send_codec.name, "opus");

    let mut narrower = a.capabilities().clone();
    narrower.codecs = vec![CodecSpec::pcma(), CodecSpec::pcmu()];
    a.set_capabilities(narrower);
    let reoffer = a.create_offer();
    assert_eq!(audio(&reoffer).formats, ["8", "0", "96"]);
    let (ours, theirs, reply) = exchange(reoffer, &mut a, &mut b);
    assert_eq!(
        theirs.send_codec.name, "PCMU",
        "B's preference among what A now offers"
    );
    assert_eq!(ours.send_codec.name, "PCMU");
    assert_eq!(theirs.dtmf_send_pt, Some(96));
    assert_eq!(reply.origin.session_id, first_answer.origin.session_id);
    assert_eq!(
        reply.origin.session_version,
        first_answer.origin.session_version + 1
    );
}

#[test]
fn re_offer_from_the_answerer_keeps_the_payload_numbers_agreed_before() {
    let mut b = SdpSession::new(caps(SrtpPolicy::Off));
    let offer = parse(
        sample!("jssip-chrome-webrtc.sdp")
            .replace("UDP/TLS/RTP/SAVPF", "RTP/AVP")
            .as_str(),
    );
    let (_, n) = b.create_answer(&offer).expect("answer");
    assert_eq!(
        (n.send_codec.payload_type, n.dtmf_send_pt),
        (111, Some(110))
    );
    let reoffer = b.hold();
    let m = audio(&reoffer);
    assert_eq!(m.rtpmap(111).map(|r| r.encoding), Some("opus".to_owned()));
    assert_eq!(
        m.rtpmap(110).map(|r| r.encoding),
        Some("telephone-event".to_owned())
    );
    assert_eq!(m.direction(), Some(Direction::SendOnly));
}

#[test]
fn late_offer_uses_the_same_calls() {
    // INVITE without SDP: we offer in the 200 OK, the answer arrives in the ACK.
    let (mut a, mut b) = pair();
    let offer_in_200 = a.create_offer();
    let (ours, theirs, _) = exchange(offer_in_200, &mut a, &mut b);
    assert_eq!(ours.send_codec.name, theirs.send_codec.name);
    assert!(ours.srtp.is_some() && theirs.srtp.is_some());
    // A stray answer with nothing outstanding is refused, not guessed at.
    let stray = a.create_offer();
    a.process_answer(&stray).ok();
    assert!(matches!(
        a.process_answer(&stray),
        Err(SdpError::AnswerMismatch(_))
    ));
}

#[test]
fn a_refused_re_offer_leaves_the_call_as_it_was() {
    let (mut a, mut b) = pair();
    let offer = a.create_offer();
    let (_, before, _) = exchange(offer, &mut a, &mut b);
    let g729 = parse(
        "v=0\no=- 1 1 IN IP4 10.0.0.9\ns=-\nc=IN IP4 10.0.0.9\nt=0 0\nm=audio 30000 RTP/AVP 18\n",
    );
    assert!(b.create_answer(&g729).is_err());
    assert_eq!(b.negotiated(), Some(&before));
}

#[test]
fn crypto_lines_with_an_mki_or_kdr_are_passed_over_for_a_plain_one() {
    use dialtone_media::sdp::{create_answer, parse, LocalCapabilities, SrtpPolicy};
    let offer = parse(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
         m=audio 4000 RTP/SAVP 0\r\n\
         a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n\
         a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz KDR=1\r\n\
         a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
    )
    .expect("valid offer");
    let mut caps = LocalCapabilities::new("192.0.2.2".parse().expect("ip"), 5000);
    caps.srtp = SrtpPolicy::Mandatory;
    let (answer, negotiated) = create_answer(&offer, &caps).expect("answerable with tag 3");
    assert!(
        answer
            .to_string()
            .contains("a=crypto:3 AES_CM_128_HMAC_SHA1_32"),
        "{answer}"
    );
    assert!(negotiated.srtp.expect("srtp").remote_mki.is_none());
}
