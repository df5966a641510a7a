//! [`AudioIo`]: the media side's view of the microphone and the speaker — 10 ms frames of
//! 48 kHz mono `f32`, whatever the devices run at.
//!
//! Data path: device callback ⇄ `rtrb` ring (device rate, mono) ⇄ [`AudioIo`] on the media
//! thread, which resamples at this edge (`resample.rs`). Both `read_capture_frame` and
//! `write_playback_frame` return immediately: they never wait for the device.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use rtrb::{Consumer, Producer};

use crate::counters::{AudioCounters, DirectionShared};
use crate::device_thread::{
    ActiveDevice, DeviceEvent, DeviceThread, Handoff, HandoffSlot, Role, SlotSpec, MAX_DEVICE_RATE,
};
use crate::devices::DeviceChoice;
use crate::resample::Resampler;
use crate::ring::{self, Backlog};
use crate::AudioError;

/// The internal sample rate of the whole app.
pub const SAMPLE_RATE: u32 = 48_000;
/// Samples in one 10 ms frame at [`SAMPLE_RATE`].
pub const FRAME_SAMPLES: usize = 480;

/// Largest number of device samples one 10 ms frame can become (+2 for rounding).
const MAX_DEVICE_FRAME: usize = (MAX_DEVICE_RATE as usize / 100) + 2;

const CAPTURE_SLOT: usize = 0;
const PLAYBACK_SLOT: usize = 1;

/// Open capture and playback streams, seen as 10 ms frames at 48 kHz mono.
pub struct AudioIo {
    capture: CaptureSide,
    playback: PlaybackSide,
    capture_active: Arc<Mutex<Option<ActiveDevice>>>,
    playback_active: Arc<Mutex<Option<ActiveDevice>>>,
    // Declared last: dropped last, after the media-side ring ends.
    thread: DeviceThread,
}

impl AudioIo {
    /// Opens the microphone and the speaker and starts both streams.
    ///
    /// A chosen device that is missing falls back to the OS default (see [`ActiveDevice::fell_back`]
    /// and [`DeviceEvent`]); an error means no device could be opened at all.
    pub fn open(input: DeviceChoice, output: DeviceChoice) -> Result<AudioIo, AudioError> {
        let capture_shared = Arc::new(DirectionShared::default());
        let playback_shared = Arc::new(DirectionShared::default());
        let capture_handoff: HandoffSlot = Arc::default();
        let playback_handoff: HandoffSlot = Arc::default();
        let capture_active = Arc::default();
        let playback_active = Arc::default();
        let thread = DeviceThread::spawn(vec![
            SlotSpec {
                role: Role::Capture,
                wanted: input,
                shared: capture_shared.clone(),
                handoff: Some(capture_handoff.clone()),
                active: Arc::clone(&capture_active),
            },
            SlotSpec {
                role: Role::Playback,
                wanted: output,
                shared: playback_shared.clone(),
                handoff: Some(playback_handoff.clone()),
                active: Arc::clone(&playback_active),
            },
        ])?;
        Ok(AudioIo {
            capture: CaptureSide {
                handoff: capture_handoff,
                consumer: None,
                rate: SAMPLE_RATE,
                resampler: Resampler::new(SAMPLE_RATE, SAMPLE_RATE),
                shared: capture_shared,
            },
            playback: PlaybackSide {
                handoff: playback_handoff,
                producer: None,
                resampler: Resampler::new(SAMPLE_RATE, SAMPLE_RATE),
                shared: playback_shared,
            },
            capture_active,
            playback_active,
            thread,
        })
    }

    /// Fills `frame` with the next 10 ms of microphone audio; `false` (frame untouched) when
    /// less than 10 ms has arrived yet. Never waits.
    pub fn read_capture_frame(&mut self, frame: &mut [f32; FRAME_SAMPLES]) -> bool {
        self.capture.read(frame)
    }

    /// Queues 10 ms of audio for the speaker. Never waits; when the device is gone or the
    /// backlog is full the frame is dropped (counted as an overrun).
    pub fn write_playback_frame(&mut self, frame: &[f32; FRAME_SAMPLES]) {
        self.playback.write(frame);
    }

    /// Underruns, overruns, device errors, … of both directions.
    pub fn counters(&self) -> AudioCounters {
        AudioCounters {
            capture: self.capture.shared.snapshot(),
            playback: self.playback.shared.snapshot(),
        }
    }

    /// The microphone in use (`None` while none could be opened).
    pub fn input_device(&self) -> Option<ActiveDevice> {
        self.capture_active.lock().ok().and_then(|a| a.clone())
    }

    /// The speaker in use (`None` while none could be opened).
    pub fn output_device(&self) -> Option<ActiveDevice> {
        self.playback_active.lock().ok().and_then(|a| a.clone())
    }

    /// Switches the microphone (asynchronously; a [`DeviceEvent`] reports the result).
    pub fn set_input(&self, choice: DeviceChoice) {
        self.thread.choose(CAPTURE_SLOT, choice);
    }

    /// Switches the speaker (asynchronously; a [`DeviceEvent`] reports the result).
    pub fn set_output(&self, choice: DeviceChoice) {
        self.thread.choose(PLAYBACK_SLOT, choice);
    }

    /// Next device event (opened, switched, fell back, lost), if any.
    pub fn poll_event(&self) -> Option<DeviceEvent> {
        self.thread.poll_event()
    }
}

/// Takes the newest handoff if the device thread left one; never waits for the lock.
fn take_handoff(slot: &HandoffSlot) -> Option<Handoff> {
    slot.try_lock().ok().and_then(|mut pending| pending.take())
}

struct CaptureSide {
    handoff: HandoffSlot,
    consumer: Option<Consumer<f32>>,
    rate: u32,
    resampler: Resampler,
    shared: Arc<DirectionShared>,
}

impl CaptureSide {
    fn read(&mut self, frame: &mut [f32; FRAME_SAMPLES]) -> bool {
        if let Some(Handoff::Capture { consumer, rate }) = take_handoff(&self.handoff) {
            self.consumer = Some(consumer);
            self.rate = rate;
            self.resampler = Resampler::new(rate, SAMPLE_RATE);
        }
        let Some(consumer) = self.consumer.as_mut() else {
            return false;
        };
        let backlog = Backlog::new(self.rate, self.shared.largest_chunk());
        let dropped = ring::trim_oldest(consumer, backlog);
        if dropped > 0 {
            DirectionShared::add(&self.shared.overruns, 1);
            DirectionShared::add(&self.shared.dropped_samples, dropped as u64);
        }
        let need = self.resampler.input_needed(FRAME_SAMPLES);
        let Ok(chunk) = consumer.read_chunk(need) else {
            return false;
        };
        let (a, b) = chunk.as_slices();
        let (_, made) = self.resampler.process(a, frame);
        self.resampler.process(b, &mut frame[made..]);
        chunk.commit_all();
        true
    }
}

struct PlaybackSide {
    handoff: HandoffSlot,
    producer: Option<Producer<f32>>,
    resampler: Resampler,
    shared: Arc<DirectionShared>,
}

impl PlaybackSide {
    fn write(&mut self, frame: &[f32; FRAME_SAMPLES]) {
        if let Some(Handoff::Playback { producer, rate }) = take_handoff(&self.handoff) {
            self.producer = Some(producer);
            self.resampler = Resampler::new(SAMPLE_RATE, rate);
        }
        let Some(producer) = self.producer.as_mut() else {
            return;
        };
        let mut out = [0.0f32; MAX_DEVICE_FRAME];
        let (_, made) = self.resampler.process(frame, &mut out);
        let dropped = ring::push_iter(producer, made, out[..made].iter().copied());
        if dropped > 0 {
            self.shared.overruns.fetch_add(1, Ordering::Relaxed);
            DirectionShared::add(&self.shared.dropped_samples, dropped as u64);
        }
    }
}
