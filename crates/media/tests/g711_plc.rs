//! G.711 concealment (repeat-and-fade, G.711 Appendix I style) as a listener would judge it:
//! a lost voiced frame continues the waveform, long losses fade to silence by 60 ms, and the
//! return of real audio does not click.

use dialtone_media::codec::g711::{G711Decoder, G711Encoder, Law};
use dialtone_media::codec::{AudioDecoder, AudioEncoder};
use dialtone_media::plc::Plc;

const RATE: f32 = 8000.0;
const FRAME: usize = 160;

/// A 160 Hz tone (a 50-sample period, a typical male pitch), amplitude 10 000.
fn tone(n: usize) -> i16 {
    ((n as f32 * 2.0 * std::f32::consts::PI * 160.0 / RATE).sin() * 10_000.0) as i16
}

fn frame_at(start: usize) -> [i16; FRAME] {
    std::array::from_fn(|i| tone(start + i))
}

fn rms(x: &[i16]) -> f32 {
    (x.iter().map(|&s| f32::from(s).powi(2)).sum::<f32>() / x.len() as f32).sqrt()
}

#[test]
fn a_lost_voiced_frame_continues_the_waveform() {
    let mut plc = Plc::new(8000);
    for k in 0..5 {
        plc.good_frame(&mut frame_at(k * FRAME));
    }
    let mut out = [0i16; FRAME];
    plc.conceal(&mut out);
    // The first 10 ms are at full level and in phase with the tone that was lost.
    for (i, &s) in out.iter().take(80).enumerate() {
        let truth = tone(5 * FRAME + i);
        assert!(
            (i32::from(s) - i32::from(truth)).abs() < 1_000,
            "sample {i}: {s} vs {truth}"
        );
    }
}

#[test]
fn concealment_fades_to_silence_after_60_ms() {
    let mut plc = Plc::new(8000);
    for k in 0..5 {
        plc.good_frame(&mut frame_at(k * FRAME));
    }
    let mut concealed = [0i16; 4 * FRAME];
    for chunk in concealed.chunks_mut(FRAME) {
        plc.conceal(chunk);
    }
    let level: Vec<f32> = concealed.chunks(80).map(rms).collect(); // per 10 ms
    assert!(level[0] > 6_000.0, "first 10 ms at full level: {level:?}");
    for pair in level[1..6].windows(2) {
        assert!(pair[1] < pair[0], "fading: {level:?}");
    }
    assert!(
        concealed[480..].iter().all(|&s| s == 0),
        "silent from 60 ms on"
    );
}

#[test]
fn resuming_after_a_loss_does_not_click() {
    let mut decoder = G711Decoder::new(Law::Mu, FRAME);
    let mut encoder = G711Encoder::new(Law::Mu, FRAME);
    let mut payload = [0u8; FRAME];
    let mut out = [0i16; FRAME];
    let mut played = Vec::new();
    for k in 0..8 {
        if k == 4 || k == 5 {
            assert_eq!(decoder.conceal(&mut out), Ok(FRAME));
        } else {
            encoder
                .encode(&frame_at(k * FRAME), &mut payload)
                .expect("encode");
            assert_eq!(decoder.decode(&payload, &mut out), Ok(FRAME));
        }
        played.extend_from_slice(&out);
    }
    // The tone's largest step between samples is about 2π·160/8000·10 000 ≈ 1 260; a click is a
    // jump far beyond that. Check the joins into and out of the loss.
    let largest_step = played
        .windows(2)
        .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
        .max()
        .unwrap_or(0);
    assert!(largest_step < 2_000, "largest sample step {largest_step}");
    // And the audio after the loss is the real tone again.
    let tail = &played[7 * FRAME..];
    assert!(
        (rms(tail) - 7_071.0).abs() < 400.0,
        "rms after resume {}",
        rms(tail)
    );
}

#[test]
fn a_loss_before_any_audio_is_concealed_with_silence_and_fades_in() {
    let mut plc = Plc::new(8000);
    let mut out = [1i16; FRAME];
    plc.conceal(&mut out);
    assert!(out.iter().all(|&s| s == 0));
    let mut first = frame_at(0);
    plc.good_frame(&mut first);
    assert!(first[0].abs() < 100, "fades in from silence");
    assert!(!plc.is_concealing());
}

#[test]
fn reset_forgets_the_previous_stream() {
    let mut decoder = G711Decoder::new(Law::A, FRAME);
    let mut encoder = G711Encoder::new(Law::A, FRAME);
    let mut payload = [0u8; FRAME];
    let mut out = [0i16; FRAME];
    for k in 0..4 {
        encoder
            .encode(&frame_at(k * FRAME), &mut payload)
            .expect("encode");
        decoder.decode(&payload, &mut out).expect("decode");
    }
    decoder.reset();
    decoder.conceal(&mut out).expect("conceal");
    assert!(
        out.iter().all(|&s| s == 0),
        "nothing of the old stream is repeated"
    );
}
