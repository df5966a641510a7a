//! Sample-rate conversion at the edges of the media loop.
//!
//! Inside, audio is mono f32 at 48 kHz in 10 ms frames (architecture principle 3). Two edges
//! change the rate: the sound card (often 44.1 or 48 kHz) and the codec (8 kHz G.711, 16 kHz
//! G.722, 48 kHz Opus). Each edge converts exactly once, with one of two types:
//!
//! * [`Resampler`]: a fixed ratio, one 10 ms frame in, one 10 ms frame out, for codec edges
//!   (the RTP clock and the codec are locked to each other, so the ratio never changes). It
//!   uses rubato's synchronous FFT resampler with both sides fixed, which works because every
//!   rate we accept is a multiple of 100 Hz: a 10 ms frame is a whole number of samples at
//!   both rates (44.1 kHz gives 441), so no FIFO is needed and nothing is buffered beyond the
//!   filter's own delay. Equal rates are a plain copy.
//! * [`DriftResampler`]: an adjustable ratio for the device edge, where the sound card's clock
//!   and the network's clock drift apart by a few hundred ppm. The caller measures a buffer
//!   fill (the capture/playback ring) and nudges the ratio with [`DriftResampler::set_drift`];
//!   one side stays fixed at 10 ms and the other varies by a sample or so per call.
//!
//! Both work on caller-owned slices and allocate only in `new`: the media loop calls them
//! every 10 ms and must not touch the heap in steady state.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, FixedAsync, FixedSync, Resampler as _, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};
use thiserror::Error;

/// The rate of everything inside the media loop.
pub const INTERNAL_RATE: u32 = 48_000;

/// The largest drift [`DriftResampler::set_drift`] accepts: ±0.5 % (5000 ppm). Real sound
/// cards are within ~100 ppm; anything larger is a wrong nominal rate, not drift.
pub const MAX_DRIFT: f64 = 0.005;

/// What can go wrong while setting up or running a resampler.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ResampleError {
    /// 10 ms must be a whole number of samples, so rates must be multiples of 100 Hz
    /// (8000, 16000, 24000, 32000, 44100, 48000, 96000 all are).
    #[error(
        "sample rate {0} Hz is not supported (it must be a multiple of 100 Hz, at most 384 kHz)"
    )]
    UnsupportedRate(u32),
    /// The caller passed a slice of the wrong length.
    #[error("{side} frame has {got} samples, expected {expected}")]
    FrameSize {
        side: &'static str,
        got: usize,
        expected: usize,
    },
    /// The requested drift is outside ±[`MAX_DRIFT`].
    #[error("drift {0} is outside ±0.5 %; check the device's nominal rate instead")]
    DriftOutOfRange(f64),
    /// rubato refused (should not happen once construction succeeded).
    #[error("resampler failed: {0}")]
    Rubato(String),
}

/// Samples in 10 ms at `rate`, or an error if that is not a whole number.
pub fn frame_len_10ms(rate: u32) -> Result<usize, ResampleError> {
    if rate == 0 || !rate.is_multiple_of(100) || rate > 384_000 {
        return Err(ResampleError::UnsupportedRate(rate));
    }
    Ok(rate as usize / 100)
}

fn rubato_err(e: impl std::fmt::Display) -> ResampleError {
    ResampleError::Rubato(e.to_string())
}

fn check_len(side: &'static str, got: usize, expected: usize) -> Result<(), ResampleError> {
    if got == expected {
        Ok(())
    } else {
        Err(ResampleError::FrameSize {
            side,
            got,
            expected,
        })
    }
}

/// Fixed-ratio mono converter: one 10 ms frame at `from_hz` in, one 10 ms frame at `to_hz` out.
pub struct Resampler {
    from_hz: u32,
    to_hz: u32,
    in_len: usize,
    out_len: usize,
    /// `None` when the rates match: a copy, no filter, no delay.
    fft: Option<rubato::Fft<f32>>,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from_hz", &self.from_hz)
            .field("to_hz", &self.to_hz)
            .field("delay_frames", &self.delay_frames())
            .finish()
    }
}

impl Resampler {
    /// A converter from `from_hz` to `to_hz` (each a multiple of 100 Hz).
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Self, ResampleError> {
        let in_len = frame_len_10ms(from_hz)?;
        let out_len = frame_len_10ms(to_hz)?;
        let fft = if from_hz == to_hz {
            None
        } else {
            // FixedSync::Both with a 10 ms chunk: the FFT block is exactly one frame on each
            // side (10 ms is a multiple of the minimum block, rate/gcd, for every 100 Hz
            // multiple), so the delay is half a frame (5 ms) and nothing else is buffered.
            let fft = rubato::Fft::<f32>::new(
                from_hz as usize,
                to_hz as usize,
                in_len,
                1,
                FixedSync::Both,
            )
            .map_err(rubato_err)?;
            if fft.input_frames_next() != in_len || fft.output_frames_next() != out_len {
                return Err(ResampleError::Rubato(format!(
                    "rubato chose {}→{} frames for {from_hz}→{to_hz} Hz, expected {in_len}→{out_len}",
                    fft.input_frames_next(),
                    fft.output_frames_next()
                )));
            }
            Some(fft)
        };
        Ok(Self {
            from_hz,
            to_hz,
            in_len,
            out_len,
            fft,
        })
    }

    /// Input rate in Hz.
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Output rate in Hz.
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Samples per 10 ms input frame.
    pub fn input_len(&self) -> usize {
        self.in_len
    }

    /// Samples per 10 ms output frame.
    pub fn output_len(&self) -> usize {
        self.out_len
    }

    /// Delay this converter adds, in output samples (0 for pass-through, 5 ms otherwise).
    pub fn delay_frames(&self) -> usize {
        self.fft.as_ref().map_or(0, |f| f.output_delay())
    }

    /// True when input and output rates match and [`process`](Self::process) is a copy.
    pub fn is_passthrough(&self) -> bool {
        self.fft.is_none()
    }

    /// Convert one 10 ms frame. `input.len()` must be [`input_len`](Self::input_len) and
    /// `output.len()` must be [`output_len`](Self::output_len).
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) -> Result<(), ResampleError> {
        check_len("input", input.len(), self.in_len)?;
        check_len("output", output.len(), self.out_len)?;
        let Some(fft) = self.fft.as_mut() else {
            output.copy_from_slice(input);
            return Ok(());
        };
        let inp = InterleavedSlice::new(input, 1, self.in_len).map_err(rubato_err)?;
        let mut out = InterleavedSlice::new_mut(output, 1, self.out_len).map_err(rubato_err)?;
        let (used, made) = fft
            .process_into_buffer(&inp, &mut out, None)
            .map_err(rubato_err)?;
        debug_assert_eq!((used, made), (self.in_len, self.out_len));
        Ok(())
    }

    /// Forget the filter history (after a gap, e.g. hold/resume or a codec switch).
    pub fn reset(&mut self) {
        if let Some(fft) = self.fft.as_mut() {
            fft.reset();
        }
    }
}

/// Which side of a [`DriftResampler`] keeps the 10 ms frame size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedSide {
    /// 10 ms in, a varying count out: playback (media loop → device ring).
    Input,
    /// A varying count in, 10 ms out: capture (device ring → media loop).
    Output,
}

/// Mono converter whose ratio can be nudged by up to ±0.5 % while running, to follow the drift
/// between the sound card's clock and the network's.
///
/// Uses rubato's asynchronous sinc resampler with a short filter (64 taps, linear interpolation
/// between 256 oversampled phases): well under 1 ms of delay and a few MFLOP/s, which is plenty
/// for speech. The drift controller itself (how far the ring is from its target fill) belongs
/// to the caller; this type only applies the ratio it is given, ramped over the next call so
/// that changes are inaudible.
pub struct DriftResampler {
    from_hz: u32,
    to_hz: u32,
    fixed: FixedSide,
    drift: f64,
    inner: Async<f32>,
}

impl std::fmt::Debug for DriftResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriftResampler")
            .field("from_hz", &self.from_hz)
            .field("to_hz", &self.to_hz)
            .field("fixed", &self.fixed)
            .field("drift", &self.drift)
            .finish()
    }
}

impl DriftResampler {
    /// A converter from `from_hz` to `to_hz` with 10 ms frames on the `fixed` side.
    pub fn new(from_hz: u32, to_hz: u32, fixed: FixedSide) -> Result<Self, ResampleError> {
        let chunk = match fixed {
            FixedSide::Input => frame_len_10ms(from_hz)?,
            FixedSide::Output => frame_len_10ms(to_hz)?,
        };
        // Validate the other side's rate too.
        frame_len_10ms(from_hz)?;
        frame_len_10ms(to_hz)?;
        let mut params = SincInterpolationParameters::new(64, WindowFunction::BlackmanHarris2);
        params.oversampling_factor = 256;
        params.interpolation = SincInterpolationType::Linear;
        let inner = Async::<f32>::new_sinc(
            f64::from(to_hz) / f64::from(from_hz),
            1.0 + MAX_DRIFT * 1.01,
            &params,
            chunk,
            1,
            match fixed {
                FixedSide::Input => FixedAsync::Input,
                FixedSide::Output => FixedAsync::Output,
            },
        )
        .map_err(rubato_err)?;
        Ok(Self {
            from_hz,
            to_hz,
            fixed,
            drift: 0.0,
            inner,
        })
    }

    /// Input rate in Hz (nominal).
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Output rate in Hz (nominal).
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Which side keeps 10 ms frames.
    pub fn fixed_side(&self) -> FixedSide {
        self.fixed
    }

    /// The drift currently applied (relative; 0.001 means 0.1 % more output samples).
    pub fn drift(&self) -> f64 {
        self.drift
    }

    /// Apply a relative drift: `0.001` produces 0.1 % more output samples per input sample.
    /// The change is ramped over the next call.
    pub fn set_drift(&mut self, drift: f64) -> Result<(), ResampleError> {
        if !drift.is_finite() || drift.abs() > MAX_DRIFT {
            return Err(ResampleError::DriftOutOfRange(drift));
        }
        // rubato's relative ratio is output/input, so >1 means more output samples.
        rubato::Adjustable::set_resample_ratio_relative(&mut self.inner, 1.0 + drift, true)
            .map_err(rubato_err)?;
        self.drift = drift;
        Ok(())
    }

    /// Input samples the next [`process`](Self::process) call needs (varies with `FixedSide::Output`).
    pub fn input_frames_next(&self) -> usize {
        self.inner.input_frames_next()
    }

    /// Output samples the next [`process`](Self::process) call writes (varies with `FixedSide::Input`).
    pub fn output_frames_next(&self) -> usize {
        self.inner.output_frames_next()
    }

    /// Largest input any call can need: size the caller's scratch buffer with this once.
    pub fn input_frames_max(&self) -> usize {
        self.inner.input_frames_max()
    }

    /// Largest output any call can write: size the caller's scratch buffer with this once.
    pub fn output_frames_max(&self) -> usize {
        self.inner.output_frames_max()
    }

    /// Delay in output samples.
    pub fn delay_frames(&self) -> usize {
        self.inner.output_delay()
    }

    /// Convert one chunk: reads exactly [`input_frames_next`](Self::input_frames_next) samples
    /// from `input` and writes [`output_frames_next`](Self::output_frames_next) samples to the
    /// start of `output` (which may be longer). Returns `(consumed, written)`.
    pub fn process(
        &mut self,
        input: &[f32],
        output: &mut [f32],
    ) -> Result<(usize, usize), ResampleError> {
        let need_in = self.inner.input_frames_next();
        let need_out = self.inner.output_frames_next();
        check_len("input", input.len(), need_in)?;
        if output.len() < need_out {
            return Err(ResampleError::FrameSize {
                side: "output",
                got: output.len(),
                expected: need_out,
            });
        }
        let inp = InterleavedSlice::new(input, 1, need_in).map_err(rubato_err)?;
        let frames = output.len();
        let mut out = InterleavedSlice::new_mut(output, 1, frames).map_err(rubato_err)?;
        self.inner
            .process_into_buffer(&inp, &mut out, None)
            .map_err(rubato_err)
    }

    /// Forget the filter history and the applied drift.
    pub fn reset(&mut self) {
        self.inner.reset();
        self.drift = 0.0;
    }
}
