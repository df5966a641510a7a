//! A small streaming resampler for the device edge: the inside of the app runs at 48 kHz, a
//! device may run at 44.1, 16 or 96 kHz.
//!
//! Cubic (Catmull-Rom/Hermite) interpolation over 4 input samples with an exact integer phase
//! (`ph / out_rate`), so the ratio never drifts and the number of samples a call consumes or
//! produces is known in advance. No allocation, fixed state, a few multiplies per sample.
//! Quality: fine for voice when upsampling or converting between nearby rates (44.1 ↔ 48 kHz);
//! when *down*sampling by a large factor (e.g. 96 → 48 kHz) content above the new Nyquist
//! aliases, because there is no low-pass. Voice has little energy there, and the usual device
//! rates are 44.1/48 kHz. Codec-edge resampling (8/16 kHz) is the media crate's job (rubato);
//! this stays self-contained because the audio crate must not depend on the media crate.

/// Streaming sample-rate converter, one channel.
#[derive(Debug, Clone)]
pub struct Resampler {
    in_rate: u64,
    out_rate: u64,
    /// x[i-1], x[i], x[i+1], x[i+2]: the output lies between x[i] and x[i+1].
    hist: [f32; 4],
    /// Position between x[i] and x[i+1] in units of 1/out_rate.
    ph: u64,
    /// Input samples to shift in before the next output can be computed.
    need: u64,
}

impl Resampler {
    /// A converter from `in_rate` to `out_rate` (both in Hz, non-zero; zero is treated as 1).
    pub fn new(in_rate: u32, out_rate: u32) -> Self {
        Self {
            in_rate: u64::from(in_rate.max(1)),
            out_rate: u64::from(out_rate.max(1)),
            hist: [0.0; 4],
            ph: 0,
            need: 1,
        }
    }

    /// Input samples that [`Resampler::process`] will consume to produce exactly `outputs`.
    pub fn input_needed(&self, outputs: usize) -> usize {
        if outputs == 0 {
            return 0;
        }
        let more = (self.ph + (outputs as u64 - 1) * self.in_rate) / self.out_rate;
        (self.need + more) as usize
    }

    /// Outputs that consuming all of `inputs` yields (for sizing an output buffer).
    pub fn output_count(&self, inputs: usize) -> usize {
        let inputs = inputs as u64;
        if inputs < self.need {
            return 0;
        }
        // The largest m with need + floor((ph + (m-1)·in) / out) <= inputs.
        let spare = inputs - self.need;
        (((spare + 1) * self.out_rate - 1 - self.ph) / self.in_rate + 1) as usize
    }

    /// Consumes input and produces output until one of them is exhausted; returns
    /// `(consumed, produced)`. Output is a continuous stream across calls.
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) -> (usize, usize) {
        let (mut i, mut o) = (0, 0);
        loop {
            while self.need > 0 {
                let Some(&x) = input.get(i) else {
                    return (i, o);
                };
                self.hist = [self.hist[1], self.hist[2], self.hist[3], x];
                i += 1;
                self.need -= 1;
            }
            let Some(slot) = output.get_mut(o) else {
                return (i, o);
            };
            *slot = self.interpolate();
            o += 1;
            self.ph += self.in_rate;
            self.need = self.ph / self.out_rate;
            self.ph %= self.out_rate;
        }
    }

    fn interpolate(&self) -> f32 {
        let t = (self.ph as f64 / self.out_rate as f64) as f32;
        let [xm1, x0, x1, x2] = self.hist;
        // Catmull-Rom spline through x0 (t=0) and x1 (t=1).
        let a = -0.5 * xm1 + 1.5 * x0 - 1.5 * x1 + 0.5 * x2;
        let b = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
        let c = -0.5 * xm1 + 0.5 * x1;
        ((a * t + b) * t + c) * t + x0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(hz: f64, rate: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|k| (2.0 * std::f64::consts::PI * hz * k as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    #[test]
    fn same_rate_passes_samples_through_with_two_samples_delay() {
        let mut r = Resampler::new(48_000, 48_000);
        let input: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let mut out = [0.0; 10];
        assert_eq!(r.process(&input, &mut out), (10, 10));
        assert_eq!(&out[2..], &input[..8]);
    }

    #[test]
    fn predicted_counts_match_what_process_does() {
        for (from, to) in [
            (44_100, 48_000),
            (48_000, 44_100),
            (16_000, 48_000),
            (96_000, 48_000),
        ] {
            let mut r = Resampler::new(from, to);
            let input = vec![0.5f32; 5000];
            let mut out = vec![0.0f32; 5000];
            for round in 0..20 {
                let want = 480;
                let need = r.input_needed(want);
                let (used, made) = r.process(&input[..need], &mut out[..want]);
                assert_eq!(
                    (used, made),
                    (need, want),
                    "{from}->{to} round {round} (pull)"
                );
                let n_in = 480 + round;
                let expect = r.output_count(n_in);
                let (used, made) = r.process(&input[..n_in], &mut out);
                assert_eq!(
                    (used, made),
                    (n_in, expect),
                    "{from}->{to} round {round} (push)"
                );
            }
        }
    }

    #[test]
    fn long_run_ratio_is_exact() {
        let mut r = Resampler::new(44_100, 48_000);
        let input = vec![0.0f32; 441];
        let mut out = vec![0.0f32; 1000];
        let mut produced = 0;
        for _ in 0..1000 {
            produced += r.process(&input, &mut out).1;
        }
        // 441 000 input samples at 44.1 kHz are 10 s: 480 000 at 48 kHz (± the start-up delay).
        assert!((479_990..=480_000).contains(&produced), "{produced}");
    }

    #[test]
    fn a_tone_keeps_its_frequency_and_level() {
        let input = sine(1000.0, 44_100, 44_100);
        let mut r = Resampler::new(44_100, 48_000);
        let mut out = vec![0.0f32; 48_100];
        let (_, made) = r.process(&input, &mut out);
        let out = &out[100..made];
        let crossings = out
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        let hz = crossings as f64 / 2.0 / (out.len() as f64 / 48_000.0);
        assert!((hz - 1000.0).abs() < 3.0, "measured {hz} Hz");
        let peak = out.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((0.97..=1.03).contains(&peak), "peak {peak}");
    }
}
