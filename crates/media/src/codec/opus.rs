//! Opus (RFC 6716, RTP payload RFC 7587) over libopus via `opusic-c`.
//!
//! Always 48 kHz, which is both our internal rate and Opus's RTP clock rate, so this codec needs
//! no resampler at all. Tuned for calls: application VOIP, signal "voice" (biases libopus to
//! SILK/hybrid, the modes that carry in-band FEC), FEC on with an expected loss of 10 %, DTX off,
//! 32 kbit/s (fullband speech at that rate is transparent enough; wideband needs ~20).
//!
//! opusic-c types 16-bit PCM as `u16` (libopus's `opus_int16` bound as unsigned). We keep `i16`
//! at our API and reinterpret through a preallocated scratch buffer (`from_ne_bytes`, no
//! `unsafe`), so no call allocates after construction.

mod fmtp;
mod packet;

pub use fmtp::OpusParams;

use super::CodecError;
use opusic_c::{
    Application, Bandwidth, Bitrate, Channels, ErrorCode, InbandFec, SampleRate, Signal,
};

/// Opus always runs (and is always clocked in RTP) at 48 kHz.
pub const SAMPLE_RATE: u32 = 48_000;
/// The RTP clock rate in `a=rtpmap:<pt> opus/48000/2` (RFC 7587 §7), whatever the audio bandwidth.
pub const RTP_CLOCK_RATE: u32 = 48_000;
/// A buffer this large holds any Opus packet (libopus's recommendation).
pub const MAX_PACKET_BYTES: usize = 4000;
/// The longest packet (120 ms) in samples per channel: size decode buffers with this.
pub const MAX_FRAME_SAMPLES: usize = 5760;

/// Packet durations we encode. (Opus also has 2.5/5 ms and 80–120 ms, which VoIP peers do not use.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameDuration {
    Ms10,
    Ms20,
    Ms40,
    Ms60,
}

impl FrameDuration {
    /// Every variant, shortest first.
    pub const ALL: [FrameDuration; 4] = [Self::Ms10, Self::Ms20, Self::Ms40, Self::Ms60];

    /// Duration in milliseconds.
    pub fn millis(self) -> u32 {
        match self {
            Self::Ms10 => 10,
            Self::Ms20 => 20,
            Self::Ms40 => 40,
            Self::Ms60 => 60,
        }
    }

    /// Samples per channel at 48 kHz.
    pub fn samples(self) -> usize {
        self.millis() as usize * 48
    }
}

/// Encoder settings. [`Default`] is the softphone's choice; [`OpusParams::apply_to`] adjusts it
/// to a peer's fmtp line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusConfig {
    /// Encode two channels (input interleaved L/R). Off by default: microphones are mono.
    pub stereo: bool,
    /// Packet duration (the SDP ptime).
    pub frame: FrameDuration,
    /// Target bitrate in bit/s (6000..=510000).
    pub bitrate_bps: u32,
    /// Encoder complexity 0..=10: CPU against quality.
    pub complexity: u8,
    /// In-band FEC: each packet carries a low-rate copy of the previous one.
    pub inband_fec: bool,
    /// Expected packet loss (0..=100 %); tells libopus how much to spend on FEC.
    pub packet_loss_percent: u8,
    /// Discontinuous transmission (no packets in silence).
    pub dtx: bool,
    /// Variable bitrate (constrained); off means CBR.
    pub vbr: bool,
    /// Highest sample rate the receiver plays (from `maxplaybackrate`): caps coded bandwidth.
    pub max_playback_rate: u32,
}

impl Default for OpusConfig {
    fn default() -> Self {
        Self {
            stereo: false,
            frame: FrameDuration::Ms20,
            bitrate_bps: 32_000,
            complexity: 9,
            inband_fec: true,
            packet_loss_percent: 10,
            dtx: false,
            vbr: true,
            max_playback_rate: 48_000,
        }
    }
}

fn lib_err(e: ErrorCode) -> CodecError {
    CodecError::Backend(e.message())
}

fn channels(stereo: bool) -> Channels {
    if stereo {
        Channels::Stereo
    } else {
        Channels::Mono
    }
}

/// The narrowest Opus bandwidth that still covers everything a receiver playing at `rate` hears.
fn bandwidth_for_playback_rate(rate: u32) -> Bandwidth {
    match rate {
        0..=8_000 => Bandwidth::Narrow,
        8_001..=12_000 => Bandwidth::Medium,
        12_001..=16_000 => Bandwidth::Wide,
        16_001..=24_000 => Bandwidth::Superwide,
        _ => Bandwidth::Full,
    }
}

/// An Opus encoder for one outgoing stream.
pub struct OpusEncoder {
    inner: opusic_c::Encoder,
    config: OpusConfig,
    scratch: Vec<u16>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("config", &self.config)
            .finish()
    }
}

impl OpusEncoder {
    /// Create an encoder with `config`.
    pub fn new(config: OpusConfig) -> Result<Self, CodecError> {
        let mut inner = opusic_c::Encoder::new(
            channels(config.stereo),
            SampleRate::Hz48000,
            Application::Voip,
        )
        .map_err(lib_err)?;
        inner.set_signal(Signal::Voice).map_err(lib_err)?;
        let mut enc = Self {
            inner,
            scratch: vec![0; FrameDuration::Ms60.samples() * 2],
            config: config.clone(),
        };
        enc.apply(&config)?;
        Ok(enc)
    }

    /// Apply new settings mid-stream (e.g. after a re-INVITE). Channel count cannot change.
    pub fn apply(&mut self, config: &OpusConfig) -> Result<(), CodecError> {
        if config.stereo != self.config.stereo {
            return Err(CodecError::Backend(
                "Opus: the channel count of a running encoder cannot change",
            ));
        }
        if !(6_000..=510_000).contains(&config.bitrate_bps) {
            return Err(CodecError::Backend(
                "Opus: bitrate outside 6000..=510000 bit/s",
            ));
        }
        let e = &mut self.inner;
        e.set_bitrate(Bitrate::Value(config.bitrate_bps))
            .map_err(lib_err)?;
        e.set_complexity(config.complexity.min(10))
            .map_err(lib_err)?;
        e.set_inband_fec(if config.inband_fec {
            InbandFec::Mode1
        } else {
            InbandFec::Off
        })
        .map_err(lib_err)?;
        e.set_packet_loss(config.packet_loss_percent.min(100))
            .map_err(lib_err)?;
        e.set_dtx(config.dtx).map_err(lib_err)?;
        e.set_vbr(config.vbr).map_err(lib_err)?;
        e.set_max_bandwidth(bandwidth_for_playback_rate(config.max_playback_rate))
            .map_err(lib_err)?;
        self.config = config.clone();
        Ok(())
    }

    /// Current settings.
    pub fn config(&self) -> &OpusConfig {
        &self.config
    }

    /// Update the expected loss (e.g. from RTCP receiver reports) so FEC tracks the real link.
    pub fn set_packet_loss_percent(&mut self, percent: u8) -> Result<(), CodecError> {
        self.inner
            .set_packet_loss(percent.min(100))
            .map_err(lib_err)?;
        self.config.packet_loss_percent = percent.min(100);
        Ok(())
    }

    /// Audio sample rate (48 kHz).
    pub fn sample_rate(&self) -> u32 {
        SAMPLE_RATE
    }

    /// RTP timestamp rate (48 kHz).
    pub fn rtp_clock_rate(&self) -> u32 {
        RTP_CLOCK_RATE
    }

    /// Number of channels in the PCM given to [`encode`](Self::encode).
    pub fn channels(&self) -> usize {
        if self.config.stereo {
            2
        } else {
            1
        }
    }

    /// Samples per channel in one packet.
    pub fn frame_samples(&self) -> usize {
        self.config.frame.samples()
    }

    /// The encoder's algorithmic delay in samples (what the decoded audio lags the input by).
    pub fn lookahead(&mut self) -> Result<usize, CodecError> {
        self.inner
            .get_look_ahead()
            .map(|n| n as usize)
            .map_err(lib_err)
    }

    /// Encode one packet. `pcm` holds exactly [`frame_samples`](Self::frame_samples) ×
    /// [`channels`](Self::channels) samples (interleaved); `out` should be
    /// [`MAX_PACKET_BYTES`] long. Returns the payload length.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        let n = self.frame_samples() * self.channels();
        if pcm.len() != n {
            return Err(CodecError::BadFrameLength {
                expected: n,
                actual: pcm.len(),
            });
        }
        let scratch = &mut self.scratch[..n];
        for (d, s) in scratch.iter_mut().zip(pcm) {
            *d = u16::from_ne_bytes(s.to_ne_bytes());
        }
        self.inner
            .encode_to_slice(scratch, out)
            .map_err(|e| match e {
                ErrorCode::BufferTooSmall => CodecError::OutputTooSmall {
                    needed: MAX_PACKET_BYTES,
                    available: out.len(),
                },
                e => lib_err(e),
            })
    }
}

/// An Opus decoder for one incoming stream, with packet-loss concealment and FEC recovery.
pub struct OpusDecoder {
    inner: opusic_c::Decoder,
    stereo: bool,
    scratch: Vec<u16>,
    /// Samples per channel of the last packet, the natural size of a concealed frame.
    last_frame_samples: usize,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("stereo", &self.stereo)
            .field("last_frame_samples", &self.last_frame_samples)
            .finish()
    }
}

impl OpusDecoder {
    /// A decoder producing mono (`stereo == false`, stereo streams are downmixed by libopus) or
    /// interleaved stereo output at 48 kHz.
    pub fn new(stereo: bool) -> Result<Self, CodecError> {
        Ok(Self {
            inner: opusic_c::Decoder::new(channels(stereo), SampleRate::Hz48000)
                .map_err(lib_err)?,
            stereo,
            scratch: vec![0; MAX_FRAME_SAMPLES * 2],
            last_frame_samples: FrameDuration::Ms20.samples(),
        })
    }

    /// Audio sample rate (48 kHz).
    pub fn sample_rate(&self) -> u32 {
        SAMPLE_RATE
    }

    /// RTP timestamp rate (48 kHz).
    pub fn rtp_clock_rate(&self) -> u32 {
        RTP_CLOCK_RATE
    }

    /// Number of interleaved channels written by every call.
    pub fn channels(&self) -> usize {
        if self.stereo {
            2
        } else {
            1
        }
    }

    /// Decode one payload from the network into interleaved `out`. Returns samples per channel
    /// written. A corrupt payload is an error, never a panic; the caller then
    /// [`conceal`](Self::conceal)s.
    pub fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return Err(CodecError::MalformedPayload);
        }
        let samples = self
            .inner
            .get_nb_samples(payload)
            .map_err(|_| CodecError::MalformedPayload)?;
        let n = self.run(payload, samples, false, out)?;
        self.last_frame_samples = samples;
        Ok(n)
    }

    /// Conceal one lost packet (libopus PLC): writes one frame of the last packet's duration
    /// (20 ms before the first packet); returns samples per channel. Repeated calls
    /// fade towards silence.
    pub fn conceal(&mut self, out: &mut [i16]) -> Result<usize, CodecError> {
        self.run(&[], self.last_frame_samples, false, out)
    }

    /// Recover the packet *before* `next_payload` from the in-band FEC that `next_payload`
    /// carries. Returns `None` when it carries none (CELT-only mode, FEC off at the sender,
    /// malformed packet): use [`conceal`](Self::conceal) then. Afterwards, decode `next_payload`
    /// itself normally.
    pub fn decode_fec(
        &mut self,
        next_payload: &[u8],
        out: &mut [i16],
    ) -> Option<Result<usize, CodecError>> {
        if !packet::has_lbrr(next_payload) {
            return None;
        }
        // The redundancy describes the previous frame at the next packet's frame size.
        let samples = match self.inner.get_nb_samples(next_payload) {
            Ok(s) => s,
            Err(_) => return Some(Err(CodecError::MalformedPayload)),
        };
        Some(self.run(next_payload, samples, true, out))
    }

    /// Forget the stream's state (new SSRC, codec switch). libopus's reset cannot fail on a
    /// valid decoder, so its status is ignored to keep the seam's infallible `reset`.
    pub fn reset(&mut self) {
        let _ = self.inner.reset();
        self.last_frame_samples = FrameDuration::Ms20.samples();
    }

    fn run(
        &mut self,
        payload: &[u8],
        samples: usize,
        fec: bool,
        out: &mut [i16],
    ) -> Result<usize, CodecError> {
        let ch = self.channels();
        let needed = samples * ch;
        if samples > MAX_FRAME_SAMPLES {
            return Err(CodecError::MalformedPayload); // longer than 120 ms
        }
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                needed,
                available: out.len(),
            });
        }
        let scratch = &mut self.scratch[..needed];
        let got = self
            .inner
            .decode_to_slice(payload, scratch, fec)
            .map_err(|e| match e {
                ErrorCode::InvalidPacket => CodecError::MalformedPayload,
                e => lib_err(e),
            })?;
        for (d, s) in out.iter_mut().zip(scratch.iter()).take(got * ch) {
            *d = i16::from_ne_bytes(s.to_ne_bytes());
        }
        Ok(got)
    }
}

super::codec_seam!(OpusEncoder, OpusDecoder, channels: |c| c.channels() as u16, decoder_frame_samples: |_d| FrameDuration::Ms20.samples());
