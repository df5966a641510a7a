//! The ringer: call-progress tones on a device of their own choosing (ring on the laptop
//! speakers while the headset is for talking). It keeps its own output stream, generated
//! in the callback from a [`ToneGenerator`](crate::ToneGenerator), so it rings with no call
//! and no media loop running; it reopens like the call streams do.

use std::sync::{Arc, Mutex};

use crate::callback::ToneControl;
use crate::counters::{DirectionCounters, DirectionShared};
use crate::device_thread::{ActiveDevice, DeviceEvent, DeviceThread, Role, SlotSpec};
use crate::devices::DeviceChoice;
use crate::tones::Tone;
use crate::AudioError;

/// An output stream that plays [`Tone`]s.
pub struct Ringer {
    control: Arc<ToneControl>,
    shared: Arc<DirectionShared>,
    active: Arc<Mutex<Option<ActiveDevice>>>,
    thread: DeviceThread,
}

impl Ringer {
    /// Opens `output` (silent until [`Ringer::play`]).
    pub fn open(output: DeviceChoice) -> Result<Ringer, AudioError> {
        let control = Arc::new(ToneControl::default());
        let shared = Arc::new(DirectionShared::default());
        let active = Arc::default();
        let thread = DeviceThread::spawn(vec![SlotSpec {
            role: Role::Ringer(control.clone()),
            wanted: output,
            shared: shared.clone(),
            handoff: None,
            active: Arc::clone(&active),
        }])?;
        Ok(Ringer {
            control,
            shared,
            active,
            thread,
        })
    }

    /// Starts `tone` from the beginning of its cadence (replacing any tone playing).
    pub fn play(&self, tone: Tone) {
        self.control.request(Some(tone));
    }

    /// Silence.
    pub fn stop(&self) {
        self.control.request(None);
    }

    /// Moves the ringer to another device.
    pub fn set_device(&self, choice: DeviceChoice) {
        self.thread.choose(0, choice);
    }

    pub fn device(&self) -> Option<ActiveDevice> {
        self.active.lock().ok().and_then(|a| a.clone())
    }

    pub fn counters(&self) -> DirectionCounters {
        self.shared.snapshot()
    }

    pub fn poll_event(&self) -> Option<DeviceEvent> {
        self.thread.poll_event()
    }
}
