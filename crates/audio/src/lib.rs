//! dialtone-audio: sound devices, the lock-free path between device callbacks and the media
//! loop, and call-progress tones. The only crate that touches sound hardware; it knows no
//! network.
//!
//! ```no_run
//! use dialtone_audio::{AudioIo, DeviceChoice, Tone, ToneGenerator, DtmfKey, FRAME_SAMPLES};
//! let mut io = AudioIo::open(DeviceChoice::SystemDefault, DeviceChoice::SystemDefault)?;
//! let mut keypad = ToneGenerator::new(Tone::Dtmf(DtmfKey::new('5').expect("key")), 48_000);
//! let mut mic = [0.0f32; FRAME_SAMPLES];
//! loop {                                  // the media loop, every 10 ms
//!     while io.read_capture_frame(&mut mic) { /* encode, send */ }
//!     let mut out = [0.0f32; FRAME_SAMPLES]; // decoded far-end audio
//!     keypad.mix_into(&mut out);           // local tones join the mix (and the AEC reference)
//!     io.write_playback_frame(&out);
//! #   break;
//! }
//! # Ok::<(), dialtone_audio::AudioError>(())
//! ```
//!
//! Threads: cpal's device threads run only `callback.rs` (no locks, allocation, blocking or
//! logging — checked by `tests/no_alloc.rs`); `device_thread.rs` opens and reopens streams;
//! the media thread calls [`AudioIo`], which never waits.

mod callback;
mod counters;
mod device_thread;
mod devices;
mod error;
pub mod realtime;
mod resample;
mod ring;
mod ringer;
mod stream;
mod tones;
mod wav;

pub use counters::{AudioCounters, DirectionCounters};
pub use device_thread::{ActiveDevice, DeviceEvent, SwitchReason};
pub use devices::{input_devices, output_devices, DeviceChoice, DeviceId, DeviceInfo, Direction};
pub use error::AudioError;
pub use resample::Resampler;
pub use ringer::Ringer;
pub use stream::{AudioIo, FRAME_SAMPLES, SAMPLE_RATE};
pub use tones::{DtmfKey, Step, Tone, ToneGenerator, TonePlan};
pub use wav::{WavError, WavSink, WavSource};
