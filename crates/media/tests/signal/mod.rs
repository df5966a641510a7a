//! Test signals and measurements shared by the codec and resampler tests: sine generation,
//! Goertzel-based dominant frequency, delay alignment and SNR.
#![allow(dead_code)]

use std::f64::consts::PI;

/// `secs` of a sine at `freq` Hz, amplitude `amp` (full scale 1.0), sampled at `rate`.
pub fn sine_f32(freq: f64, rate: u32, secs: f64, amp: f64) -> Vec<f32> {
    let n = (f64::from(rate) * secs) as usize;
    (0..n)
        .map(|i| (amp * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// The same as `sine_f32`, as 16-bit PCM.
pub fn sine_i16(freq: f64, rate: u32, secs: f64, amp: f64) -> Vec<i16> {
    sine_f32(freq, rate, secs, amp)
        .into_iter()
        .map(|s| (s * 32767.0) as i16)
        .collect()
}

pub fn to_f32(pcm: &[i16]) -> Vec<f32> {
    pcm.iter().map(|&s| f32::from(s) / 32768.0).collect()
}

/// Power of `x` at `freq` Hz (Goertzel).
pub fn goertzel(x: &[f32], rate: u32, freq: f64) -> f64 {
    let w = 2.0 * PI * freq / f64::from(rate);
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s0 = f64::from(v) + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - c * s1 * s2
}

/// The frequency with the most power in `x`: a coarse 5 Hz scan from 50 Hz to
/// min(Nyquist, 8 kHz), refined in 0.5 Hz steps around the peak. Uses at most 0.5 s of the
/// middle of `x`.
pub fn dominant_frequency(x: &[f32], rate: u32) -> f64 {
    let win = (rate as usize / 2).min(x.len());
    let start = (x.len() - win) / 2;
    let x = &x[start..start + win];
    let top = (f64::from(rate) / 2.0 - 50.0).min(8000.0);
    let mut best = (0.0, f64::MIN);
    let mut f = 50.0;
    while f <= top {
        let p = goertzel(x, rate, f);
        if p > best.1 {
            best = (f, p);
        }
        f += 5.0;
    }
    let centre = best.0;
    let mut f = centre - 5.0;
    while f <= centre + 5.0 {
        let p = goertzel(x, rate, f);
        if p > best.1 {
            best = (f, p);
        }
        f += 0.5;
    }
    best.0
}

/// RMS of `x`.
pub fn rms(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Normalised correlation of `a[i]` with `b[i + lag]` over `len` samples from `from`.
fn correlation(a: &[f32], b: &[f32], lag: usize, from: usize, len: usize) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for i in from..from + len {
        let (x, y) = (f64::from(a[i]), f64::from(b[i + lag]));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa * bb).sqrt()
    }
}

/// The delay (0..=max_lag samples) by which `decoded` lags `original`, and the normalised
/// correlation at that delay, measured over the middle of the signal.
pub fn align(original: &[f32], decoded: &[f32], max_lag: usize) -> (usize, f64) {
    let len = original.len().min(decoded.len()).saturating_sub(max_lag) / 2;
    let from = len / 2;
    (0..=max_lag)
        .map(|lag| (lag, correlation(original, decoded, lag, from, len)))
        .fold((0, f64::MIN), |b, c| if c.1 > b.1 { c } else { b })
}

/// SNR in dB of `decoded` (delayed by `lag`) against `original`, over the middle half, after
/// the best gain match (codecs may scale slightly).
pub fn snr_db(original: &[f32], decoded: &[f32], lag: usize) -> f64 {
    let n = original.len().min(decoded.len().saturating_sub(lag));
    let (from, to) = (n / 4, 3 * n / 4);
    let (mut ab, mut aa) = (0.0, 0.0);
    for i in from..to {
        ab += f64::from(original[i]) * f64::from(decoded[i + lag]);
        aa += f64::from(original[i]) * f64::from(original[i]);
    }
    let g = if aa == 0.0 { 1.0 } else { ab / aa };
    let (mut sig, mut err) = (0.0, 0.0);
    for i in from..to {
        let o = g * f64::from(original[i]);
        let e = f64::from(decoded[i + lag]) - o;
        sig += o * o;
        err += e * e;
    }
    10.0 * (sig / err.max(1e-20)).log10()
}
