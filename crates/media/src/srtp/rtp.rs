//! SRTP: protecting and unprotecting RTP packets (RFC 3711 §3.1, §3.3).
//!
//! ```text
//! | RTP header (+CSRC, +extension) | encrypted payload (+padding) | [MKI] | auth tag |
//! |<------------------------- authenticated portion -------------->|
//! ```
//! The tag is HMAC-SHA1 over the authenticated portion followed by the 32-bit ROC (§4.2).

use super::auth::SessionAuth;
use super::error::SrtpError;
use super::kdf::SessionKeys;
use super::keystream::SessionCipher;
use super::replay::{Refusal, ReplayWindow};
use super::streams::Streams;

/// The fixed RTP header (RFC 3550 §5.1).
const FIXED_HEADER_LEN: usize = 12;

/// The RTP header fields SRTP needs.
struct Header {
    /// Bytes up to the payload: fixed header, CSRCs and the header extension.
    len: usize,
    seq: u16,
    ssrc: u32,
}

/// Reads the header of `packet` without trusting anything in it (RFC 3550 §5.1, §5.3.1).
fn parse_header(packet: &[u8]) -> Result<Header, SrtpError> {
    let too_short = SrtpError::TooShort { len: packet.len() };
    let fixed = packet.get(..FIXED_HEADER_LEN).ok_or(too_short.clone())?;
    if fixed[0] >> 6 != 2 {
        return Err(SrtpError::BadVersion);
    }
    let csrc_count = usize::from(fixed[0] & 0x0F);
    let mut len = FIXED_HEADER_LEN + 4 * csrc_count;
    if fixed[0] & 0x10 != 0 {
        let ext = packet.get(len..len + 4).ok_or(too_short.clone())?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
    }
    if len > packet.len() {
        return Err(too_short);
    }
    Ok(Header {
        len,
        seq: u16::from_be_bytes([fixed[2], fixed[3]]),
        ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
    })
}

/// The SRTP half of a context: session keys (labels 0..2), tag length and per-SSRC windows
/// for what we send and what we receive.
pub(crate) struct RtpSession {
    cipher: SessionCipher,
    auth: SessionAuth,
    tag_len: usize,
    sent: Streams<ReplayWindow>,
    received: Streams<ReplayWindow>,
}

impl RtpSession {
    pub(crate) fn new(keys: SessionKeys, tag_len: usize) -> Self {
        Self {
            cipher: keys.cipher,
            auth: keys.auth,
            tag_len,
            sent: Streams::new(),
            received: Streams::new(),
        }
    }

    pub(crate) fn tag_len(&self) -> usize {
        self.tag_len
    }

    pub(crate) fn streams(&self) -> (usize, usize) {
        (self.sent.len(), self.received.len())
    }

    /// §3.3 for the sender: index from the sequence number, encrypt the payload, append the
    /// tag over header, ciphertext and ROC. Protecting a sequence number twice is refused:
    /// it would reuse keystream.
    pub(crate) fn protect(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let packet = buf
            .get(..len)
            .ok_or(SrtpError::TooShort { len: buf.len() })?;
        let header = parse_header(packet)?;
        let needed = len + self.tag_len;
        if buf.len() < needed {
            return Err(SrtpError::BufferTooSmall { needed });
        }
        let window = self.sent.get_or_create(header.ssrc);
        let index = window
            .estimate_index(header.seq)
            .ok_or(SrtpError::KeyExhausted { ssrc: header.ssrc })?;
        window
            .check(index)
            .map_err(|refusal| refused(refusal, header.ssrc, index))?;

        self.cipher
            .apply(header.ssrc, index, &mut buf[header.len..len]);
        let roc = roc_of(index);
        let tag = self.auth.tag(&[&buf[..len], &roc.to_be_bytes()]);
        buf[len..needed].copy_from_slice(&tag[..self.tag_len]);
        window.accept(index);
        Ok(needed)
    }

    /// §3.3 for the receiver: estimate the index, check the replay window, verify the tag,
    /// and only then decrypt in place and move the window. Returns the RTP packet's length.
    pub(crate) fn unprotect(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        let too_short = SrtpError::TooShort { len: buf.len() };
        let auth_len = buf
            .len()
            .checked_sub(self.tag_len)
            .filter(|&n| n >= FIXED_HEADER_LEN)
            .ok_or(too_short)?;
        let header = parse_header(&buf[..auth_len]).map_err(|error| match error {
            SrtpError::TooShort { .. } => SrtpError::TooShort { len: buf.len() },
            other => other,
        })?;
        let ssrc = header.ssrc;

        let index = match self.received.get(ssrc) {
            Some(window) => {
                let index = window
                    .estimate_index(header.seq)
                    .ok_or(SrtpError::TooOld { ssrc })?;
                window
                    .check(index)
                    .map_err(|refusal| refused(refusal, ssrc, index))?;
                index
            }
            // A new SSRC starts at ROC 0 (§3.3.1); its state exists only once authenticated.
            None => u64::from(header.seq),
        };

        let (authenticated, tag) = buf.split_at(auth_len);
        let roc = roc_of(index);
        if !self.auth.verify(&[authenticated, &roc.to_be_bytes()], tag) {
            return Err(SrtpError::AuthenticationFailed);
        }
        self.cipher
            .apply(ssrc, index, &mut buf[header.len..auth_len]);
        self.received.get_or_create(ssrc).accept(index);
        Ok(auth_len)
    }
}

fn roc_of(index: u64) -> u32 {
    // estimate_index never yields a ROC above 2^32 - 1.
    (index >> 16) as u32
}

pub(crate) fn refused(refusal: Refusal, ssrc: u32, index: u64) -> SrtpError {
    match refusal {
        Refusal::Replayed => SrtpError::Replayed { ssrc, index },
        Refusal::TooOld => SrtpError::TooOld { ssrc },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_length_counts_csrcs_and_extension() {
        let mut packet = vec![0x80, 0, 0x12, 0x34, 0, 0, 0, 0, 0xCA, 0xFE, 0xBA, 0xBE];
        assert_eq!(parse_header(&packet).map(|h| h.len), Ok(12));
        packet[0] = 0x92; // X=1, CC=2
        packet.extend_from_slice(&[0; 8]);
        packet.extend_from_slice(&[0xBE, 0xDE, 0x00, 0x01, 1, 2, 3, 4]);
        let header = parse_header(&packet).expect("valid header");
        assert_eq!(
            (header.len, header.seq, header.ssrc),
            (28, 0x1234, 0xCAFE_BABE)
        );
        assert_eq!(
            parse_header(&packet[..27]).err(),
            Some(SrtpError::TooShort { len: 27 })
        );
        packet[0] = 0x40;
        assert_eq!(parse_header(&packet).err(), Some(SrtpError::BadVersion));
    }
}
