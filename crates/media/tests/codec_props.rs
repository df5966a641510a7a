//! Property tests: nothing from the network panics a codec or the fmtp parser, and fmtp
//! printing and parsing agree.

use dialtone_media::codec::g722::G722Decoder;
use dialtone_media::codec::opus::{OpusDecoder, OpusParams, MAX_FRAME_SAMPLES};
use proptest::prelude::*;

fn params() -> impl Strategy<Value = OpusParams> {
    let n = || proptest::option::of(0u32..1_000_000);
    let b = || proptest::option::of(any::<bool>());
    ((n(), n(), n(), n(), n(), n()), (b(), b(), b(), b(), b())).prop_map(
        |((mpr, smcr, mab, pt, minpt, maxpt), (st, sst, fec, dtx, cbr))| OpusParams {
            max_playback_rate: mpr,
            sprop_max_capture_rate: smcr,
            stereo: st,
            sprop_stereo: sst,
            use_inband_fec: fec,
            use_dtx: dtx,
            cbr,
            max_average_bitrate: mab,
            ptime: pt,
            min_ptime: minpt,
            max_ptime: maxpt,
        },
    )
}

proptest! {
    #[test]
    fn fmtp_print_then_parse_is_identity(p in params()) {
        prop_assert_eq!(OpusParams::from_fmtp(&p.to_fmtp()), p);
    }

    #[test]
    fn fmtp_parser_accepts_any_text(s in ".{0,200}") {
        let p = OpusParams::from_fmtp(&s);
        let _ = p.apply_to(Default::default());
    }

    #[test]
    fn opus_decoder_survives_any_payload(payload in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let mut dec = OpusDecoder::new(false).expect("decoder");
        let mut out = vec![0i16; MAX_FRAME_SAMPLES];
        if let Ok(n) = dec.decode(&payload, &mut out) {
            prop_assert!(n <= out.len());
        }
        let _ = dec.decode_fec(&payload, &mut out);
        prop_assert!(dec.conceal(&mut out).is_ok());
    }

    #[test]
    fn g722_decodes_any_payload_to_two_samples_per_byte(payload in proptest::collection::vec(any::<u8>(), 1..400)) {
        let mut dec = G722Decoder::new(320);
        let mut out = vec![0i16; 800];
        prop_assert_eq!(dec.decode(&payload, &mut out), Ok(payload.len() * 2));
    }
}
