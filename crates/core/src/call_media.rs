//! The media of one call at run time: its RTP/RTCP sockets, the sans-IO [`MediaStream`], and the
//! audio ends (sound devices, or WAV files for scripts and tests), on one thread that ticks every
//! 10 ms. The signalling side talks to it through commands and hears from it through notes.
//!
//! A thread rather than a tokio task: the tick must not wait behind signalling work, and the
//! sound devices (cpal) are opened and owned on it.

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dialtone_audio::{AudioIo, DeviceChoice, WavSink, WavSource, FRAME_SAMPLES};
use dialtone_media::engine::{MediaEvent, MediaStream, Socket, StreamConfig, TransmitKind};
use dialtone_media::sdp::Negotiated;
use dialtone_media::stats::CallQuality;
use tokio::sync::mpsc::UnboundedSender;
use tracing::{debug, warn};

use crate::devices::device_error;
use crate::result_code::{PhoneError, ResultCode};

/// The media loop's period: one 10 ms frame in, one out.
const TICK: Duration = Duration::from_millis(10);
/// How often a quality report is sent up (the Linkus SDK's `callReport` cadence).
const REPORT_EVERY: Duration = Duration::from_secs(3);

/// Where a call's audio comes from and goes to.
#[derive(Debug, Clone)]
pub enum AudioEnds {
    /// WAV files: `play` is the microphone (looped), `record` receives what is heard. Either may
    /// be absent (silence in, nothing kept).
    Files {
        play: Option<PathBuf>,
        record: Option<PathBuf>,
    },
    /// Sound devices.
    Devices {
        microphone: DeviceChoice,
        speaker: DeviceChoice,
    },
}

/// A call's RTP and RTCP sockets, bound before the SDP is written (their ports go into it).
#[derive(Debug)]
pub struct RtpSockets {
    rtp: UdpSocket,
    rtcp: UdpSocket,
}

impl RtpSockets {
    /// Binds two ephemeral UDP ports on `ip` (the address our signalling uses).
    pub fn bind(ip: IpAddr) -> io::Result<RtpSockets> {
        let rtp = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        let rtcp = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        rtp.set_nonblocking(true)?;
        rtcp.set_nonblocking(true)?;
        Ok(RtpSockets { rtp, rtcp })
    }

    pub fn rtp_port(&self) -> u16 {
        self.rtp.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    pub fn rtcp_port(&self) -> u16 {
        self.rtcp.local_addr().map(|a| a.port()).unwrap_or_default()
    }
}

/// What the media thread tells the call.
#[derive(Debug, Clone)]
pub enum MediaNote {
    FirstPacket,
    Dtmf(char),
    Quality(Box<CallQuality>),
    /// The audio ends failed (a file could not be written, a device vanished for good).
    Error(String),
}

enum Command {
    Update(Box<Negotiated>),
    Dtmf(String),
    Mute(bool),
    Stop,
}

/// The running media of one call; stops (and finishes any recording) when dropped.
pub struct CallMedia {
    commands: std_mpsc::Sender<Command>,
    thread: Option<JoinHandle<()>>,
}

impl CallMedia {
    /// Starts the media thread for a negotiated call; its notes arrive as `(tag, note)`.
    pub fn start_tagged<T: Clone + Send + 'static>(
        sockets: RtpSockets,
        negotiated: &Negotiated,
        ends: AudioEnds,
        cname: String,
        tag: T,
        notes: UnboundedSender<(T, MediaNote)>,
    ) -> Result<CallMedia, PhoneError> {
        let media_error =
            |message: String| PhoneError::new(ResultCode::GetLocalMediaInfoError, message);
        let stream = MediaStream::new(Instant::now(), negotiated, StreamConfig::new(cname))
            .map_err(|e| media_error(format!("The call's media cannot start: {e}.")))?;
        let (commands, inbox) = std_mpsc::channel();
        let (ready_tx, ready_rx) = std_mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("dialtone-media".into())
            .spawn(move || {
                let io = match open_ends(ends) {
                    Ok(io) => {
                        let _ = ready_tx.send(Ok(()));
                        io
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                MediaLoop {
                    stream,
                    sockets,
                    io,
                    inbox,
                    tag,
                    notes,
                }
                .run();
            })
            .map_err(|e| media_error(format!("Cannot start the media thread: {e}.")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(CallMedia {
                commands,
                thread: Some(thread),
            }),
            Ok(Err(err)) => {
                let _ = thread.join();
                Err(err)
            }
            Err(_) => Err(media_error(
                "The media thread stopped while starting.".into(),
            )),
        }
    }

    /// A re-INVITE changed the session (hold, resume, codec, keys).
    pub fn update(&self, negotiated: &Negotiated) {
        let _ = self
            .commands
            .send(Command::Update(Box::new(negotiated.clone())));
    }

    /// Sends DTMF digits as RFC 4733 events.
    pub fn send_dtmf(&self, digits: &str) {
        let _ = self.commands.send(Command::Dtmf(digits.to_owned()));
    }

    pub fn set_muted(&self, muted: bool) {
        let _ = self.commands.send(Command::Mute(muted));
    }
}

impl Drop for CallMedia {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The audio ends as the loop uses them.
enum Ends {
    Files {
        play: Option<WavSource>,
        record: Option<WavSink>,
    },
    Devices(Box<AudioIo>),
}

/// Opens the files or devices (on the media thread, which then owns them).
fn open_ends(ends: AudioEnds) -> Result<Ends, PhoneError> {
    {
        let file_error = |e: dialtone_audio::WavError| {
            PhoneError::new(ResultCode::GetLocalMediaInfoError, e.to_string())
        };
        match ends {
            AudioEnds::Files { play, record } => Ok(Ends::Files {
                play: play
                    .map(|p| WavSource::open(&p, true))
                    .transpose()
                    .map_err(file_error)?,
                record: record
                    .map(|p| WavSink::create(&p))
                    .transpose()
                    .map_err(file_error)?,
            }),
            AudioEnds::Devices {
                microphone,
                speaker,
            } => AudioIo::open(microphone, speaker)
                .map(|io| Ends::Devices(Box::new(io)))
                .map_err(device_error),
        }
    }
}

struct MediaLoop<T> {
    stream: MediaStream,
    sockets: RtpSockets,
    io: Ends,
    inbox: std_mpsc::Receiver<Command>,
    tag: T,
    notes: UnboundedSender<(T, MediaNote)>,
}

impl<T: Clone> MediaLoop<T> {
    fn note(&self, note: MediaNote) {
        let _ = self.notes.send((self.tag.clone(), note));
    }

    fn run(mut self) {
        let mut next_tick = Instant::now();
        let mut next_report = next_tick + REPORT_EVERY;
        let mut capture = [0.0f32; FRAME_SAMPLES];
        let mut playback = [0.0f32; FRAME_SAMPLES];
        let mut datagram = [0u8; 2048];
        loop {
            if !self.take_commands() {
                break;
            }
            let now = Instant::now();
            self.receive(now, &mut datagram);
            if let Err(err) = self.stream.pull_playback(now, &mut playback) {
                debug!(%err, "playback frame");
            }
            self.play(&playback);
            self.record_capture(&mut capture);
            if let Err(err) = self.stream.push_capture(now, &capture) {
                debug!(%err, "capture frame");
            }
            if now >= self.stream.poll_timeout() {
                self.stream.handle_timeout(now);
            }
            self.transmit();
            self.forward_events();
            if now >= next_report {
                next_report = now + REPORT_EVERY;
                let quality = self.stream.quality(now);
                self.note(MediaNote::Quality(Box::new(quality)));
            }
            next_tick += TICK;
            let now = Instant::now();
            match next_tick.checked_duration_since(now) {
                Some(wait) => std::thread::sleep(wait),
                // More than a few ticks behind (the machine stalled): start the cadence afresh
                // rather than rushing through the backlog.
                None if now.duration_since(next_tick) > TICK * 10 => next_tick = now,
                None => {}
            }
        }
        let io = std::mem::replace(
            &mut self.io,
            Ends::Files {
                play: None,
                record: None,
            },
        );
        if let Ends::Files {
            record: Some(sink), ..
        } = io
        {
            if let Err(err) = sink.finish() {
                self.note(MediaNote::Error(err.to_string()));
            }
        }
    }

    /// Applies what the call asked; `false` to stop.
    fn take_commands(&mut self) -> bool {
        loop {
            match self.inbox.try_recv() {
                Ok(Command::Update(negotiated)) => {
                    if let Err(err) = self.stream.update(Instant::now(), &negotiated) {
                        self.note(MediaNote::Error(format!(
                            "The call's media cannot change: {err}."
                        )));
                    }
                }
                Ok(Command::Dtmf(digits)) => {
                    if let Err(err) = self.stream.send_dtmf(Instant::now(), &digits) {
                        self.note(MediaNote::Error(err.to_string()));
                    }
                }
                Ok(Command::Mute(muted)) => self.stream.set_muted(muted),
                Ok(Command::Stop) | Err(std_mpsc::TryRecvError::Disconnected) => return false,
                Err(std_mpsc::TryRecvError::Empty) => return true,
            }
        }
    }

    fn receive(&mut self, now: Instant, buffer: &mut [u8]) {
        for (socket, kind) in [
            (&self.sockets.rtp, Socket::Rtp),
            (&self.sockets.rtcp, Socket::Rtcp),
        ] {
            // Bounded: a flood cannot starve the audio of its tick.
            for _ in 0..64 {
                match socket.recv_from(buffer) {
                    Ok((len, from)) => self.stream.handle_datagram(now, &buffer[..len], from, kind),
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    // ICMP port unreachable from the peer and the like: nothing to read now.
                    Err(_) => break,
                }
            }
        }
    }

    fn transmit(&mut self) {
        while let Some(transmit) = self.stream.poll_transmit() {
            let socket = match transmit.kind {
                TransmitKind::Rtcp if transmit.to != self.stream.negotiated().remote_rtp => {
                    &self.sockets.rtcp
                }
                _ => &self.sockets.rtp,
            };
            if let Err(err) = socket.send_to(&transmit.bytes, transmit.to) {
                if err.kind() != io::ErrorKind::WouldBlock {
                    warn!(%err, to = %transmit.to, "media send failed");
                }
            }
            self.stream.recycle(transmit.bytes);
        }
    }

    fn forward_events(&mut self) {
        while let Some(event) = self.stream.poll_event() {
            let note = match event {
                MediaEvent::FirstPacket { .. } => MediaNote::FirstPacket,
                MediaEvent::Dtmf(digit) => MediaNote::Dtmf(digit),
                _ => continue,
            };
            self.note(note);
        }
    }

    fn record_capture(&mut self, frame: &mut [f32; FRAME_SAMPLES]) {
        let got = match &mut self.io {
            Ends::Files {
                play: Some(source), ..
            } => source.read_frame(frame),
            Ends::Files { play: None, .. } => false,
            Ends::Devices(io) => io.read_capture_frame(frame),
        };
        if !got {
            frame.fill(0.0);
        }
    }

    fn play(&mut self, frame: &[f32; FRAME_SAMPLES]) {
        match &mut self.io {
            Ends::Files {
                record: Some(sink), ..
            } => {
                if let Err(err) = sink.write_frame(frame) {
                    self.note(MediaNote::Error(err.to_string()));
                    if let Ends::Files { record, .. } = &mut self.io {
                        *record = None;
                    }
                }
            }
            Ends::Files { record: None, .. } => {}
            Ends::Devices(io) => io.write_playback_frame(frame),
        }
    }
}
