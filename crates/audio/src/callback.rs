//! The code that runs on cpal's device threads. Nothing here blocks, locks, allocates or logs:
//! it converts samples (any of f32/i16/i32/u16, via cpal's allocation-free `Sample` traits),
//! mixes channels, and moves samples through an `rtrb` ring; health is reported through
//! atomics. Every data callback runs inside [`realtime::enter`] so a test can prove "no
//! allocation" with a counting allocator (`tests/no_alloc.rs`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use cpal::{FromSample, Sample};
use rtrb::{Consumer, Producer};

use crate::counters::DirectionShared;
use crate::realtime;
use crate::ring::{self, Backlog};
use crate::tones::{Tone, ToneGenerator};

/// Capture: interleaved device frames → mono (channel average) → ring.
pub(crate) struct CaptureCallback {
    pub producer: Producer<f32>,
    pub channels: usize,
    pub shared: Arc<DirectionShared>,
}

impl CaptureCallback {
    pub fn process<T>(&mut self, data: &[T])
    where
        T: Sample,
        f32: FromSample<T>,
    {
        let _rt = realtime::enter();
        let channels = self.channels.max(1);
        let frames = data.len() / channels;
        self.shared.note_callback(frames);
        let scale = 1.0 / channels as f32;
        let mono = data
            .chunks_exact(channels)
            .map(|frame| frame.iter().map(|s| f32::from_sample(*s)).sum::<f32>() * scale);
        let dropped = ring::push_iter(&mut self.producer, frames, mono);
        if dropped > 0 {
            DirectionShared::add(&self.shared.overruns, 1);
            DirectionShared::add(&self.shared.dropped_samples, dropped as u64);
        }
    }
}

/// Playback: ring → mono sample written to the first two channels (left and right; further
/// channels of a surround device stay silent rather than putting a voice into the subwoofer).
pub(crate) struct PlaybackCallback {
    pub consumer: Consumer<f32>,
    pub channels: usize,
    pub rate: u32,
    pub shared: Arc<DirectionShared>,
    /// Waiting for [`Backlog::prime`] samples before playing (at start and after an underrun).
    pub priming: bool,
}

impl PlaybackCallback {
    pub fn process<T>(&mut self, out: &mut [T])
    where
        T: Sample + FromSample<f32>,
    {
        let _rt = realtime::enter();
        let channels = self.channels.max(1);
        let frames = out.len() / channels;
        self.shared.note_callback(frames);
        let backlog = Backlog::new(self.rate, self.shared.largest_chunk());
        let dropped = ring::trim_oldest(&mut self.consumer, backlog);
        if dropped > 0 {
            DirectionShared::add(&self.shared.overruns, 1);
            DirectionShared::add(&self.shared.dropped_samples, dropped as u64);
        }
        let available = self.consumer.slots();
        if self.priming {
            if available < backlog.prime.max(frames) {
                out.fill(T::EQUILIBRIUM);
                return;
            }
            self.priming = false;
        }
        let take = frames.min(available);
        let written = match self.consumer.read_chunk(take) {
            // The chunk's iterator commits what it yielded when dropped.
            Ok(chunk) => write_frames(out, channels, chunk.into_iter()),
            Err(_) => 0,
        };
        if written < frames {
            out[written * channels..].fill(T::EQUILIBRIUM);
            DirectionShared::add(&self.shared.underruns, 1);
            self.priming = true;
        }
    }
}

/// What the ringer should play: a [`Tone`] code and a generation that changes on every
/// request, so playing the same tone again restarts its cadence.
#[derive(Debug, Default)]
pub(crate) struct ToneControl {
    request: AtomicU32,
}

impl ToneControl {
    /// Packs (generation, code): the low 16 bits are the tone code, the high 16 a counter.
    pub fn request(&self, tone: Option<Tone>) {
        let code = tone.map_or(0, Tone::code) & 0xffff;
        let _ = self
            .request
            .fetch_update(Ordering::Release, Ordering::Relaxed, |old| {
                Some((old & 0xffff_0000).wrapping_add(0x1_0000) | code)
            });
    }

    fn current(&self) -> u32 {
        self.request.load(Ordering::Acquire)
    }
}

/// The ringer's callback: generates the requested tone at the device rate, no ring needed
/// (ringing must work with no call and no media loop running).
pub(crate) struct ToneCallback {
    pub control: Arc<ToneControl>,
    pub channels: usize,
    pub rate: u32,
    pub shared: Arc<DirectionShared>,
    pub seen: u32,
    pub generator: Option<ToneGenerator>,
}

impl ToneCallback {
    pub fn process<T>(&mut self, out: &mut [T])
    where
        T: Sample + FromSample<f32>,
    {
        let _rt = realtime::enter();
        let channels = self.channels.max(1);
        self.shared.note_callback(out.len() / channels);
        let request = self.control.current();
        if request != self.seen {
            self.seen = request;
            self.generator =
                Tone::from_code(request & 0xffff).map(|t| ToneGenerator::new(t, self.rate));
        }
        match self.generator.as_mut() {
            Some(generator) => {
                let frames = out.len() / channels;
                write_frames(out, channels, (0..frames).map(|_| generator.next_sample()));
            }
            None => out.fill(T::EQUILIBRIUM),
        }
    }
}

/// Writes mono samples to the first one or two channels of each frame, silence to the rest;
/// returns the number of frames written.
fn write_frames<T>(out: &mut [T], channels: usize, samples: impl Iterator<Item = f32>) -> usize
where
    T: Sample + FromSample<f32>,
{
    let mut n = 0;
    for (frame, s) in out.chunks_exact_mut(channels).zip(samples) {
        let v = T::from_sample(s);
        for (c, slot) in frame.iter_mut().enumerate() {
            *slot = if c < 2 { v } else { T::EQUILIBRIUM };
        }
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtrb::RingBuffer;

    fn shared() -> Arc<DirectionShared> {
        Arc::new(DirectionShared::default())
    }

    #[test]
    fn capture_downmixes_and_converts_i16() {
        let (producer, mut consumer) = RingBuffer::new(16);
        let mut cb = CaptureCallback {
            producer,
            channels: 2,
            shared: shared(),
        };
        cb.process::<i16>(&[16384, 0, -16384, -16384]);
        assert_eq!(consumer.pop().ok(), Some(0.25));
        assert_eq!(consumer.pop().ok(), Some(-0.5));
    }

    #[test]
    fn capture_overrun_is_counted() {
        let (producer, _consumer) = RingBuffer::new(4);
        let s = shared();
        let mut cb = CaptureCallback {
            producer,
            channels: 1,
            shared: s.clone(),
        };
        cb.process::<f32>(&[0.1; 6]);
        let c = s.snapshot();
        assert_eq!((c.overruns, c.dropped_samples), (1, 2));
    }

    #[test]
    fn playback_primes_then_plays_then_counts_one_underrun() {
        let (mut producer, consumer) = RingBuffer::new(48_000);
        let s = shared();
        let mut cb = PlaybackCallback {
            consumer,
            channels: 2,
            rate: 48_000,
            shared: s.clone(),
            priming: true,
        };
        let mut out = [1.0f32; 960];
        cb.process(&mut out);
        assert!(out.iter().all(|v| *v == 0.0), "silence while priming");
        ring::push_iter(&mut producer, 2000, std::iter::repeat(0.5));
        cb.process(&mut out);
        assert!(
            out.iter().all(|v| *v == 0.5),
            "both channels get the sample"
        );
        for _ in 0..4 {
            cb.process(&mut out);
        }
        let c = s.snapshot();
        assert_eq!(c.underruns, 1, "one underrun, then it waits to re-prime");
    }

    #[test]
    fn ringer_callback_switches_tones_on_request() {
        let control = Arc::new(ToneControl::default());
        let mut cb = ToneCallback {
            control: control.clone(),
            channels: 1,
            rate: 48_000,
            shared: shared(),
            seen: 0,
            generator: None,
        };
        let mut out = [0i16; 4800];
        cb.process(&mut out);
        assert!(out.iter().all(|v| *v == 0));
        control.request(Some(Tone::Ringing));
        cb.process(&mut out);
        assert!(out.iter().any(|v| v.unsigned_abs() > 1000));
        control.request(None);
        cb.process(&mut out);
        assert!(out.iter().all(|v| *v == 0));
    }
}
