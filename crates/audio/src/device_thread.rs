//! The device thread: opens streams, and reopens them when they fail, when the OS default
//! changes (for "follow the default"), when a chosen device returns after a fall-back, or when
//! the user picks another device. Everything slow or blocking (server round trips, device
//! enumeration, stream construction) happens here, never on the media thread and never in a
//! device callback.
//!
//! A reopened stream comes with a fresh ring; its media-side end is handed over through a
//! [`Handoff`] slot that the media side checks with `try_lock` (it never waits), so the old
//! and new callbacks never share a ring end.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{ErrorKind, SampleFormat, StreamConfig};
use rtrb::{Consumer, Producer};

use crate::callback::{CaptureCallback, PlaybackCallback, ToneCallback, ToneControl};
use crate::counters::DirectionShared;
use crate::devices::{DeviceChoice, DeviceInfo, Direction, Hosts, Resolved};
use crate::ring::new_ring;
use crate::AudioError;

/// How often the thread wakes to look at failure flags.
const POLL: Duration = Duration::from_millis(100);
/// How often it re-resolves the wanted device (default changed, device returned).
const RECHECK: Duration = Duration::from_secs(1);
/// A stream whose callbacks stopped for this long is treated as dead even if cpal said nothing.
const STALL: Duration = Duration::from_secs(3);
/// Device rates outside this range are not used (resampler buffers are sized for it).
pub(crate) const MAX_DEVICE_RATE: u32 = 192_000;
const MIN_DEVICE_RATE: u32 = 8_000;

/// What a stream is for.
pub(crate) enum Role {
    Capture,
    Playback,
    Ringer(Arc<ToneControl>),
}

impl Role {
    fn direction(&self) -> Direction {
        match self {
            Role::Capture => Direction::Input,
            Role::Playback | Role::Ringer(_) => Direction::Output,
        }
    }
}

/// The media side's new ring end after a (re)open.
pub(crate) enum Handoff {
    Capture { consumer: Consumer<f32>, rate: u32 },
    Playback { producer: Producer<f32>, rate: u32 },
}

/// Latest unadopted handoff; the media side takes it with `try_lock`.
pub(crate) type HandoffSlot = Arc<Mutex<Option<Handoff>>>;

/// The device a direction is running on right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveDevice {
    pub device: DeviceInfo,
    /// The chosen device is missing; this is the OS default standing in for it.
    pub fell_back: bool,
    pub sample_rate: u32,
    pub channels: u16,
    /// Device sample format as cpal names it ("f32", "i16", …).
    pub sample_format: String,
}

/// Why a stream was (re)opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchReason {
    /// The first open.
    Opened,
    /// The user chose another device.
    Requested,
    /// Following the OS default, and the default changed (or the chosen device vanished).
    DefaultChanged,
    /// The chosen device is back after a fall-back.
    DeviceReturned,
    /// The stream failed (device unplugged, server restarted, callbacks stalled).
    StreamFailed,
}

/// What the device thread reports; poll them with `poll_event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceEvent {
    /// A stream now runs on this device.
    Switched {
        direction: Direction,
        active: ActiveDevice,
        reason: SwitchReason,
    },
    /// No device could be opened for this direction; retried every second.
    Lost { direction: Direction, error: String },
}

/// One stream to keep alive, as the owner sets it up.
pub(crate) struct SlotSpec {
    pub role: Role,
    pub wanted: DeviceChoice,
    pub shared: Arc<DirectionShared>,
    pub handoff: Option<HandoffSlot>,
    pub active: Arc<Mutex<Option<ActiveDevice>>>,
}

enum Command {
    Choose { slot: usize, choice: DeviceChoice },
    Stop,
}

/// Owner's handle: dropping it stops the thread and closes its streams.
pub(crate) struct DeviceThread {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<DeviceEvent>,
    join: Option<JoinHandle<()>>,
}

impl DeviceThread {
    /// Starts the thread and opens every slot; fails (and stops) if any slot cannot open.
    pub fn spawn(specs: Vec<SlotSpec>) -> Result<Self, AudioError> {
        let (commands, command_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<(), AudioError>>(1);
        let join = std::thread::Builder::new()
            .name("dialtone-audio-devices".into())
            .spawn(move || {
                let mut hosts = Hosts::new();
                let mut slots: Vec<Slot> = specs.into_iter().map(Slot::new).collect();
                for slot in &mut slots {
                    if let Err(e) = slot.switch(&mut hosts, SwitchReason::Opened, &event_tx) {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                }
                let _ = ready_tx.send(Ok(()));
                run(hosts, slots, &command_rx, &event_tx);
            })
            .map_err(AudioError::Thread)?;
        let mut thread = Self {
            commands,
            events,
            join: Some(join),
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(thread),
            Ok(Err(e)) => {
                thread.stop();
                Err(e)
            }
            Err(_) => {
                thread.stop();
                Err(AudioError::Thread(std::io::Error::other(
                    "the audio device thread ended while opening streams",
                )))
            }
        }
    }

    pub fn choose(&self, slot: usize, choice: DeviceChoice) {
        let _ = self.commands.send(Command::Choose { slot, choice });
    }

    pub fn poll_event(&self) -> Option<DeviceEvent> {
        self.events.try_recv().ok()
    }

    fn stop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(join) = self.join.take() {
            let _ = join.join();
        }
    }
}

impl Drop for DeviceThread {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(
    mut hosts: Hosts,
    mut slots: Vec<Slot>,
    commands: &mpsc::Receiver<Command>,
    events: &mpsc::Sender<DeviceEvent>,
) {
    let mut next_check = Instant::now() + RECHECK;
    loop {
        match commands.recv_timeout(POLL) {
            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Command::Choose { slot, choice }) => {
                if let Some(s) = slots.get_mut(slot) {
                    s.wanted = choice;
                    let _ = s.switch(&mut hosts, SwitchReason::Requested, events);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        let due = now >= next_check;
        if due {
            next_check = now + RECHECK;
        }
        for slot in &mut slots {
            if slot.failed(now) {
                // The sound server may have restarted: old host connections are dead.
                hosts = Hosts::new();
                let _ = slot.switch(&mut hosts, SwitchReason::StreamFailed, events);
            } else if due {
                slot.recheck(&mut hosts, events);
            }
        }
    }
}

struct Slot {
    role: Role,
    wanted: DeviceChoice,
    shared: Arc<DirectionShared>,
    handoff: Option<HandoffSlot>,
    active: Arc<Mutex<Option<ActiveDevice>>>,
    current: Option<ActiveDevice>,
    stream: Option<cpal::Stream>,
    /// Callback count at the last stall check, and when it last moved.
    last_callbacks: u64,
    last_progress: Instant,
}

impl Slot {
    fn new(spec: SlotSpec) -> Self {
        Self {
            role: spec.role,
            wanted: spec.wanted,
            shared: spec.shared,
            handoff: spec.handoff,
            active: spec.active,
            current: None,
            stream: None,
            last_callbacks: 0,
            last_progress: Instant::now(),
        }
    }

    fn direction(&self) -> Direction {
        self.role.direction()
    }

    /// True when cpal reported a fatal error or the callbacks stopped.
    fn failed(&mut self, now: Instant) -> bool {
        if self.shared.failed.swap(false, Ordering::AcqRel) {
            return true;
        }
        if self.stream.is_none() {
            return false;
        }
        let callbacks = self.shared.callbacks.load(Ordering::Relaxed);
        if callbacks != self.last_callbacks {
            self.last_callbacks = callbacks;
            self.last_progress = now;
            return false;
        }
        now.duration_since(self.last_progress) > STALL
    }

    /// Reopens when the wanted device now resolves to another device than the one in use.
    fn recheck(&mut self, hosts: &mut Hosts, events: &mpsc::Sender<DeviceEvent>) {
        let Ok(target) = hosts.resolve(self.direction(), &self.wanted) else {
            if self.stream.is_none() {
                let _ = self.switch(hosts, SwitchReason::StreamFailed, events);
            }
            return;
        };
        let same = self.stream.is_some()
            && self.current.as_ref().map(|c| &c.device.id) == Some(&target.info.id);
        if same {
            return;
        }
        let reason = match &self.current {
            Some(c) if c.fell_back && !target.fell_back => SwitchReason::DeviceReturned,
            _ => SwitchReason::DefaultChanged,
        };
        if self.open_on(target, reason, events).is_err() {
            // A server connection that saw one of its streams killed (device removed) can
            // refuse new streams ("Invalid argument"): retry once on a fresh connection.
            *hosts = Hosts::new();
            let _ = self.switch(hosts, reason, events);
        }
    }

    /// Resolves the wanted device and opens a stream on it, replacing the current one.
    fn switch(
        &mut self,
        hosts: &mut Hosts,
        reason: SwitchReason,
        events: &mpsc::Sender<DeviceEvent>,
    ) -> Result<(), AudioError> {
        let result = hosts
            .resolve(self.direction(), &self.wanted)
            .and_then(|target| self.open_on(target, reason, events));
        if let Err(e) = &result {
            if reason == SwitchReason::StreamFailed {
                // The old stream is dead: drop it so the next recheck retries from scratch.
                if let Some(old) = self.stream.take() {
                    retire(old);
                }
                self.current = None;
                set_active(&self.active, None);
            }
            tracing::warn!(direction = %self.direction(), error = %e, "audio device unavailable");
            let _ = events.send(DeviceEvent::Lost {
                direction: self.direction(),
                error: e.to_string(),
            });
        }
        result
    }

    fn open_on(
        &mut self,
        target: Resolved,
        reason: SwitchReason,
        events: &mpsc::Sender<DeviceEvent>,
    ) -> Result<(), AudioError> {
        let direction = self.direction();
        let (config, format) = choose_config(&target.device, direction).map_err(|detail| {
            AudioError::UnsupportedDevice {
                direction,
                name: target.info.name.clone(),
                detail,
            }
        })?;
        let open_failed = |source| AudioError::OpenFailed {
            direction,
            name: target.info.name.clone(),
            source,
        };
        self.shared.largest_chunk.store(0, Ordering::Relaxed);
        let (stream, handoff) =
            build_stream(&target.device, &self.role, config, format, &self.shared)
                .map_err(open_failed)?;
        stream.play().map_err(open_failed)?;
        // The new stream runs before the old one stops: the gap is one device buffer at most.
        if let Some(old) = self.stream.replace(stream) {
            retire(old);
        }
        if let (Some(slot), Some(handoff)) = (&self.handoff, handoff) {
            if let Ok(mut pending) = slot.lock() {
                *pending = Some(handoff);
            }
        }
        self.shared.opens.fetch_add(1, Ordering::Relaxed);
        self.last_progress = Instant::now();
        let active = ActiveDevice {
            device: target.info,
            fell_back: target.fell_back,
            sample_rate: config.sample_rate,
            channels: config.channels,
            sample_format: format.to_string(),
        };
        tracing::info!(
            %direction, device = %active.device.name, id = %active.device.id,
            rate = active.sample_rate, channels = active.channels, format = %active.sample_format,
            fell_back = active.fell_back, ?reason, "audio device opened"
        );
        set_active(&self.active, Some(active.clone()));
        self.current = Some(active.clone());
        let _ = events.send(DeviceEvent::Switched {
            direction,
            active,
            reason,
        });
        Ok(())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            retire(stream);
        }
    }
}

/// Drops a stream on a thread of its own. Dropping a cpal stream joins its backend threads,
/// and for a stream whose device vanished (PulseAudio killed the sink input) that join can
/// hang; the device thread must stay free to open the replacement. Should the drop hang, one
/// parked thread is leaked instead of the app's audio.
fn retire(stream: cpal::Stream) {
    let spawned = std::thread::Builder::new()
        .name("dialtone-audio-retire".into())
        .spawn(move || drop(stream));
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start a thread to close an audio stream");
    }
}

fn set_active(slot: &Mutex<Option<ActiveDevice>>, value: Option<ActiveDevice>) {
    if let Ok(mut active) = slot.lock() {
        *active = value;
    }
}

/// Formats the callbacks convert, best first (f32 needs no conversion at all).
const FORMATS: [SampleFormat; 4] = [
    SampleFormat::F32,
    SampleFormat::I16,
    SampleFormat::I32,
    SampleFormat::U16,
];

/// Picks the stream configuration: 48 kHz when offered (no resampling), else the device's
/// default rate; the cheapest format; mono for capture, the device's own channel count for
/// playback; a 10 ms buffer when the device accepts one (PulseAudio's default is far larger).
fn choose_config(
    device: &cpal::Device,
    direction: Direction,
) -> Result<(StreamConfig, SampleFormat), String> {
    let (ranges, default) = match direction {
        Direction::Input => (
            device
                .supported_input_configs()
                .map(|r| r.collect::<Vec<_>>()),
            device.default_input_config(),
        ),
        Direction::Output => (
            device
                .supported_output_configs()
                .map(|r| r.collect::<Vec<_>>()),
            device.default_output_config(),
        ),
    };
    let ranges = ranges.map_err(|e| e.to_string())?;
    let default_rate = default.as_ref().map_or(48_000, |d| d.sample_rate());
    let default_channels = default.as_ref().map_or(2, |d| d.channels());
    let best = ranges
        .iter()
        .filter_map(|range| {
            let format_rank = FORMATS.iter().position(|f| *f == range.sample_format())?;
            let rate = [48_000, default_rate]
                .into_iter()
                .find(|r| {
                    range.contains_rate(*r) && (MIN_DEVICE_RATE..=MAX_DEVICE_RATE).contains(r)
                })
                .or_else(|| {
                    let r = range.max_sample_rate().min(MAX_DEVICE_RATE);
                    (r >= MIN_DEVICE_RATE && range.contains_rate(r)).then_some(r)
                })?;
            let channels = range.channels();
            let channel_rank = match direction {
                Direction::Input => usize::from(channels),
                Direction::Output if channels == default_channels => 0,
                Direction::Output => usize::from(channels) + 1,
            };
            if channels == 0 {
                return None;
            }
            let score = (rate != 48_000, channel_rank, format_rank);
            Some((score, range, rate))
        })
        .min_by_key(|(score, _, _)| *score);
    let Some((_, range, rate)) = best else {
        let offered: Vec<String> = ranges
            .iter()
            .map(|r| format!("{} {}ch", r.sample_format(), r.channels()))
            .collect();
        return Err(format!("offers {}", offered.join(", ")));
    };
    let ten_ms = rate / 100;
    let buffer_size = match range.buffer_size() {
        cpal::SupportedBufferSize::Range { min, max } if (*min..=*max).contains(&ten_ms) => {
            cpal::BufferSize::Fixed(ten_ms)
        }
        _ => cpal::BufferSize::Default,
    };
    Ok((
        StreamConfig {
            channels: range.channels(),
            sample_rate: rate,
            buffer_size,
        },
        range.sample_format(),
    ))
}

/// Builds the stream for `role`, retrying with the backend's default buffer size when a
/// fixed 10 ms buffer is refused.
fn build_stream(
    device: &cpal::Device,
    role: &Role,
    config: StreamConfig,
    format: SampleFormat,
    shared: &Arc<DirectionShared>,
) -> Result<(cpal::Stream, Option<Handoff>), cpal::Error> {
    match build_once(device, role, config, format, shared) {
        Err(e) if config.buffer_size != cpal::BufferSize::Default => {
            tracing::debug!(error = %e, "fixed buffer refused, using the device default");
            let config = StreamConfig {
                buffer_size: cpal::BufferSize::Default,
                ..config
            };
            build_once(device, role, config, format, shared)
        }
        other => other,
    }
}

fn build_once(
    device: &cpal::Device,
    role: &Role,
    config: StreamConfig,
    format: SampleFormat,
    shared: &Arc<DirectionShared>,
) -> Result<(cpal::Stream, Option<Handoff>), cpal::Error> {
    let channels = usize::from(config.channels);
    let rate = config.sample_rate;
    let on_error = error_hook(shared.clone());
    let unsupported = || {
        cpal::Error::with_message(
            ErrorKind::UnsupportedConfig,
            format!("sample format {format} is not converted"),
        )
    };
    macro_rules! input {
        ($t:ty, $cb:ident) => {
            device.build_input_stream::<$t, _, _>(
                config,
                move |d, _| $cb.process(d),
                on_error,
                None,
            )
        };
    }
    macro_rules! output {
        ($t:ty, $cb:ident) => {
            device.build_output_stream::<$t, _, _>(
                config,
                move |d, _| $cb.process(d),
                on_error,
                None,
            )
        };
    }
    match role {
        Role::Capture => {
            let (producer, consumer) = new_ring(rate);
            let mut cb = CaptureCallback {
                producer,
                channels,
                shared: shared.clone(),
            };
            let stream = match format {
                SampleFormat::F32 => input!(f32, cb),
                SampleFormat::I16 => input!(i16, cb),
                SampleFormat::I32 => input!(i32, cb),
                SampleFormat::U16 => input!(u16, cb),
                _ => Err(unsupported()),
            }?;
            Ok((stream, Some(Handoff::Capture { consumer, rate })))
        }
        Role::Playback => {
            let (producer, consumer) = new_ring(rate);
            let mut cb = PlaybackCallback {
                consumer,
                channels,
                rate,
                shared: shared.clone(),
                priming: true,
            };
            let stream = match format {
                SampleFormat::F32 => output!(f32, cb),
                SampleFormat::I16 => output!(i16, cb),
                SampleFormat::I32 => output!(i32, cb),
                SampleFormat::U16 => output!(u16, cb),
                _ => Err(unsupported()),
            }?;
            Ok((stream, Some(Handoff::Playback { producer, rate })))
        }
        Role::Ringer(control) => {
            let mut cb = ToneCallback {
                control: control.clone(),
                channels,
                rate,
                shared: shared.clone(),
                seen: 0,
                generator: None,
            };
            let stream = match format {
                SampleFormat::F32 => output!(f32, cb),
                SampleFormat::I16 => output!(i16, cb),
                SampleFormat::I32 => output!(i32, cb),
                SampleFormat::U16 => output!(u16, cb),
                _ => Err(unsupported()),
            }?;
            Ok((stream, None))
        }
    }
}

/// cpal's error callback: counts, and flags the stream dead when the backend says it is
/// (the device thread then reopens). No logging here: it may run on a device thread.
fn error_hook(shared: Arc<DirectionShared>) -> impl FnMut(cpal::Error) + Send + 'static {
    move |e: cpal::Error| match e.kind() {
        ErrorKind::Xrun => DirectionShared::add(&shared.xruns, 1),
        ErrorKind::DeviceNotAvailable
        | ErrorKind::StreamInvalidated
        | ErrorKind::HostUnavailable => {
            DirectionShared::add(&shared.device_errors, 1);
            shared.failed.store(true, Ordering::Release);
        }
        _ => DirectionShared::add(&shared.device_errors, 1),
    }
}
