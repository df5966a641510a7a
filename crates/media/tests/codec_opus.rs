//! Opus round trips: tones survive, PLC fades, FEC beats PLC, bad packets never panic.

mod signal;

use dialtone_media::codec::opus::{
    FrameDuration, OpusConfig, OpusDecoder, OpusEncoder, MAX_FRAME_SAMPLES, MAX_PACKET_BYTES,
};
use signal::{align, dominant_frequency, rms, sine_i16, snr_db, to_f32};

/// Encode `pcm` in packets with `config`; returns the payloads.
fn encode_all(config: OpusConfig, pcm: &[i16]) -> Vec<Vec<u8>> {
    let mut enc = OpusEncoder::new(config).expect("encoder");
    let frame = enc.frame_samples();
    let mut out = [0u8; MAX_PACKET_BYTES];
    pcm.chunks_exact(frame)
        .map(|f| {
            let n = enc.encode(f, &mut out).expect("encode");
            out[..n].to_vec()
        })
        .collect()
}

fn decode_all(packets: &[Vec<u8>]) -> Vec<i16> {
    let mut dec = OpusDecoder::new(false).expect("decoder");
    let mut buf = vec![0i16; MAX_FRAME_SAMPLES];
    let mut pcm = Vec::new();
    for p in packets {
        let n = dec.decode(p, &mut buf).expect("decode");
        pcm.extend_from_slice(&buf[..n]);
    }
    pcm
}

fn assert_tone_survives(freq: f64) {
    let original = sine_i16(freq, 48_000, 2.0, 0.5);
    let decoded = decode_all(&encode_all(OpusConfig::default(), &original));
    assert_eq!(decoded.len(), original.len());
    let (o, d) = (to_f32(&original), to_f32(&decoded));
    let f = dominant_frequency(&d, 48_000);
    assert!(
        (f - freq).abs() / freq < 0.02,
        "{freq} Hz came back as {f} Hz"
    );
    let (lag, corr) = align(&o, &d, 1000);
    let snr = snr_db(&o, &d, lag);
    assert!(corr > 0.95, "correlation {corr:.3} at lag {lag}");
    assert!(snr > 15.0, "SNR {snr:.1} dB at lag {lag}");
}

#[test]
fn opus_keeps_a_1khz_tone() {
    assert_tone_survives(1000.0);
}

#[test]
fn opus_keeps_a_440hz_tone() {
    assert_tone_survives(440.0);
}

#[test]
fn opus_encodes_10_20_40_and_60_ms_packets() {
    let pcm = sine_i16(440.0, 48_000, 0.24, 0.5);
    for d in FrameDuration::ALL {
        let config = OpusConfig {
            frame: d,
            ..OpusConfig::default()
        };
        let packets = encode_all(config, &pcm);
        assert_eq!(packets.len(), 240 / d.millis() as usize);
        assert_eq!(decode_all(&packets).len(), pcm.len(), "{d:?}");
    }
}

#[test]
fn opus_encoder_rejects_a_wrong_frame_size() {
    let mut enc = OpusEncoder::new(OpusConfig::default()).expect("encoder");
    let mut out = [0u8; MAX_PACKET_BYTES];
    assert!(enc.encode(&[0i16; 480], &mut out).is_err());
    assert!(enc.encode(&[0i16; 960], &mut out).is_ok());
}

#[test]
fn opus_concealment_is_audible_then_fades() {
    let pcm = sine_i16(440.0, 48_000, 0.5, 0.5);
    let packets = encode_all(OpusConfig::default(), &pcm);
    let mut dec = OpusDecoder::new(false).expect("decoder");
    let mut buf = vec![0i16; MAX_FRAME_SAMPLES];
    let mut last_rms = 0.0;
    for p in &packets {
        let n = dec.decode(p, &mut buf).expect("decode");
        last_rms = rms(&to_f32(&buf[..n]));
    }
    let concealed: Vec<f64> = (0..15)
        .map(|_| {
            let n = dec.conceal(&mut buf).expect("conceal");
            assert_eq!(n, 960, "one 20 ms frame per call");
            rms(&to_f32(&buf[..n]))
        })
        .collect();
    assert!(
        concealed[0] > 0.3 * last_rms,
        "first concealed frame too quiet: {:.4} vs {last_rms:.4}",
        concealed[0]
    );
    assert!(
        concealed[14] < 0.5 * concealed[0],
        "concealment does not fade: {concealed:?}"
    );
}

/// Squared error of `a` against `b`.
fn error(a: &[i16], b: &[i16]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum()
}

#[test]
fn opus_fec_recovers_a_lost_packet_better_than_concealment() {
    // A tone that glides, so that concealment (which extrapolates) cannot simply guess it.
    let pcm: Vec<i16> = (0..48_000)
        .map(|i| {
            let t = f64::from(i) / 48_000.0;
            let f = 300.0 + 400.0 * t;
            (12_000.0 * (2.0 * std::f64::consts::PI * f * t).sin()) as i16
        })
        .collect();
    let config = OpusConfig {
        packet_loss_percent: 20,
        ..OpusConfig::default()
    };
    let packets = encode_all(config, &pcm);
    let reference = decode_all(&packets);
    let lost = 25;
    let span = lost * 960..(lost + 1) * 960;

    let run = |use_fec: bool| -> (Vec<i16>, bool) {
        let mut dec = OpusDecoder::new(false).expect("decoder");
        let mut buf = vec![0i16; MAX_FRAME_SAMPLES];
        let mut out = Vec::new();
        let mut fec_used = false;
        for (i, p) in packets.iter().enumerate() {
            if i == lost {
                let n = match use_fec.then(|| dec.decode_fec(&packets[i + 1], &mut buf)) {
                    Some(Some(r)) => {
                        fec_used = true;
                        r.expect("fec decode")
                    }
                    _ => dec.conceal(&mut buf).expect("conceal"),
                };
                out.extend_from_slice(&buf[..n]);
                continue;
            }
            let n = dec.decode(p, &mut buf).expect("decode");
            out.extend_from_slice(&buf[..n]);
        }
        (out, fec_used)
    };
    let (with_fec, fec_used) = run(true);
    let (with_plc, _) = run(false);
    assert!(fec_used, "the packet after the loss carried no FEC");
    let e_fec = error(&with_fec[span.clone()], &reference[span.clone()]);
    let e_plc = error(&with_plc[span.clone()], &reference[span]);
    assert!(
        e_fec < 0.5 * e_plc,
        "FEC error {e_fec:.3e} is not clearly below PLC error {e_plc:.3e}"
    );
}

#[test]
fn opus_decode_fec_is_none_when_the_sender_sends_no_fec() {
    let pcm = sine_i16(440.0, 48_000, 0.2, 0.5);
    let config = OpusConfig {
        inband_fec: false,
        ..OpusConfig::default()
    };
    let packets = encode_all(config, &pcm);
    let mut dec = OpusDecoder::new(false).expect("decoder");
    let mut buf = vec![0i16; MAX_FRAME_SAMPLES];
    assert!(packets
        .iter()
        .all(|p| dec.decode_fec(p, &mut buf).is_none()));
}

#[test]
fn opus_stereo_decoder_plays_a_mono_stream_on_both_channels() {
    let pcm = sine_i16(1000.0, 48_000, 0.2, 0.5);
    let packets = encode_all(OpusConfig::default(), &pcm);
    let mut dec = OpusDecoder::new(true).expect("decoder");
    let mut buf = vec![0i16; MAX_FRAME_SAMPLES * 2];
    let mut left = Vec::new();
    for p in &packets {
        let n = dec.decode(p, &mut buf).expect("decode");
        assert_eq!(n, 960, "samples per channel");
        left.extend(buf[..2 * n].chunks_exact(2).map(|lr| lr[0]));
        assert!(buf[..2 * n].chunks_exact(2).all(|lr| lr[0] == lr[1]));
    }
    let f = dominant_frequency(&to_f32(&left), 48_000);
    assert!((f - 1000.0).abs() < 20.0, "{f}");
}

#[test]
fn opus_decoder_reports_bad_payloads_instead_of_panicking() {
    let mut dec = OpusDecoder::new(false).expect("decoder");
    let mut buf = vec![0i16; MAX_FRAME_SAMPLES];
    assert!(dec.decode(&[], &mut buf).is_err());
    // A code-3 packet claiming 63 frames of 60 ms (far over 120 ms) is invalid.
    assert!(dec.decode(&[0xfb, 0x3f, 0, 0], &mut buf).is_err());
    // A valid packet into a too-small buffer is an error, not a panic.
    let packets = encode_all(OpusConfig::default(), &sine_i16(440.0, 48_000, 0.02, 0.5));
    assert!(dec.decode(&packets[0], &mut buf[..100]).is_err());
    // Pseudo-random junk: any outcome but a panic.
    let mut x = 0x1234_5678u32;
    for len in 1..400 {
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let _ = dec.decode(&junk, &mut buf);
        let _ = dec.decode_fec(&junk, &mut buf);
    }
}
