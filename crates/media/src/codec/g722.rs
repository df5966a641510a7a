//! G.722 (ITU-T, 64 kbit/s sub-band ADPCM, 16 kHz audio) over the `ezk-g722` crate.
//!
//! We use only its `libg722` core (a port of spandsp's public-domain codec), not its ezk
//! pipeline types. One byte carries two 16 kHz samples, so 20 ms is 320 samples → 160 bytes.
//!
//! The quirk everyone trips over (RFC 3551 §4.5.2): G.722's RTP clock rate is **8000** although
//! it samples at 16 kHz (an erratum kept for compatibility), so SDP says `G722/8000` and the RTP
//! timestamp advances by 160 per 20 ms packet, half the sample count. [`RTP_CLOCK_RATE`] and
//! [`SAMPLE_RATE`] keep the two apart; [`rtp_timestamp_delta`] does the conversion.
//!
//! G.722 has no concealment of its own, so [`G722Decoder::conceal`] repeats the last decoded
//! frame with a fade (gone after about 60 ms): crude, but far better than clicks or silence for
//! the odd lost packet. `libg722` returns a fresh `Vec` per call; that small allocation happens
//! on the media thread, never in a device callback, which principle 3 allows.

use super::CodecError;
use ezk_g722::libg722::{decoder::Decoder, encoder::Encoder, Bitrate};

/// Audio sample rate: 16 kHz.
pub const SAMPLE_RATE: u32 = 16_000;
/// RTP clock rate per RFC 3551: 8000, not 16000.
pub const RTP_CLOCK_RATE: u32 = 8_000;
/// Static RTP payload type (RFC 3551).
pub const PAYLOAD_TYPE: u8 = 9;
/// Samples in a 20 ms frame, the usual ptime.
pub const FRAME_SAMPLES_20MS: usize = 320;
/// Longest frame we conceal by repetition (60 ms at 16 kHz).
const MAX_FRAME_SAMPLES: usize = 960;
/// Gain lost per concealed sample: reaches silence after 60 ms of consecutive loss.
const FADE_STEP: f32 = 1.0 / MAX_FRAME_SAMPLES as f32;

/// RTP timestamp increment for a packet of `samples` 16 kHz samples (half of it).
pub fn rtp_timestamp_delta(samples: usize) -> u32 {
    (samples / 2) as u32
}

/// 16 kHz samples in one packet of `ptime_ms` (20 ms → 320).
pub fn frame_samples_for_ptime(ptime_ms: u32) -> usize {
    ptime_ms as usize * 16
}

/// A 64 kbit/s G.722 encoder for one outgoing stream.
pub struct G722Encoder {
    inner: Encoder,
    frame_samples: usize,
}

impl std::fmt::Debug for G722Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("G722Encoder")
    }
}

impl G722Encoder {
    /// A 64 kbit/s encoder (mode 1, the only mode SIP peers use) taking `frame_samples` 16 kHz
    /// samples per packet (see [`frame_samples_for_ptime`]); rounded up to an even count,
    /// since each byte codes two samples.
    pub fn new(frame_samples: usize) -> Self {
        // Encoder::new(rate, eight_k, packed); note the decoder's argument order differs.
        Self {
            inner: Encoder::new(Bitrate::Mode1_64000, false, false),
            frame_samples: frame_samples.max(2).next_multiple_of(2),
        }
    }

    /// Samples per packet.
    pub fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    /// Audio sample rate (16 kHz).
    pub fn sample_rate(&self) -> u32 {
        SAMPLE_RATE
    }

    /// RTP clock rate (8 kHz, RFC 3551 quirk).
    pub fn rtp_clock_rate(&self) -> u32 {
        RTP_CLOCK_RATE
    }

    /// Encode one frame of 16 kHz mono PCM ([`frame_samples`](Self::frame_samples) long) into
    /// half as many bytes. Returns the payload length.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        if pcm.len() != self.frame_samples {
            return Err(CodecError::BadFrameLength {
                expected: self.frame_samples,
                actual: pcm.len(),
            });
        }
        let needed = pcm.len() / 2;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                needed,
                available: out.len(),
            });
        }
        let bytes = self.inner.encode(pcm);
        let n = bytes.len().min(out.len());
        out[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }
}

/// A G.722 decoder for one incoming stream, with repeat-and-fade concealment.
pub struct G722Decoder {
    inner: Decoder,
    /// The last decoded frame (its first `last_len` samples), replayed by `conceal`.
    last: Vec<i16>,
    last_len: usize,
    /// Gain of the next concealed sample: 1.0 after a good packet, falling to 0 (and 0 before
    /// the first packet, so early concealment is silence).
    gain: f32,
    frame_samples: usize,
}

impl std::fmt::Debug for G722Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("G722Decoder")
            .field("last_len", &self.last_len)
            .field("gain", &self.gain)
            .finish()
    }
}

impl G722Decoder {
    /// A 64 kbit/s decoder producing 16 kHz mono. `frame_samples` is the negotiated packet size
    /// (what [`conceal`](Self::conceal) produces before the first packet arrives); packets of
    /// other sizes decode too.
    pub fn new(frame_samples: usize) -> Self {
        Self {
            // Decoder::new(rate, packed, eight_k).
            inner: Decoder::new(Bitrate::Mode1_64000, false, false),
            last: vec![0; MAX_FRAME_SAMPLES],
            last_len: frame_samples.clamp(2, MAX_FRAME_SAMPLES),
            gain: 0.0,
            frame_samples: frame_samples.clamp(2, MAX_FRAME_SAMPLES),
        }
    }

    /// The negotiated samples per packet.
    pub fn frame_samples(&self) -> usize {
        self.frame_samples
    }

    /// Forget the stream (new SSRC): fresh ADPCM state, nothing left to repeat.
    pub fn reset(&mut self) {
        self.inner = Decoder::new(Bitrate::Mode1_64000, false, false);
        self.last_len = self.frame_samples;
        self.gain = 0.0;
    }

    /// Audio sample rate (16 kHz).
    pub fn sample_rate(&self) -> u32 {
        SAMPLE_RATE
    }

    /// RTP clock rate (8 kHz, RFC 3551 quirk).
    pub fn rtp_clock_rate(&self) -> u32 {
        RTP_CLOCK_RATE
    }

    /// Decode a payload into `2 × payload.len()` samples. Any byte string is valid G.722, so
    /// the only failures are an empty payload and a short `out`.
    pub fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return Err(CodecError::MalformedPayload);
        }
        let needed = payload.len() * 2;
        if out.len() < needed {
            return Err(CodecError::OutputTooSmall {
                needed,
                available: out.len(),
            });
        }
        let pcm = self.inner.decode(payload);
        let n = pcm.len().min(out.len());
        out[..n].copy_from_slice(&pcm[..n]);
        // Remember the tail (at most 60 ms) for concealment.
        let keep = n.min(MAX_FRAME_SAMPLES);
        self.last[..keep].copy_from_slice(&pcm[n - keep..n]);
        self.last_len = keep;
        self.gain = 1.0;
        Ok(n)
    }

    /// Conceal one lost packet: the last frame again, fading linearly; silence once the fade
    /// has run out (60 ms of consecutive loss). Writes as many samples as the last frame had.
    pub fn conceal(&mut self, out: &mut [i16]) -> Result<usize, CodecError> {
        let n = self.last_len;
        if out.len() < n {
            return Err(CodecError::OutputTooSmall {
                needed: n,
                available: out.len(),
            });
        }
        for (o, s) in out[..n].iter_mut().zip(&self.last[..n]) {
            *o = (f32::from(*s) * self.gain) as i16;
            self.gain = (self.gain - FADE_STEP).max(0.0);
        }
        Ok(n)
    }

    /// G.722 carries no forward error correction: always `None` (use [`conceal`](Self::conceal)).
    pub fn decode_fec(
        &mut self,
        _next_payload: &[u8],
        _out: &mut [i16],
    ) -> Option<Result<usize, CodecError>> {
        None
    }
}

super::codec_seam!(G722Encoder, G722Decoder, channels: |_c| 1, decoder_frame_samples: |d| d.frame_samples());
