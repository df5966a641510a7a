//! HMAC-SHA1 message authentication (RFC 3711 §4.2.1), truncated to the suite's tag length.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use zeroize::Zeroize;

use super::kdf::SESSION_AUTH_KEY_LEN;

type HmacSha1 = Hmac<Sha1>;

/// Full HMAC-SHA1 output; tags are its leftmost 10 or 4 bytes (§4.2.1).
pub(crate) const HMAC_SHA1_LEN: usize = 20;

/// The keyed HMAC state, computed once per session key and cloned per packet.
#[derive(Clone)]
pub(crate) struct SessionAuth {
    mac: HmacSha1,
}

impl SessionAuth {
    pub(crate) fn new(key: &[u8; SESSION_AUTH_KEY_LEN]) -> Self {
        // RFC 2104 pads keys shorter than the 64-byte SHA-1 block with zeros; doing it here
        // uses the infallible block-sized constructor.
        let mut block = [0u8; 64];
        block[..SESSION_AUTH_KEY_LEN].copy_from_slice(key);
        let mac = <HmacSha1 as KeyInit>::new((&block).into());
        block.zeroize();
        Self { mac }
    }

    /// HMAC-SHA1 over the concatenation of `parts` (the authenticated portion, then the ROC
    /// or the SRTCP E-bit/index word).
    pub(crate) fn tag(&self, parts: &[&[u8]]) -> [u8; HMAC_SHA1_LEN] {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Constant-time comparison of `tag` with the leftmost bytes of the HMAC over `parts`.
    pub(crate) fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        mac.verify_truncated_left(tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2202 test case 1 pins the HMAC-SHA1 construction we rely on.
    #[test]
    fn matches_rfc2202_case_1() {
        let auth = SessionAuth::new(&[0x0b; 20]);
        let tag = auth.tag(&[b"Hi ", b"There"]);
        let expected = [
            0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37,
            0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
        ];
        assert_eq!(tag, expected);
        assert!(auth.verify(&[b"Hi There"], &expected[..10]));
        assert!(auth.verify(&[b"Hi There"], &expected[..4]));
        assert!(!auth.verify(&[b"Hi there"], &expected[..10]));
        assert!(!auth.verify(&[b"Hi There"], &[]));
    }
}
