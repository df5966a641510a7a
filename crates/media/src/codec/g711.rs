//! G.711 (ITU-T G.711): PCMU (µ-law, RTP payload type 0) and PCMA (A-law, payload type 8).
//!
//! Table-driven both ways. The tables are computed at compile time by the algorithm of the ITU-T
//! reference implementation (G.191 Software Tool Library, `g711.c`), so the code that fills them
//! is the specification and there are no hand-typed constants to get wrong:
//!
//! * encode: µ-law depends only on the top 14 bits of a sample and A-law on the top 12, so the
//!   tables are indexed by `sample >> 2` (16 Ki entries) and `sample >> 4` (4 Ki entries).
//!   Negative samples use the one's complement magnitude, as G.191 does, which keeps both laws
//!   symmetric (`x` and `!x` get codes that differ only in the sign bit).
//! * decode: 256 entries each, the reconstruction value at the middle of each quantisation step.
//!
//! Loss concealment is G.711 Appendix I style repeat-and-fade ([`crate::plc::Plc`]).

use super::{AudioDecoder, AudioEncoder, CodecError, CodecFormat};
use crate::plc::Plc;

/// The two companding laws of G.711.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law, North America and Japan; RTP/AVP static payload type 0 (PCMU).
    Mu,
    /// A-law, elsewhere; RTP/AVP static payload type 8 (PCMA).
    A,
}

impl Law {
    /// The static RTP payload type (RFC 3551).
    pub fn payload_type(self) -> u8 {
        match self {
            Law::Mu => 0,
            Law::A => 8,
        }
    }

    /// The SDP encoding name.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Law::Mu => "PCMU",
            Law::A => "PCMA",
        }
    }

    /// Encodes one linear sample.
    #[inline]
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Law::Mu => ULAW_ENCODE[usize::from(sample as u16 >> 2)],
            Law::A => ALAW_ENCODE[usize::from(sample as u16 >> 4)],
        }
    }

    /// Decodes one code word.
    #[inline]
    pub fn decode(self, code: u8) -> i16 {
        match self {
            Law::Mu => ULAW_DECODE[usize::from(code)],
            Law::A => ALAW_DECODE[usize::from(code)],
        }
    }
}

/// G.711 runs at 8 kHz mono; the RTP clock is the sample clock.
const SAMPLE_RATE: u32 = 8000;

fn format(frame_samples: usize) -> CodecFormat {
    CodecFormat {
        clock_rate: SAMPLE_RATE,
        sample_rate: SAMPLE_RATE,
        channels: 1,
        frame_samples,
    }
}

/// Frame length for a packet time in milliseconds (`a=ptime`; 20 ms is the RTP/AVP default).
pub fn frame_samples_for_ptime(ptime_ms: u32) -> usize {
    (SAMPLE_RATE / 1000 * ptime_ms.max(1)) as usize
}

/// A G.711 encoder: one byte per sample.
#[derive(Clone, Debug)]
pub struct G711Encoder {
    law: Law,
    frame_samples: usize,
}

impl G711Encoder {
    /// `frame_samples` is one packet's worth at 8 kHz (160 for 20 ms).
    pub fn new(law: Law, frame_samples: usize) -> Self {
        Self { law, frame_samples }
    }

    /// The law this encoder uses.
    pub fn law(&self) -> Law {
        self.law
    }
}

impl AudioEncoder for G711Encoder {
    fn format(&self) -> CodecFormat {
        format(self.frame_samples)
    }

    fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> Result<usize, CodecError> {
        if pcm.len() != self.frame_samples {
            return Err(CodecError::BadFrameLength {
                expected: self.frame_samples,
                actual: pcm.len(),
            });
        }
        let available = out.len();
        let out = out.get_mut(..pcm.len()).ok_or(CodecError::OutputTooSmall {
            needed: pcm.len(),
            available,
        })?;
        for (o, &s) in out.iter_mut().zip(pcm) {
            *o = self.law.encode(s);
        }
        Ok(pcm.len())
    }
}

/// A G.711 decoder with repeat-and-fade concealment.
#[derive(Clone, Debug)]
pub struct G711Decoder {
    law: Law,
    frame_samples: usize,
    plc: Plc,
}

impl G711Decoder {
    /// `frame_samples` is the packet size concealment produces per missing packet.
    pub fn new(law: Law, frame_samples: usize) -> Self {
        Self {
            law,
            frame_samples,
            plc: Plc::new(SAMPLE_RATE),
        }
    }

    /// The law this decoder uses.
    pub fn law(&self) -> Law {
        self.law
    }
}

impl AudioDecoder for G711Decoder {
    fn format(&self) -> CodecFormat {
        format(self.frame_samples)
    }

    /// Any payload length is valid G.711 (one sample per byte), so network data cannot make this
    /// fail except by not fitting into `out`.
    fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> Result<usize, CodecError> {
        let available = out.len();
        let out = out
            .get_mut(..payload.len())
            .ok_or(CodecError::OutputTooSmall {
                needed: payload.len(),
                available,
            })?;
        for (o, &b) in out.iter_mut().zip(payload) {
            *o = self.law.decode(b);
        }
        self.plc.good_frame(out);
        Ok(payload.len())
    }

    fn conceal(&mut self, out: &mut [i16]) -> Result<usize, CodecError> {
        let available = out.len();
        let out = out
            .get_mut(..self.frame_samples)
            .ok_or(CodecError::OutputTooSmall {
                needed: self.frame_samples,
                available,
            })?;
        self.plc.conceal(out);
        Ok(self.frame_samples)
    }

    fn reset(&mut self) {
        self.plc.reset();
    }
}

// ---- tables (G.191 STL algorithm, evaluated at compile time) ----

static ULAW_ENCODE: [u8; 1 << 14] = build_ulaw_encode();
static ALAW_ENCODE: [u8; 1 << 12] = build_alaw_encode();
static ULAW_DECODE: [i16; 256] = build_ulaw_decode();
static ALAW_DECODE: [i16; 256] = build_alaw_decode();

/// `index` holds the top 14 bits of a sample (two's complement); G.191 `ulaw_compress`.
const fn ulaw_code(index: u16) -> u8 {
    let v = ((index << 2) as i16) >> 2; // sign-extend the 14-bit value
    let magnitude = if v < 0 { !v } else { v };
    let mut absno = magnitude as i32 + 33; // bias of 33 in 14-bit units (0x84 in 16-bit)
    if absno > 0x1FFF {
        absno = 0x1FFF;
    }
    let mut i = absno >> 6;
    let mut segno = 1;
    while i != 0 {
        segno += 1;
        i >>= 1;
    }
    let high = 8 - segno;
    let low = 0x0F - ((absno >> segno) & 0x0F);
    let code = (high << 4) | low;
    (if v >= 0 { code | 0x80 } else { code }) as u8
}

/// `index` holds the top 12 bits of a sample (two's complement); G.191 `alaw_compress`.
const fn alaw_code(index: u16) -> u8 {
    let v = ((index << 4) as i16) >> 4; // sign-extend the 12-bit value
    let mut ix = (if v < 0 { !v } else { v }) as i32;
    if ix > 15 {
        let mut iexp = 1;
        while ix > 16 + 15 {
            ix >>= 1;
            iexp += 1;
        }
        ix -= 16;
        ix += iexp << 4;
    }
    if v >= 0 {
        ix |= 0x80;
    }
    (ix ^ 0x55) as u8
}

/// G.191 `ulaw_expand`: the middle of the code's quantisation step, 16-bit scale.
const fn ulaw_value(code: u8) -> i16 {
    let inverted = !code;
    let exponent = ((inverted >> 4) & 0x07) as i32;
    let mantissa = (inverted & 0x0F) as i32;
    let step = 4 << (exponent + 1);
    let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    (if code < 0x80 { -magnitude } else { magnitude }) as i16
}

/// G.191 `alaw_expand`: the middle of the code's quantisation step, 16-bit scale.
const fn alaw_value(code: u8) -> i16 {
    let ix = ((code ^ 0x55) & 0x7F) as i32;
    let exponent = ix >> 4;
    let mut mantissa = ix & 0x0F;
    if exponent > 0 {
        mantissa += 16;
    }
    mantissa = (mantissa << 4) + 8;
    if exponent > 1 {
        mantissa <<= exponent - 1;
    }
    (if code > 0x7F { mantissa } else { -mantissa }) as i16
}

const fn build_ulaw_encode() -> [u8; 1 << 14] {
    let mut table = [0u8; 1 << 14];
    let mut i = 0;
    while i < table.len() {
        table[i] = ulaw_code(i as u16);
        i += 1;
    }
    table
}

const fn build_alaw_encode() -> [u8; 1 << 12] {
    let mut table = [0u8; 1 << 12];
    let mut i = 0;
    while i < table.len() {
        table[i] = alaw_code(i as u16);
        i += 1;
    }
    table
}

const fn build_ulaw_decode() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = ulaw_value(i as u8);
        i += 1;
    }
    table
}

const fn build_alaw_decode() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = alaw_value(i as u8);
        i += 1;
    }
    table
}
