//! G.711 against the standard: known code words, every reconstruction level recomputed from the
//! G.711 tables' formulas (independently of the crate's table builder), the encoder's decision
//! intervals, and the round-trip error over the whole i16 range.

use dialtone_media::codec::g711::{G711Decoder, G711Encoder, Law};
use dialtone_media::codec::{AudioDecoder, AudioEncoder, CodecError};

/// G.711 Table 2a (µ-law): the code is transmitted inverted; segment `e`, step `q` reconstruct to
/// `((2q + 33) << e) − 33` on the 14-bit scale (max 8031), i.e. ×4 on the 16-bit scale.
fn mu_law_reference(code: u8) -> i16 {
    let c = !code;
    let e = i32::from((c >> 4) & 7);
    let q = i32::from(c & 15);
    let magnitude = (((2 * q + 33) << e) - 33) * 4;
    (if code & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    }) as i16
}

/// G.711 Table 1a (A-law): even bits are inverted (XOR 0x55); segment 0 reconstructs to
/// `2q + 1`, segment `e ≥ 1` to `(2q + 33) << (e − 1)` on the 13-bit scale (max 4032), ×8 on 16 bits.
fn a_law_reference(code: u8) -> i16 {
    let c = code ^ 0x55;
    let e = i32::from((c >> 4) & 7);
    let q = i32::from(c & 15);
    let magnitude = if e == 0 {
        2 * q + 1
    } else {
        (2 * q + 33) << (e - 1)
    } * 8;
    (if c & 0x80 != 0 { magnitude } else { -magnitude }) as i16
}

#[test]
fn mu_law_known_code_words() {
    assert_eq!(Law::Mu.decode(0x00), -32124);
    assert_eq!(Law::Mu.decode(0x80), 32124);
    assert_eq!(Law::Mu.decode(0xFF), 0);
    assert_eq!(Law::Mu.decode(0x7F), 0); // "negative zero"
    assert_eq!(Law::Mu.encode(0), 0xFF);
    assert_eq!(Law::Mu.encode(-1), 0x7F);
    assert_eq!(Law::Mu.encode(32124), 0x80);
    assert_eq!(Law::Mu.encode(-32124), 0x00);
    assert_eq!(Law::Mu.encode(i16::MAX), 0x80); // clipped to the top level
    assert_eq!(Law::Mu.encode(i16::MIN), 0x00);
}

#[test]
fn a_law_known_code_words() {
    assert_eq!(Law::A.decode(0xD5), 8);
    assert_eq!(Law::A.decode(0x55), -8);
    assert_eq!(Law::A.decode(0xAA), 32256);
    assert_eq!(Law::A.decode(0x2A), -32256);
    assert_eq!(Law::A.encode(0), 0xD5);
    assert_eq!(Law::A.encode(-1), 0x55);
    assert_eq!(Law::A.encode(i16::MAX), 0xAA);
    assert_eq!(Law::A.encode(i16::MIN), 0x2A);
}

#[test]
fn every_code_decodes_to_the_standard_reconstruction_level() {
    for code in 0..=255u8 {
        assert_eq!(
            Law::Mu.decode(code),
            mu_law_reference(code),
            "µ-law {code:#04x}"
        );
        assert_eq!(
            Law::A.decode(code),
            a_law_reference(code),
            "A-law {code:#04x}"
        );
    }
}

#[test]
fn every_reconstruction_level_encodes_back_to_its_code() {
    for code in 0..=255u8 {
        let expected = if code == 0x7F { 0xFF } else { code }; // µ-law has two zeros
        assert_eq!(
            Law::Mu.encode(Law::Mu.decode(code)),
            expected,
            "µ-law {code:#04x}"
        );
        assert_eq!(
            Law::A.encode(Law::A.decode(code)),
            code,
            "A-law {code:#04x}"
        );
    }
}

/// The quantisation step of the segment the reconstructed value `y` lies in (16-bit scale).
fn step(law: Law, y: i16) -> i32 {
    let code = law.encode(y);
    let segment = match law {
        Law::Mu => i32::from((!code >> 4) & 7),
        Law::A => i32::from(((code ^ 0x55) >> 4) & 7),
    };
    match law {
        Law::Mu => 8 << segment,
        Law::A => 16 << (segment.max(1) - 1),
    }
}

#[test]
fn round_trip_error_is_within_half_a_step_over_the_whole_range() {
    for law in [Law::Mu, Law::A] {
        let top = i32::from(law.decode(match law {
            Law::Mu => 0x80,
            Law::A => 0xAA,
        }));
        let mut previous = i16::MIN;
        for x in i16::MIN..=i16::MAX {
            let y = law.decode(law.encode(x));
            assert!(y >= previous, "{law:?}: not monotonic at {x}");
            previous = y;
            let error = (i32::from(y) - i32::from(x)).abs();
            if i32::from(x).abs() > top {
                // Beyond the top reconstruction level the input is clipped to it.
                assert_eq!(i32::from(y).abs(), top, "{law:?}: {x} not clipped");
                continue;
            }
            // Half the segment's step, plus the low bits the standard ignores (2 for µ-law's
            // 14-bit input, none extra for A-law whose reconstruction sits mid-step).
            let bound = step(law, y) / 2 + if law == Law::Mu { 3 } else { 0 };
            assert!(
                error <= bound,
                "{law:?}: {x} -> {y}, error {error} > {bound}"
            );
        }
    }
}

#[test]
fn both_laws_are_symmetric_around_zero() {
    for law in [Law::Mu, Law::A] {
        for x in 0..=i16::MAX {
            let positive = law.decode(law.encode(x));
            let negative = law.decode(law.encode(!x)); // one's complement: -x - 1
            assert_eq!(positive, -negative, "{law:?} at {x}");
        }
    }
}

#[test]
fn encoder_and_decoder_round_trip_a_frame_and_report_bad_buffers() {
    let pcm: Vec<i16> = (0..160)
        .map(|i| ((i as f32 * 0.3).sin() * 12_000.0) as i16)
        .collect();
    for law in [Law::Mu, Law::A] {
        let mut encoder = G711Encoder::new(law, 160);
        let mut decoder = G711Decoder::new(law, 160);
        assert_eq!(encoder.format().clock_rate, 8000);
        assert_eq!(encoder.format().frame_ticks(), 160);
        let mut payload = [0u8; 160];
        assert_eq!(encoder.encode(&pcm, &mut payload), Ok(160));
        let mut out = [0i16; 160];
        assert_eq!(decoder.decode(&payload, &mut out), Ok(160));
        for (a, b) in pcm.iter().zip(&out) {
            assert!(
                (i32::from(*a) - i32::from(*b)).abs() <= 400,
                "{law:?}: {a} vs {b}"
            );
        }
        assert_eq!(
            encoder.encode(&pcm[..100], &mut payload),
            Err(CodecError::BadFrameLength {
                expected: 160,
                actual: 100
            })
        );
        assert_eq!(
            encoder.encode(&pcm, &mut payload[..10]),
            Err(CodecError::OutputTooSmall {
                needed: 160,
                available: 10
            })
        );
        assert_eq!(
            decoder.decode(&payload, &mut out[..80]),
            Err(CodecError::OutputTooSmall {
                needed: 160,
                available: 80
            })
        );
        assert_eq!(
            decoder.decode_fec(&payload, &mut out),
            None,
            "G.711 has no FEC"
        );
    }
}
