//! Fixed 10 ms frames through the edge resamplers: exact sizes, tones kept, drift applied.

mod signal;

use dialtone_media::resample::{frame_len_10ms, DriftResampler, FixedSide, Resampler};
use signal::{align, dominant_frequency, sine_f32, snr_db};

const RATES: [u32; 5] = [8_000, 16_000, 24_000, 44_100, 48_000];

/// Push `x` through `r` frame by frame.
fn run(r: &mut Resampler, x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; r.output_len()];
    let mut y = Vec::new();
    for f in x.chunks_exact(r.input_len()) {
        r.process(f, &mut out).expect("process");
        y.extend_from_slice(&out);
    }
    y
}

#[test]
fn every_edge_rate_pair_maps_10ms_to_10ms() {
    for from in RATES {
        for to in RATES {
            let mut r = Resampler::new(from, to).expect("rate pair");
            assert_eq!(r.input_len(), from as usize / 100);
            assert_eq!(r.output_len(), to as usize / 100);
            assert_eq!(r.is_passthrough(), from == to);
            let x = vec![0.1f32; r.input_len()];
            let mut y = vec![0.0f32; r.output_len()];
            for _ in 0..5 {
                r.process(&x, &mut y).expect("process");
            }
        }
    }
    assert_eq!(
        Resampler::new(48_000, 44_100).map(|r| r.output_len()).ok(),
        Some(441)
    );
}

#[test]
fn wrong_frame_sizes_and_odd_rates_are_errors() {
    let mut r = Resampler::new(48_000, 8_000).expect("rate pair");
    assert!(r.process(&[0.0; 479], &mut [0.0; 80]).is_err());
    assert!(r.process(&[0.0; 480], &mut [0.0; 81]).is_err());
    assert!(
        Resampler::new(22_050, 48_000).is_err(),
        "10 ms at 22.05 kHz is 220.5 samples"
    );
    assert!(Resampler::new(0, 48_000).is_err());
    assert!(frame_len_10ms(11_025).is_err());
}

#[test]
fn pass_through_is_an_exact_copy_without_delay() {
    let mut r = Resampler::new(48_000, 48_000).expect("rate pair");
    let x = sine_f32(440.0, 48_000, 0.1, 0.5);
    assert_eq!(run(&mut r, &x), x);
    assert_eq!(r.delay_frames(), 0);
}

#[test]
fn a_440hz_tone_survives_48k_to_8k_and_back() {
    let x = sine_f32(440.0, 48_000, 2.0, 0.5);
    let mut down = Resampler::new(48_000, 8_000).expect("down");
    let mut up = Resampler::new(8_000, 48_000).expect("up");
    let narrow = run(&mut down, &x);
    assert_eq!(narrow.len(), 16_000);
    let f = dominant_frequency(&narrow, 8_000);
    assert!((f - 440.0).abs() / 440.0 < 0.02, "at 8 kHz: {f}");
    let back = run(&mut up, &narrow);
    assert_eq!(back.len(), x.len());
    let f = dominant_frequency(&back, 48_000);
    assert!((f - 440.0).abs() / 440.0 < 0.02, "back at 48 kHz: {f}");
    let (lag, corr) = align(&x, &back, 1_000);
    // Two 5 ms filters in a row.
    assert_eq!(lag, down.delay_frames() * 6 + up.delay_frames());
    assert!(corr > 0.999, "correlation {corr}");
    assert!(snr_db(&x, &back, lag) > 40.0);
}

#[test]
fn a_1khz_tone_survives_48k_to_44k1_and_back() {
    let x = sine_f32(1000.0, 48_000, 1.0, 0.5);
    let mut down = Resampler::new(48_000, 44_100).expect("down");
    let mut up = Resampler::new(44_100, 48_000).expect("up");
    let mid = run(&mut down, &x);
    assert_eq!(mid.len(), 44_100);
    let back = run(&mut up, &mid);
    let (lag, corr) = align(&x, &back, 1_000);
    // The round trip delay is not a whole number of 48 kHz samples here, hence not 0.999.
    assert!(corr > 0.99, "correlation {corr} at {lag}");
    let f = dominant_frequency(&back, 48_000);
    assert!((f - 1000.0).abs() < 20.0, "{f}");
}

#[test]
fn drift_resampler_with_fixed_input_makes_half_a_percent_more_output() {
    let mut r = DriftResampler::new(48_000, 48_000, FixedSide::Input).expect("drift");
    r.set_drift(0.005).expect("within range");
    assert!(r.set_drift(0.01).is_err(), "1 % is not drift");
    let x = sine_f32(1000.0, 48_000, 2.0, 0.5);
    let mut out = vec![0.0; r.output_frames_max()];
    let mut y = Vec::new();
    for f in x.chunks_exact(480) {
        assert_eq!(r.input_frames_next(), 480);
        let (used, made) = r.process(f, &mut out).expect("process");
        assert_eq!(used, 480);
        y.extend_from_slice(&out[..made]);
    }
    let expected = x.len() as f64 * 1.005;
    assert!(
        (y.len() as f64 - expected).abs() < 100.0,
        "{} output samples, expected about {expected}",
        y.len()
    );
    // More samples for the same time: the tone plays 0.5 % lower.
    let f = dominant_frequency(&y, 48_000);
    assert!((f - 1000.0 / 1.005).abs() < 2.0, "{f}");
}

#[test]
fn drift_resampler_with_fixed_output_delivers_exact_10ms_frames() {
    let mut r = DriftResampler::new(44_100, 48_000, FixedSide::Output).expect("drift");
    r.set_drift(-0.002).expect("within range");
    let x = sine_f32(440.0, 44_100, 2.0, 0.5);
    let mut out = vec![0.0; 480];
    let (mut pos, mut y) = (0, Vec::new());
    while pos + r.input_frames_next() <= x.len() {
        let need = r.input_frames_next();
        let (used, made) = r.process(&x[pos..pos + need], &mut out).expect("process");
        assert_eq!((used, made), (need, 480));
        pos += used;
        y.extend_from_slice(&out);
    }
    let f = dominant_frequency(&y, 48_000);
    assert!((f - 440.0 / 0.998).abs() < 2.0, "{f}");
}
