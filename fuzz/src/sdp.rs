// The body of the `sdp` fuzz target, kept as a plain function so that stable tests can run it
// too: `crates/media/tests/sdp_properties.rs` includes this file and calls it on every seed of
// `fuzz/corpus/sdp/` and on generated inputs. It uses only `dialtone_media::sdp`'s public API,
// and it panics exactly when the fuzzer should report a bug.

use dialtone_media::sdp::{
    create_answer, process_answer, LocalCapabilities, SessionDescription, SrtpPolicy,
};

/// Parses `data`, exercises every typed accessor, checks print → parse gives the same
/// description, and answers it under each SRTP policy (an answer must parse back the same and
/// keep the offer's m-line count). Panics on any violation; must never panic otherwise.
pub fn check_sdp(data: &[u8]) {
    let Ok(sdp) = SessionDescription::parse_bytes(data) else {
        return;
    };
    let _ = (sdp.direction(), sdp.attributes("group").count());
    for media in &sdp.media {
        let _ = (
            sdp.media_direction(media),
            sdp.media_connection(media)
                .map(|c| (c.ip(), c.is_hold_address())),
            sdp.media_cryptos(media),
            sdp.media_rtcp_mux(media),
            media.codecs(),
            media.rtpmaps().count(),
            media.ptime(),
            media.maxptime(),
            media.rtcp(),
            media.cryptos(),
        );
        for pt in media.payload_types() {
            let _ = (media.fmtp(pt), media.codec(pt));
        }
        for crypto in media.cryptos() {
            let _ = (crypto.key(), crypto.mki(), crypto.to_value());
        }
    }

    let printed = sdp.to_string();
    let again: SessionDescription = printed
        .parse()
        .unwrap_or_else(|e| panic!("a printed SDP does not parse ({e}): {printed:?}"));
    assert_eq!(again, sdp, "print → parse changed the SDP: {printed:?}");
    assert_eq!(again.to_string(), printed, "printing is not stable");

    let local = LocalCapabilities::new([192, 0, 2, 1].into(), 40000);
    for srtp in [SrtpPolicy::Off, SrtpPolicy::Optional, SrtpPolicy::Mandatory] {
        let caps = LocalCapabilities {
            srtp,
            ..local.clone()
        };
        let Ok((answer, negotiated)) = create_answer(&sdp, &caps) else {
            continue;
        };
        assert_eq!(
            answer.media.len(),
            sdp.media.len(),
            "answer must mirror the m-lines"
        );
        assert!(negotiated.media_index < sdp.media.len());
        let text = answer.to_string();
        let parsed: SessionDescription = text
            .parse()
            .unwrap_or_else(|e| panic!("our answer does not parse ({e}): {text:?}"));
        assert_eq!(parsed, answer, "our answer does not survive print → parse");
        // The offer may have several audio lines; only the first usable one is checked here.
        let _ = process_answer(&sdp, &parsed);
    }
}
