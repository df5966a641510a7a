//! The media engine of one call, sans-IO: audio frames and datagrams in, datagrams, playback
//! frames and events out, time passed in.
//!
//! [`MediaStream`] ties the pieces of this crate together the way `docs/ARCHITECTURE.md` draws
//! the call's data flow: capture (10 ms, 48 kHz mono) → resample → encode → RTP → SRTP on the
//! way out; SRTP → RTP → jitter buffer → decode/conceal/FEC → resample → playback on the way in;
//! RTCP, RFC 4733 DTMF and the quality statistics alongside. It owns no socket, thread, device or
//! clock, so a test wires two of them back to back and runs a whole call in virtual time; the
//! tokio side is a thin loop feeding it and draining [`MediaStream::poll_transmit`].
//!
//! Choices worth knowing:
//! * Audio packets pause while a DTMF event is on the wire (RFC 4733 §2.5.1.2 allows either);
//!   their timestamps keep advancing, so the far end's timeline stays real time.
//! * Mute and hold send nothing (no silence packets); RTCP keeps flowing, as an RR once we have
//!   been silent for two intervals.
//! * The source address of a datagram is not checked against the SDP (NATs rewrite it); SRTP is
//!   what authenticates the peer.

mod codecs;
mod outbox;
mod receive;
mod rtcp;
mod send;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::codec::opus::OpusConfig;
use crate::codec::CodecError;
use crate::dtmf::DtmfError;
use crate::jitter::{JitterConfig, JitterStats};
use crate::resample::ResampleError;
use crate::rtcp::{is_rtcp, RtcpScheduler};
use crate::sdp::{Negotiated, SrtpParams};
use crate::srtp::{SrtpContext, SrtpError};
use crate::stats::{CallQuality, QualityMeter};

use outbox::Outbox;
use receive::ReceivePath;
use send::SendPath;

/// Samples in one 10 ms frame at the engine's internal 48 kHz.
pub const FRAME_10MS: usize = 480;
/// Largest datagram we look at; anything longer is not one of our RTP/RTCP packets.
const MAX_DATAGRAM: usize = 2048;

/// Why a stream could not be built or updated.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("codec {0} is not supported by the media engine (PCMU, PCMA, G722 and opus are)")]
    UnsupportedCodec(String),
    #[error("codec error: {0}")]
    Codec(CodecError),
    #[error("resampler: {0}")]
    Resample(ResampleError),
    #[error("SRTP keys unusable: {0}")]
    Srtp(SrtpError),
    #[error("DTMF: {0}")]
    Dtmf(DtmfError),
    #[error("telephone-event was not negotiated with the peer; use SIP INFO for DTMF")]
    NoTelephoneEvent,
}

/// Settings of one stream that SDP does not carry.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Our SSRC; random if `None` (RFC 3550 §8.1).
    pub ssrc: Option<u32>,
    /// RTCP CNAME (RFC 3550 §6.5.1), e.g. `user@host`, stable for the call.
    pub cname: String,
    /// Opus encoder defaults, adjusted by the peer's fmtp.
    pub opus: OpusConfig,
    /// Jitter buffer defaults; clock rate, frame and FEC are set from the negotiated codec.
    pub jitter: JitterConfig,
    /// Mean RTCP report interval (RFC 3550's 5 s unless a test wants faster).
    pub rtcp_interval: Duration,
    /// Wallclock at the `now` passed to [`MediaStream::new`], as a duration since the Unix epoch:
    /// the NTP time in SRs and the RTT calculation derive from it, so nothing inside reads a clock.
    pub wallclock: Duration,
}

impl StreamConfig {
    /// Defaults with this CNAME; reads the system clock once for [`StreamConfig::wallclock`].
    pub fn new(cname: impl Into<String>) -> Self {
        Self {
            ssrc: None,
            cname: cname.into(),
            opus: OpusConfig::default(),
            jitter: JitterConfig::new(8000, Duration::from_millis(20)),
            rtcp_interval: RtcpScheduler::DEFAULT_INTERVAL,
            wallclock: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
        }
    }
}

/// Which of our sockets a datagram arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Socket {
    /// The RTP port (also carries RTCP under rtcp-mux).
    Rtp,
    /// The separate RTCP port (no rtcp-mux).
    Rtcp,
}

/// What a datagram carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransmitKind {
    Rtp,
    Rtcp,
}

/// A datagram to send: from our RTP socket for `Rtp`, or from the RTCP socket for `Rtcp` unless
/// rtcp-mux was negotiated (then `to` equals the RTP address and the RTP socket sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub to: SocketAddr,
    /// Give it back with [`MediaStream::recycle`] once sent to avoid an allocation per packet.
    pub bytes: Vec<u8>,
    pub kind: TransmitKind,
}

/// Something the call layer should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// The peer's first RTP packet arrived (media is flowing: stop early-media timers, etc.).
    FirstPacket { ssrc: u32 },
    /// The peer switched SSRC (a PBX bridging another leg, a transfer).
    RemoteSsrcChanged { old: u32, new: u32 },
    /// A key press began (RFC 4733); reported once per press.
    Dtmf(char),
    /// The key press ended.
    DtmfEnd { digit: char, duration: Duration },
    /// The peer sent RTCP BYE.
    RemoteBye,
}

/// Per-packet problems, counted rather than raised: the network decides these, not us.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaCounters {
    /// SRTP/SRTCP packets that failed authentication, replay or length checks.
    pub srtp_errors: u64,
    /// Datagrams that are neither valid RTP nor RTCP.
    pub malformed: u64,
    /// RTP with a payload type we did not negotiate.
    pub unknown_payload_type: u64,
    /// Payloads the decoder rejected (concealed instead).
    pub decode_errors: u64,
    /// Frames concealed by the codec (loss, late packets, decode errors).
    pub concealed_frames: u64,
    /// Frames rebuilt from the next packet's in-band FEC (Opus).
    pub fec_frames: u64,
    /// RTCP compounds accepted.
    pub rtcp_received: u64,
}

/// The media of one call (see the module documentation).
pub struct MediaStream {
    config: StreamConfig,
    negotiated: Negotiated,
    epoch: Instant,
    wallclock_unix: Duration,
    send: SendPath,
    recv: ReceivePath,
    scheduler: RtcpScheduler,
    outbox: Outbox,
    events: VecDeque<MediaEvent>,
    meter: QualityMeter,
    rx_scratch: Vec<u8>,
    counters: MediaCounters,
}

/// Our key protects what we send, the peer's key unprotects what it sends (RFC 4568 §6.1).
fn srtp_contexts(
    params: Option<&SrtpParams>,
) -> Result<(Option<SrtpContext>, Option<SrtpContext>), MediaError> {
    let Some(params) = params else {
        return Ok((None, None));
    };
    let outbound = SrtpContext::new(&params.suite, &params.local_key).map_err(MediaError::Srtp)?;
    let inbound = SrtpContext::new(&params.suite, &params.remote_key).map_err(MediaError::Srtp)?;
    Ok((Some(outbound), Some(inbound)))
}

impl MediaStream {
    /// Builds the stream for a fresh negotiation.
    pub fn new(
        now: Instant,
        negotiated: &Negotiated,
        config: StreamConfig,
    ) -> Result<Self, MediaError> {
        let ssrc = config.ssrc.unwrap_or_else(rand::random::<u32>);
        let (outbound, inbound) = srtp_contexts(negotiated.srtp.as_ref())?;
        let send = SendPath::new(
            now,
            ssrc,
            &negotiated.send_codec,
            negotiated.ptime,
            &config.opus,
            negotiated.dtmf_send_pt,
            outbound,
            negotiated.should_send(),
        )?;
        let recv = ReceivePath::new(negotiated, &config, inbound);
        Ok(Self {
            scheduler: RtcpScheduler::with_interval(now, u64::from(ssrc), config.rtcp_interval),
            wallclock_unix: config.wallclock,
            config,
            negotiated: negotiated.clone(),
            epoch: now,
            send,
            recv,
            outbox: Outbox::default(),
            events: VecDeque::new(),
            meter: QualityMeter::default(),
            rx_scratch: vec![0; MAX_DATAGRAM],
            counters: MediaCounters::default(),
        })
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.send.ssrc
    }

    /// Takes a renegotiation (re-INVITE: hold, resume, codec or key change). SSRC, sequence
    /// numbers and timestamps continue; codec and SRTP contexts are replaced only if they changed.
    pub fn update(&mut self, now: Instant, negotiated: &Negotiated) -> Result<(), MediaError> {
        if negotiated.srtp != self.negotiated.srtp {
            let (outbound, inbound) = srtp_contexts(negotiated.srtp.as_ref())?;
            self.send.srtp = outbound;
            self.recv.srtp = inbound;
        }
        self.send.set_codec(
            now,
            &negotiated.send_codec,
            negotiated.ptime,
            &self.config.opus,
            negotiated.dtmf_send_pt,
        )?;
        self.send.direction_sends = negotiated.should_send();
        self.recv.update(negotiated);
        self.negotiated = negotiated.clone();
        Ok(())
    }

    /// Mutes the microphone: no audio packets leave (DTMF and RTCP still do).
    pub fn set_muted(&mut self, muted: bool) {
        self.send.muted = muted;
    }

    pub fn is_muted(&self) -> bool {
        self.send.muted
    }

    /// One captured 10 ms 48 kHz mono frame.
    pub fn push_capture(
        &mut self,
        now: Instant,
        frame: &[f32; FRAME_10MS],
    ) -> Result<(), MediaError> {
        let to = self.negotiated.remote_rtp;
        self.send.push_capture(now, frame, to, &mut self.outbox)
    }

    /// One 10 ms 48 kHz mono frame to play.
    pub fn pull_playback(
        &mut self,
        now: Instant,
        out: &mut [f32; FRAME_10MS],
    ) -> Result<(), MediaError> {
        self.recv.pull_playback(now, out, &mut self.counters)
    }

    /// Queues DTMF digits as RFC 4733 events.
    pub fn send_dtmf(&mut self, now: Instant, digits: &str) -> Result<(), MediaError> {
        if self.send.send_dtmf(now, digits)? {
            let to = self.negotiated.remote_rtp;
            self.send.poll_dtmf(now, to, &mut self.outbox);
            Ok(())
        } else {
            Err(MediaError::NoTelephoneEvent)
        }
    }

    /// A datagram that arrived on `socket` from `from`. Never fails: whatever is wrong with it is
    /// counted in [`MediaStream::counters`] and the datagram dropped.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        bytes: &[u8],
        from: SocketAddr,
        socket: Socket,
    ) {
        let _ = from;
        let Some(scratch) = self.rx_scratch.get_mut(..bytes.len()) else {
            self.counters.malformed += 1;
            return;
        };
        scratch.copy_from_slice(bytes);
        // RFC 5761 §4: on a muxed port, types 64–95 in the second octet are RTCP.
        let rtcp = socket == Socket::Rtcp || is_rtcp(bytes);
        if rtcp {
            let len = match &mut self.recv.srtp {
                Some(ctx) => match ctx.unprotect_rtcp(scratch) {
                    Ok(len) => len,
                    Err(_) => {
                        self.counters.srtp_errors += 1;
                        return;
                    }
                },
                None => bytes.len(),
            };
            self.handle_rtcp(now, len);
        } else {
            let len = match &mut self.recv.srtp {
                Some(ctx) => match ctx.unprotect_rtp(scratch) {
                    Ok(len) => len,
                    Err(_) => {
                        self.counters.srtp_errors += 1;
                        return;
                    }
                },
                None => bytes.len(),
            };
            self.recv.handle_rtp(
                now,
                &self.rx_scratch[..len],
                &mut self.counters,
                &mut self.events,
            );
        }
    }

    /// Runs the timers due at `now`: RTCP reports, DTMF packets, the DTMF receiver's timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        let to = self.negotiated.remote_rtp;
        self.send.poll_dtmf(now, to, &mut self.outbox);
        self.recv.handle_timeout(now, &mut self.events);
        if self.scheduler.handle_timeout(now) {
            self.send_report(now);
        }
    }

    /// When [`MediaStream::handle_timeout`] next has work (audio frames are driven by the device
    /// clock through push/pull, not by this).
    pub fn poll_timeout(&self) -> Instant {
        [self.send.dtmf_timeout(), self.recv.dtmf_timeout()]
            .into_iter()
            .flatten()
            .fold(self.scheduler.poll_timeout(), Instant::min)
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop()
    }

    /// Returns a sent datagram's buffer for reuse.
    pub fn recycle(&mut self, bytes: Vec<u8>) {
        self.outbox.recycle(bytes);
    }

    /// The next event for the call layer.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// The audio fields of the Linkus quality report at `now`.
    pub fn quality(&mut self, now: Instant) -> CallQuality {
        let mut report = CallQuality {
            lks_audio_codec: self.send.codec.label(),
            lks_duration: now.saturating_duration_since(self.epoch).as_secs_f64(),
            ..CallQuality::default()
        };
        self.meter
            .fill(now, self.recv.stats.as_ref(), &self.send.stats, &mut report);
        report
    }

    /// The jitter buffer's counters, summed over every payload type played.
    pub fn jitter_stats(&self) -> JitterStats {
        self.recv.jitter_stats()
    }

    /// Per-packet error and concealment counters.
    pub fn counters(&self) -> MediaCounters {
        self.counters
    }

    /// The negotiated values the stream currently follows.
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// The RTP clock rate we send at (8000 for G.711/G.722, 48000 for Opus).
    pub fn send_clock_rate(&self) -> u32 {
        self.send.clock_rate()
    }

    /// The codec currently decoded, once the peer's audio has arrived.
    pub fn receive_codec(&self) -> Option<String> {
        self.recv.codec().map(crate::sdp::Codec::label)
    }
}
