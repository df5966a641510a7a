//! SRTCP: protecting and unprotecting RTCP compound packets (RFC 3711 §3.4).
//!
//! ```text
//! | header + sender SSRC (8) | encrypted rest of the compound | E | SRTCP index (31) | [MKI] | tag (80 bits) |
//! |<---------------------------- authenticated portion ------------------------>|
//! ```
//! The index is carried explicitly, so there is no ROC to estimate; the tag is always 80 bits,
//! also for AES_CM_128_HMAC_SHA1_32 (RFC 4568 §6.2.2).

use super::auth::SessionAuth;
use super::error::SrtpError;
use super::kdf::SessionKeys;
use super::keystream::SessionCipher;
use super::replay::ReplayWindow;
use super::rtp::refused;
use super::streams::Streams;

/// SRTCP authentication tag length (RFC 3711 §5.2, RFC 4568 §6.2).
pub const SRTCP_TAG_LEN: usize = 10;
/// The E flag and 31-bit index word.
const INDEX_LEN: usize = 4;
/// What SRTCP adds to an RTCP packet: the E/index word and the tag.
pub const SRTCP_OVERHEAD: usize = INDEX_LEN + SRTCP_TAG_LEN;
/// The first RTCP header word and the sender's SSRC stay in the clear (§3.4).
const CLEAR_LEN: usize = 8;
const E_FLAG: u32 = 0x8000_0000;
/// Largest SRTCP index; the key must change before it wraps (§3.4, §9.2).
const MAX_INDEX: u32 = 0x7FFF_FFFF;

/// The SRTCP half of a context: session keys (labels 3..5), the next index per SSRC we send
/// and a replay window per SSRC we receive.
pub(crate) struct RtcpSession {
    cipher: SessionCipher,
    auth: SessionAuth,
    next_index: Streams<u32>,
    received: Streams<ReplayWindow>,
}

impl RtcpSession {
    pub(crate) fn new(keys: SessionKeys) -> Self {
        Self {
            cipher: keys.cipher,
            auth: keys.auth,
            next_index: Streams::new(),
            received: Streams::new(),
        }
    }

    pub(crate) fn streams(&self) -> (usize, usize) {
        (self.next_index.len(), self.received.len())
    }

    /// Encrypts everything after the sender SSRC, appends `E=1 || index` and the tag. The
    /// index starts at 0 per sender SSRC and increments by one per packet (§3.4).
    pub(crate) fn protect(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let packet = buf
            .get(..len)
            .ok_or(SrtpError::TooShort { len: buf.len() })?;
        let ssrc = parse_header(packet)?;
        let needed = len + SRTCP_OVERHEAD;
        if buf.len() < needed {
            return Err(SrtpError::BufferTooSmall { needed });
        }
        let next = self.next_index.get_or_create(ssrc);
        let index = *next;
        if index > MAX_INDEX {
            return Err(SrtpError::KeyExhausted { ssrc });
        }
        self.cipher
            .apply(ssrc, u64::from(index), &mut buf[CLEAR_LEN..len]);
        buf[len..len + INDEX_LEN].copy_from_slice(&(E_FLAG | index).to_be_bytes());
        let tag = self.auth.tag(&[&buf[..len + INDEX_LEN]]);
        buf[len + INDEX_LEN..needed].copy_from_slice(&tag[..SRTCP_TAG_LEN]);
        *next = index + 1;
        Ok(needed)
    }

    /// Checks the replay window and the tag, then decrypts in place (when E is set) and
    /// returns the RTCP compound's length. Packets with E=0 (an unencrypted SRTCP peer,
    /// RFC 4568 §6.3.2 UNENCRYPTED_SRTCP) are authenticated all the same.
    pub(crate) fn unprotect(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        let auth_len = buf
            .len()
            .checked_sub(SRTCP_TAG_LEN)
            .filter(|&n| n >= CLEAR_LEN + INDEX_LEN)
            .ok_or(SrtpError::TooShort { len: buf.len() })?;
        let rtcp_len = auth_len - INDEX_LEN;
        let ssrc = parse_header(&buf[..rtcp_len]).map_err(|error| match error {
            SrtpError::TooShort { .. } => SrtpError::TooShort { len: buf.len() },
            other => other,
        })?;
        let word = &buf[rtcp_len..auth_len];
        let e_index = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        let index = u64::from(e_index & MAX_INDEX);
        if let Some(window) = self.received.get(ssrc) {
            window
                .check(index)
                .map_err(|refusal| refused(refusal, ssrc, index))?;
        }

        let (authenticated, tag) = buf.split_at(auth_len);
        if !self.auth.verify(&[authenticated], tag) {
            return Err(SrtpError::AuthenticationFailed);
        }
        if e_index & E_FLAG != 0 {
            self.cipher
                .apply(ssrc, index, &mut buf[CLEAR_LEN..rtcp_len]);
        }
        self.received.get_or_create(ssrc).accept(index);
        Ok(rtcp_len)
    }
}

/// The version check and the sender SSRC of the first RTCP packet (RFC 3550 §6.4).
fn parse_header(packet: &[u8]) -> Result<u32, SrtpError> {
    let clear = packet
        .get(..CLEAR_LEN)
        .ok_or(SrtpError::TooShort { len: packet.len() })?;
    if clear[0] >> 6 != 2 {
        return Err(SrtpError::BadVersion);
    }
    Ok(u32::from_be_bytes([clear[4], clear[5], clear[6], clear[7]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::srtp::kdf::Protocol;

    fn session() -> RtcpSession {
        RtcpSession::new(SessionKeys::derive(&[7; 16], &[9; 14], Protocol::Rtcp))
    }

    /// RFC 3711 §3.4: with E=0 the compound is sent in the clear but still authenticated.
    #[test]
    fn accepts_authenticated_unencrypted_srtcp() {
        let reference = session();
        let mut receiver = session();
        let compound = [0x80, 200, 0, 1, 0xAB, 0xCD, 0xEF, 0x01, 1, 2, 3, 4];
        let mut packet = compound.to_vec();
        packet.extend_from_slice(&5u32.to_be_bytes()); // E=0, index 5
        let tag = reference.auth.tag(&[&packet]);
        packet.extend_from_slice(&tag[..SRTCP_TAG_LEN]);

        assert_eq!(receiver.unprotect(&mut packet), Ok(compound.len()));
        assert_eq!(packet[..compound.len()], compound);
    }

    #[test]
    fn the_index_stops_before_it_wraps() {
        let mut sender = session();
        *sender.next_index.get_or_create(1) = MAX_INDEX;
        let mut buf = [0u8; 64];
        buf[..8].copy_from_slice(&[0x80, 200, 0, 1, 0, 0, 0, 1]);
        assert_eq!(sender.protect(&mut buf, 8), Ok(8 + SRTCP_OVERHEAD));
        assert_eq!(
            sender.protect(&mut buf, 8),
            Err(SrtpError::KeyExhausted { ssrc: 1 })
        );
    }
}
