//! The receiving half: RTP → jitter buffer → decoder (decode, conceal, FEC) → a FIFO of codec
//! samples → 10 ms 48 kHz frames; telephone-events → the DTMF receiver.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::codec::opus::MAX_FRAME_SAMPLES;
use crate::codec::{AudioDecoder, CodecFormat};
use crate::dtmf::{DtmfEvent, DtmfReceiver};
use crate::jitter::{self, JitterBuffer, JitterConfig, JitterStats, Playout, PushOutcome};
use crate::resample::{Resampler, INTERNAL_RATE};
use crate::rtp::RtpPacket;
use crate::sdp::{Codec, Negotiated};
use crate::srtp::SrtpContext;
use crate::stats::ReceiveStats;

use super::codecs::{self, Kind};
use super::{MediaCounters, MediaError, MediaEvent, StreamConfig, FRAME_10MS};

/// The decoding chain for the payload type the peer is currently sending.
struct Active {
    pt: u8,
    decoder: Box<dyn AudioDecoder + Send>,
    format: CodecFormat,
    jitter: JitterBuffer,
    /// Codec rate → 48 kHz, 10 ms at a time.
    resampler: Resampler,
}

pub(super) struct ReceivePath {
    /// Audio payload types we accept (telephone-event excluded).
    codecs: BTreeMap<u8, Codec>,
    dtmf_pt: Option<u8>,
    dtmf: DtmfReceiver,
    ptime: u32,
    jitter_defaults: JitterConfig,
    active: Option<Active>,
    pub(super) srtp: Option<SrtpContext>,
    pub(super) stats: Option<ReceiveStats>,
    /// Decoded samples at the codec rate not yet played: codec frames (20 ms…) in, 10 ms out.
    fifo: VecDeque<f32>,
    decoded: Vec<i16>,
    chunk: Vec<f32>,
    /// Jitter statistics of payload types played before the current one.
    retired: JitterStats,
}

impl ReceivePath {
    pub(super) fn new(
        negotiated: &Negotiated,
        config: &StreamConfig,
        srtp: Option<SrtpContext>,
    ) -> Self {
        let mut path = Self {
            codecs: BTreeMap::new(),
            dtmf_pt: None,
            dtmf: DtmfReceiver::new(8000),
            ptime: negotiated.ptime,
            jitter_defaults: config.jitter,
            active: None,
            srtp,
            stats: None,
            fifo: VecDeque::with_capacity(4 * MAX_FRAME_SAMPLES),
            decoded: vec![0; 2 * MAX_FRAME_SAMPLES],
            chunk: vec![0.0; FRAME_10MS],
            retired: JitterStats::default(),
        };
        path.update(negotiated);
        path
    }

    /// Takes the payload types of a (re)negotiation; the decoder is rebuilt only if the type it
    /// serves changed meaning.
    pub(super) fn update(&mut self, negotiated: &Negotiated) {
        let mut dtmf_clock = None;
        self.codecs.clear();
        for (pt, codec) in &negotiated.recv_codecs {
            if codec.is_telephone_event() {
                if Some(*pt) == negotiated.dtmf_recv_pt {
                    dtmf_clock = Some(codec.clock_rate);
                }
            } else if Kind::of(codec).is_some() {
                self.codecs.insert(*pt, codec.clone());
            }
        }
        if negotiated.dtmf_recv_pt != self.dtmf_pt {
            self.dtmf = DtmfReceiver::new(dtmf_clock.unwrap_or(8000));
        }
        self.dtmf_pt = negotiated.dtmf_recv_pt;
        self.ptime = negotiated.ptime;
        if let Some(active) = &self.active {
            if !self.codecs.contains_key(&active.pt) {
                self.retire();
            }
        }
    }

    fn retire(&mut self) {
        if let Some(old) = self.active.take() {
            self.retired = add_stats(self.retired, old.jitter.stats());
        }
        self.fifo.clear();
    }

    /// Switches the decoding chain to `pt` (first packet, or the peer changed codec).
    fn activate(&mut self, pt: u8) -> Result<(), MediaError> {
        let Some(codec) = self.codecs.get(&pt) else {
            return Err(MediaError::UnsupportedCodec(format!("payload type {pt}")));
        };
        let decoder = codecs::decoder(codec, self.ptime)?;
        let format = decoder.format();
        let mut jitter = self.jitter_defaults;
        jitter.clock_rate = format.clock_rate;
        jitter.frame = Duration::from_millis(u64::from(self.ptime.max(10)));
        jitter.fec = Kind::of(codec) == Some(Kind::Opus);
        let resampler =
            Resampler::new(format.sample_rate, INTERNAL_RATE).map_err(MediaError::Resample)?;
        self.retire();
        self.active = Some(Active {
            pt,
            decoder,
            format,
            jitter: JitterBuffer::new(jitter),
            resampler,
        });
        Ok(())
    }

    /// An unprotected RTP packet from the peer.
    pub(super) fn handle_rtp(
        &mut self,
        now: Instant,
        buf: &[u8],
        counters: &mut MediaCounters,
        events: &mut VecDeque<MediaEvent>,
    ) {
        let Ok(packet) = RtpPacket::parse(buf) else {
            counters.malformed += 1;
            return;
        };
        let pt = packet.payload_type();
        let is_dtmf = Some(pt) == self.dtmf_pt;
        if !is_dtmf && !self.codecs.contains_key(&pt) {
            counters.unknown_payload_type += 1;
            return;
        }
        let ssrc = packet.ssrc();
        match &self.stats {
            None => events.push_back(MediaEvent::FirstPacket { ssrc }),
            Some(stats) if stats.ssrc() != ssrc => {
                events.push_back(MediaEvent::RemoteSsrcChanged {
                    old: stats.ssrc(),
                    new: ssrc,
                })
            }
            Some(_) => {}
        }
        if self.stats.as_ref().is_none_or(|s| s.ssrc() != ssrc) {
            let clock = self.codecs.get(&pt).map_or(8000, |codec| codec.clock_rate);
            self.stats = Some(ReceiveStats::new(ssrc, clock));
        }
        if let Some(stats) = &mut self.stats {
            stats.on_rtp(now, &packet);
        }
        if is_dtmf {
            if self.dtmf.handle_rtp(now, &packet).is_err() {
                counters.malformed += 1;
            }
            self.drain_dtmf(events);
            return;
        }
        if self.active.as_ref().is_none_or(|a| a.pt != pt) {
            if let Err(e) = self.activate(pt) {
                tracing::debug!(error = %e, "cannot decode payload type {pt}");
                counters.unknown_payload_type += 1;
                return;
            }
        }
        let Some(active) = &mut self.active else {
            return;
        };
        let outcome = active.jitter.push(
            now,
            jitter::RtpPacket {
                ssrc,
                sequence: packet.sequence_number(),
                timestamp: packet.timestamp(),
                payload: packet.payload(),
            },
        );
        if outcome == PushOutcome::Reset {
            active.decoder.reset();
        }
    }

    pub(super) fn handle_timeout(&mut self, now: Instant, events: &mut VecDeque<MediaEvent>) {
        self.dtmf.handle_timeout(now);
        self.drain_dtmf(events);
    }

    pub(super) fn dtmf_timeout(&self) -> Option<Instant> {
        self.dtmf.poll_timeout()
    }

    fn drain_dtmf(&mut self, events: &mut VecDeque<MediaEvent>) {
        while let Some(event) = self.dtmf.poll_event() {
            events.push_back(match event {
                DtmfEvent::Begin { digit, .. } => MediaEvent::Dtmf(digit.as_char()),
                DtmfEvent::End {
                    digit, duration, ..
                } => MediaEvent::DtmfEnd {
                    digit: digit.as_char(),
                    duration,
                },
            });
        }
    }

    /// Fills one 10 ms 48 kHz frame; silence until the peer's stream has started.
    pub(super) fn pull_playback(
        &mut self,
        now: Instant,
        out: &mut [f32; FRAME_10MS],
        counters: &mut MediaCounters,
    ) -> Result<(), MediaError> {
        let Some(active) = &mut self.active else {
            out.fill(0.0);
            return Ok(());
        };
        let need = active.resampler.input_len();
        while self.fifo.len() < need {
            decode_next(active, now, &mut self.decoded, &mut self.fifo, counters);
        }
        self.chunk.resize(need, 0.0);
        for (dst, src) in self.chunk.iter_mut().zip(self.fifo.drain(..need)) {
            *dst = src;
        }
        active
            .resampler
            .process(&self.chunk, out)
            .map_err(MediaError::Resample)
    }

    pub(super) fn jitter_stats(&self) -> JitterStats {
        match &self.active {
            Some(active) => add_stats(self.retired, active.jitter.stats()),
            None => self.retired,
        }
    }

    /// Label of the codec being played, if any.
    pub(super) fn codec(&self) -> Option<&Codec> {
        self.active.as_ref().and_then(|a| self.codecs.get(&a.pt))
    }
}

/// One jitter-buffer decision turned into samples appended to `fifo` (always at least one).
fn decode_next(
    active: &mut Active,
    now: Instant,
    decoded: &mut [i16],
    fifo: &mut VecDeque<f32>,
    counters: &mut MediaCounters,
) {
    let frame = active.format.frame_len().max(1).min(decoded.len());
    let result = match active.jitter.pop(now) {
        Playout::Packet(payload) => match active.decoder.decode(payload, decoded) {
            Ok(n) => Ok(n),
            Err(_) => {
                counters.decode_errors += 1;
                counters.concealed_frames += 1;
                active.decoder.conceal(&mut decoded[..frame])
            }
        },
        Playout::Missing => {
            counters.concealed_frames += 1;
            active.decoder.conceal(&mut decoded[..frame])
        }
        Playout::MissingWithFec(next) => {
            let fec = active.decoder.decode_fec(next, &mut decoded[..frame]);
            match fec {
                Some(Ok(n)) if n > 0 => {
                    counters.fec_frames += 1;
                    Ok(n)
                }
                _ => {
                    active.jitter.fec_unusable();
                    counters.concealed_frames += 1;
                    active.decoder.conceal(&mut decoded[..frame])
                }
            }
        }
        Playout::Empty => {
            decoded[..frame].fill(0);
            Ok(frame)
        }
    };
    let n = match result {
        Ok(n) if n > 0 => n.min(decoded.len()),
        _ => {
            decoded[..frame].fill(0);
            frame
        }
    };
    fifo.extend(decoded[..n].iter().map(|&s| f32::from(s) / 32768.0));
}

/// Sums the counters of two buffers' lives (the gauges come from the newer one).
fn add_stats(old: JitterStats, new: JitterStats) -> JitterStats {
    JitterStats {
        received: old.received + new.received,
        late: old.late + new.late,
        lost: old.lost + new.lost,
        duplicates: old.duplicates + new.duplicates,
        oversized: old.oversized + new.oversized,
        concealed: old.concealed + new.concealed,
        fec_recovered: old.fec_recovered + new.fec_recovered,
        compressed: old.compressed + new.compressed,
        expanded: old.expanded + new.expanded,
        underruns: old.underruns + new.underruns,
        resets: old.resets + new.resets,
        ..new
    }
}
