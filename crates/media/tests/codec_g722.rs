//! G.722 round trips, the RFC 3551 clock-rate quirk, and repeat-and-fade concealment.

mod signal;

use dialtone_media::codec::g722::{
    rtp_timestamp_delta, G722Decoder, G722Encoder, PAYLOAD_TYPE, RTP_CLOCK_RATE, SAMPLE_RATE,
};
use dialtone_media::codec::CodecError;
use signal::{align, dominant_frequency, rms, sine_i16, snr_db, to_f32};

fn round_trip(pcm: &[i16]) -> Vec<i16> {
    let mut enc = G722Encoder::new(320);
    let mut dec = G722Decoder::new(320);
    let (mut payload, mut frame) = ([0u8; 160], [0i16; 320]);
    let mut out = Vec::new();
    for f in pcm.chunks_exact(320) {
        let n = enc.encode(f, &mut payload).expect("encode");
        assert_eq!(n, 160, "20 ms of G.722 is 160 bytes");
        let m = dec.decode(&payload[..n], &mut frame).expect("decode");
        out.extend_from_slice(&frame[..m]);
    }
    out
}

fn assert_tone_survives(freq: f64) {
    let original = sine_i16(freq, SAMPLE_RATE, 2.0, 0.5);
    let decoded = round_trip(&original);
    assert_eq!(decoded.len(), original.len());
    let (o, d) = (to_f32(&original), to_f32(&decoded));
    let f = dominant_frequency(&d, SAMPLE_RATE);
    assert!(
        (f - freq).abs() / freq < 0.02,
        "{freq} Hz came back as {f} Hz"
    );
    let (lag, corr) = align(&o, &d, 200);
    let snr = snr_db(&o, &d, lag);
    assert!(corr > 0.98, "correlation {corr:.3} at lag {lag}");
    assert!(snr > 20.0, "SNR {snr:.1} dB at lag {lag}");
}

#[test]
fn g722_keeps_a_1khz_tone() {
    assert_tone_survives(1000.0);
}

#[test]
fn g722_keeps_a_440hz_tone() {
    assert_tone_survives(440.0);
}

#[test]
fn g722_rtp_clock_is_8000_while_audio_is_16000() {
    let (enc, dec) = (G722Encoder::new(320), G722Decoder::new(320));
    assert_eq!((enc.sample_rate(), enc.rtp_clock_rate()), (16_000, 8_000));
    assert_eq!((dec.sample_rate(), dec.rtp_clock_rate()), (16_000, 8_000));
    assert_eq!(
        (SAMPLE_RATE, RTP_CLOCK_RATE, PAYLOAD_TYPE),
        (16_000, 8_000, 9)
    );
    // 20 ms = 320 samples advances the RTP timestamp by 160.
    assert_eq!(rtp_timestamp_delta(320), 160);
}

#[test]
fn g722_rejects_odd_frames_and_short_buffers() {
    let mut enc = G722Encoder::new(320);
    let mut dec = G722Decoder::new(320);
    assert_eq!(
        enc.encode(&[0; 319], &mut [0; 160]),
        Err(CodecError::BadFrameLength {
            expected: 320,
            actual: 319
        })
    );
    assert!(enc.encode(&[0; 320], &mut [0; 100]).is_err());
    assert_eq!(
        dec.decode(&[], &mut [0; 320]),
        Err(CodecError::MalformedPayload)
    );
    assert!(dec.decode(&[0; 160], &mut [0; 100]).is_err());
}

#[test]
fn g722_concealment_repeats_the_last_frame_then_fades_to_silence() {
    let pcm = sine_i16(440.0, SAMPLE_RATE, 0.2, 0.5);
    let mut enc = G722Encoder::new(320);
    let mut dec = G722Decoder::new(320);
    let (mut payload, mut frame) = ([0u8; 160], [0i16; 320]);
    let mut last = 0.0;
    for f in pcm.chunks_exact(320) {
        let n = enc.encode(f, &mut payload).expect("encode");
        dec.decode(&payload[..n], &mut frame).expect("decode");
        last = rms(&to_f32(&frame));
    }
    let levels: Vec<f64> = (0..4)
        .map(|_| {
            assert_eq!(dec.conceal(&mut frame).expect("conceal"), 320);
            rms(&to_f32(&frame))
        })
        .collect();
    assert!(
        levels[0] > 0.5 * last,
        "first concealed frame {levels:?} vs {last}"
    );
    assert!(levels[1] < levels[0] && levels[2] < levels[1], "{levels:?}");
    assert_eq!(levels[3], 0.0, "silent after 60 ms");
    assert!(dec.decode_fec(&payload, &mut frame).is_none());
    dec.reset();
    dec.conceal(&mut frame).expect("conceal");
    assert!(
        frame.iter().all(|&s| s == 0),
        "nothing to repeat after a reset"
    );
}
