//! The sending half: 10 ms capture frames → codec frames → RTP (→ SRTP) datagrams, and RFC 4733
//! telephone-events on the same SSRC, sequence space and timeline.

use std::net::SocketAddr;
use std::time::Instant;

use crate::codec::opus::{OpusConfig, MAX_PACKET_BYTES};
use crate::codec::{AudioEncoder, CodecFormat};
use crate::dtmf::{DtmfConfig, DtmfPacket, DtmfSender};
use crate::resample::{Resampler, INTERNAL_RATE};
use crate::rtp::{RtpClock, RtpHeader};
use crate::sdp::Codec;
use crate::srtp::SrtpContext;
use crate::stats::SendStats;

use super::outbox::Outbox;
use super::{codecs, MediaError, TransmitKind, FRAME_10MS};

/// Everything that turns captured audio into packets for the far end.
pub(super) struct SendPath {
    pub(super) ssrc: u32,
    sequence: u16,
    /// RTP timestamp of the next audio frame. Advances with every codec frame captured, sent or
    /// not (mute, hold, DTMF), so the far end's timeline matches real time when audio resumes.
    timestamp: u32,
    /// Set after a pause: the next audio packet starts a talkspurt (RFC 3551 §4.1 M bit).
    marker: bool,
    pub(super) codec: Codec,
    ptime: u32,
    encoder: Box<dyn AudioEncoder + Send>,
    format: CodecFormat,
    resampler: Resampler,
    resampled: Vec<f32>,
    frame: Vec<i16>,
    filled: usize,
    payload: Vec<u8>,
    pub(super) srtp: Option<SrtpContext>,
    dtmf: Option<DtmfSender>,
    pub(super) stats: SendStats,
    /// The negotiated direction lets us send (false while holding or held with `inactive`).
    pub(super) direction_sends: bool,
    pub(super) muted: bool,
}

impl SendPath {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        now: Instant,
        ssrc: u32,
        codec: &Codec,
        ptime: u32,
        opus: &OpusConfig,
        dtmf_pt: Option<u8>,
        srtp: Option<SrtpContext>,
        direction_sends: bool,
    ) -> Result<Self, MediaError> {
        let encoder = codecs::encoder(codec, ptime, opus)?;
        let format = encoder.format();
        let resampler =
            Resampler::new(INTERNAL_RATE, format.sample_rate).map_err(MediaError::Resample)?;
        let timestamp = rand::random::<u32>();
        let mut path = Self {
            ssrc,
            sequence: rand::random::<u16>() & 0x7fff,
            timestamp,
            marker: true,
            codec: codec.clone(),
            ptime,
            resampled: vec![0.0; resampler.output_len()],
            frame: vec![0; format.frame_len()],
            filled: 0,
            payload: vec![0; MAX_PACKET_BYTES],
            encoder,
            format,
            resampler,
            srtp,
            dtmf: None,
            stats: SendStats::new(ssrc, format.clock_rate),
            direction_sends,
            muted: false,
        };
        path.set_dtmf(now, dtmf_pt);
        Ok(path)
    }

    /// RTP clock rate of what we send.
    pub(super) fn clock_rate(&self) -> u32 {
        self.format.clock_rate
    }

    /// (Re)creates the telephone-event sender on the audio timeline as of `now`.
    fn set_dtmf(&mut self, now: Instant, pt: Option<u8>) {
        if self.dtmf.as_ref().is_some_and(|d| !d.is_idle()) {
            return; // never cut a digit in half; the next update picks the change up
        }
        self.dtmf = pt.map(|pt| {
            let clock = RtpClock::new(now, self.timestamp, self.format.clock_rate);
            DtmfSender::new(DtmfConfig::new(pt), clock)
        });
    }

    /// Swaps the codec after a re-INVITE changed it; SSRC, sequence and timestamp continue.
    pub(super) fn set_codec(
        &mut self,
        now: Instant,
        codec: &Codec,
        ptime: u32,
        opus: &OpusConfig,
        dtmf_pt: Option<u8>,
    ) -> Result<(), MediaError> {
        if codec != &self.codec || ptime != self.ptime {
            let encoder = codecs::encoder(codec, ptime, opus)?;
            let format = encoder.format();
            self.resampler =
                Resampler::new(INTERNAL_RATE, format.sample_rate).map_err(MediaError::Resample)?;
            self.resampled = vec![0.0; self.resampler.output_len()];
            self.frame = vec![0; format.frame_len()];
            self.filled = 0;
            self.encoder = encoder;
            self.format = format;
            self.codec = codec.clone();
            self.ptime = ptime;
            self.marker = true;
            self.dtmf = None;
        }
        self.set_dtmf(now, dtmf_pt);
        Ok(())
    }

    /// Whether packets may leave now.
    fn may_send(&self) -> bool {
        self.direction_sends
    }

    /// Queues digits; `Ok(false)` when no telephone-event was negotiated.
    pub(super) fn send_dtmf(&mut self, now: Instant, digits: &str) -> Result<bool, MediaError> {
        match &mut self.dtmf {
            Some(sender) => {
                sender.send_digits(now, digits).map_err(MediaError::Dtmf)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    pub(super) fn dtmf_timeout(&self) -> Option<Instant> {
        self.dtmf.as_ref().and_then(DtmfSender::poll_timeout)
    }

    /// Sends the telephone-event packets due at `now`.
    pub(super) fn poll_dtmf(&mut self, now: Instant, to: SocketAddr, outbox: &mut Outbox) {
        while let Some(packet) = self.dtmf.as_mut().and_then(|d| d.poll(now)) {
            if self.may_send() {
                self.send_dtmf_packet(now, &packet, to, outbox);
            }
        }
    }

    fn send_dtmf_packet(
        &mut self,
        now: Instant,
        packet: &DtmfPacket,
        to: SocketAddr,
        outbox: &mut Outbox,
    ) {
        let header = RtpHeader {
            marker: packet.marker,
            payload_type: packet.payload_type,
            sequence_number: self.sequence,
            timestamp: packet.timestamp,
            ssrc: self.ssrc,
            ..RtpHeader::default()
        };
        if self.write_packet(&header, PayloadSource::Dtmf(packet.payload), to, outbox) {
            self.sequence = self.sequence.wrapping_add(1);
            // RFC 4733 §2.5.1.4: the repeated end packets stay out of the SR counts.
            if !packet.retransmission {
                self.stats
                    .on_packet_sent(now, packet.timestamp, packet.payload.len());
            }
            self.marker = true;
        }
    }

    /// Takes one 10 ms 48 kHz frame; sends a packet whenever a codec frame is complete.
    pub(super) fn push_capture(
        &mut self,
        now: Instant,
        frame: &[f32; FRAME_10MS],
        to: SocketAddr,
        outbox: &mut Outbox,
    ) -> Result<(), MediaError> {
        self.poll_dtmf(now, to, outbox);
        self.resampler
            .process(frame, &mut self.resampled)
            .map_err(MediaError::Resample)?;
        let mut taken = 0;
        while taken < self.resampled.len() {
            let n = (self.resampled.len() - taken).min(self.frame.len() - self.filled);
            for (dst, src) in self.frame[self.filled..self.filled + n]
                .iter_mut()
                .zip(&self.resampled[taken..taken + n])
            {
                *dst = (src.clamp(-1.0, 1.0) * 32767.0) as i16;
            }
            taken += n;
            self.filled += n;
            if self.filled == self.frame.len() {
                self.filled = 0;
                self.emit_frame(now, to, outbox)?;
            }
        }
        Ok(())
    }

    /// One complete codec frame: encode and send it unless muted, held or a DTMF event is on
    /// the wire (RFC 4733 §2.5.1.2 lets audio continue, but a receiver then plays both; pausing
    /// is what most phones do and keeps the far end's digit detector clean).
    fn emit_frame(
        &mut self,
        now: Instant,
        to: SocketAddr,
        outbox: &mut Outbox,
    ) -> Result<(), MediaError> {
        let timestamp = self.timestamp;
        self.timestamp = timestamp.wrapping_add(self.format.frame_ticks());
        let dtmf_busy = self.dtmf.as_ref().is_some_and(DtmfSender::is_sending);
        if self.muted || !self.may_send() || dtmf_busy {
            self.marker = true;
            return Ok(());
        }
        let len = self
            .encoder
            .encode(&self.frame, &mut self.payload)
            .map_err(MediaError::Codec)?;
        let header = RtpHeader {
            marker: self.marker,
            payload_type: self.codec.payload_type,
            sequence_number: self.sequence,
            timestamp,
            ssrc: self.ssrc,
            ..RtpHeader::default()
        };
        if self.write_packet(&header, PayloadSource::Audio(len), to, outbox) {
            self.sequence = self.sequence.wrapping_add(1);
            self.marker = false;
            self.stats.on_packet_sent(now, timestamp, len);
        }
        Ok(())
    }

    /// Writes header + payload into a pooled buffer, protects it and queues it. Returns whether
    /// a packet was queued (a failure here is a bug in our own sizes, logged, never a panic).
    fn write_packet(
        &mut self,
        header: &RtpHeader<'_>,
        payload: PayloadSource,
        to: SocketAddr,
        outbox: &mut Outbox,
    ) -> bool {
        let payload: &[u8] = match &payload {
            PayloadSource::Audio(len) => &self.payload[..*len],
            PayloadSource::Dtmf(bytes) => bytes,
        };
        let mut buf = outbox.buffer();
        let overhead = self.srtp.as_ref().map_or(0, SrtpContext::rtp_overhead);
        buf.resize(header.encoded_len() + payload.len() + overhead, 0);
        let Ok(len) = header.write_packet(payload, &mut buf) else {
            tracing::warn!("RTP packet did not fit its buffer");
            outbox.recycle(buf);
            return false;
        };
        let len = match &mut self.srtp {
            Some(ctx) => match ctx.protect_rtp(&mut buf, len) {
                Ok(len) => len,
                Err(e) => {
                    tracing::warn!(error = %e, "SRTP protect failed");
                    outbox.recycle(buf);
                    return false;
                }
            },
            None => len,
        };
        buf.truncate(len);
        outbox.push(to, buf, TransmitKind::Rtp);
        true
    }
}

/// Where a packet's payload is: the encoder output (its length) or a DTMF event.
enum PayloadSource {
    Audio(usize),
    Dtmf([u8; 4]),
}
