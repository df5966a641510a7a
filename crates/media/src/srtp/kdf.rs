//! Session key derivation (RFC 3711 §4.3) with the AES-CM PRF (§4.3.3).
//!
//! The key derivation rate is 0 (the SDES default and the only value we accept), so
//! `r = index DIV kdr` is 0 and each session key is derived once, when the context is made.

use aes::Aes128;
use ctr::cipher::{KeyIvInit, StreamCipher};
use ctr::Ctr128BE;
use zeroize::Zeroize;

use super::auth::SessionAuth;
use super::keystream::SessionCipher;

pub(crate) const MASTER_KEY_LEN: usize = 16;
pub(crate) const MASTER_SALT_LEN: usize = 14;
/// n_e: the session encryption key of AES-128 (§8.2).
pub(crate) const SESSION_KEY_LEN: usize = 16;
/// n_s: the session salt (§4.1.1, §8.2).
pub(crate) const SESSION_SALT_LEN: usize = 14;
/// n_a: the HMAC-SHA1 session authentication key (§4.2.1, §8.2).
pub(crate) const SESSION_AUTH_KEY_LEN: usize = 20;

/// The `<label>` values of RFC 3711 §4.3.1 (SRTP) and §4.3.2 (SRTCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    RtpEncryption = 0x00,
    RtpAuthentication = 0x01,
    RtpSalt = 0x02,
    RtcpEncryption = 0x03,
    RtcpAuthentication = 0x04,
    RtcpSalt = 0x05,
}

/// Which of the two label triples to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Rtp,
    Rtcp,
}

/// `PRF_n(k_master, x)` with `x = (label || r) XOR k_s` (§4.3.1, r = 0): AES-CM keystream under
/// the master key, starting at IV `x * 2^16`, fills `out`.
pub(crate) fn derive(
    master_key: &[u8; MASTER_KEY_LEN],
    master_salt: &[u8; MASTER_SALT_LEN],
    label: Label,
    out: &mut [u8],
) {
    let mut iv = [0u8; 16];
    iv[..MASTER_SALT_LEN].copy_from_slice(master_salt);
    // key_id = label || r is 56 bits aligned to the right of the 112-bit salt: the label is byte 7.
    iv[7] ^= label as u8;
    out.fill(0);
    let mut prf = Ctr128BE::<Aes128>::new(master_key.into(), (&iv).into());
    prf.apply_keystream(out);
    iv.zeroize();
}

/// The session keys of one protocol (SRTP or SRTCP) under one master key.
pub(crate) struct SessionKeys {
    pub(crate) cipher: SessionCipher,
    pub(crate) auth: SessionAuth,
}

impl SessionKeys {
    pub(crate) fn derive(
        master_key: &[u8; MASTER_KEY_LEN],
        master_salt: &[u8; MASTER_SALT_LEN],
        protocol: Protocol,
    ) -> Self {
        let (enc, auth, salt) = match protocol {
            Protocol::Rtp => (
                Label::RtpEncryption,
                Label::RtpAuthentication,
                Label::RtpSalt,
            ),
            Protocol::Rtcp => (
                Label::RtcpEncryption,
                Label::RtcpAuthentication,
                Label::RtcpSalt,
            ),
        };
        let mut session_key = [0u8; SESSION_KEY_LEN];
        let mut session_salt = [0u8; SESSION_SALT_LEN];
        let mut auth_key = [0u8; SESSION_AUTH_KEY_LEN];
        derive(master_key, master_salt, enc, &mut session_key);
        derive(master_key, master_salt, salt, &mut session_salt);
        derive(master_key, master_salt, auth, &mut auth_key);
        let keys = Self {
            cipher: SessionCipher::new(&session_key, &session_salt),
            auth: SessionAuth::new(&auth_key),
        };
        session_key.zeroize();
        session_salt.zeroize();
        auth_key.zeroize();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex<const N: usize>(hex: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
        }
        out
    }

    /// RFC 3711 Appendix B.3: master key/salt → session encryption key, salt and auth key.
    #[test]
    fn derives_the_rfc3711_b3_session_keys() {
        let master_key = unhex::<16>("E1F97A0D3E018BE0D64FA32C06DE4139");
        let master_salt = unhex::<14>("0EC675AD498AFEEBB6960B3AABE6");

        let mut cipher_key = [0u8; 16];
        derive(
            &master_key,
            &master_salt,
            Label::RtpEncryption,
            &mut cipher_key,
        );
        assert_eq!(cipher_key, unhex::<16>("C61E7A93744F39EE10734AFE3FF7A087"));

        let mut cipher_salt = [0u8; 14];
        derive(&master_key, &master_salt, Label::RtpSalt, &mut cipher_salt);
        assert_eq!(cipher_salt, unhex::<14>("30CBBC08863D8C85D49DB34A9AE1"));

        let mut auth_key = [0u8; 20];
        derive(
            &master_key,
            &master_salt,
            Label::RtpAuthentication,
            &mut auth_key,
        );
        assert_eq!(
            auth_key,
            unhex::<20>("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
    }

    /// B.3 also lists the first 94 bytes of the label-1 keystream (the RFC shows a longer
    /// derivation than HMAC-SHA1 needs); the first 32 pin the counter increments of the PRF.
    #[test]
    fn prf_keystream_continues_across_blocks_as_in_b3() {
        let master_key = unhex::<16>("E1F97A0D3E018BE0D64FA32C06DE4139");
        let master_salt = unhex::<14>("0EC675AD498AFEEBB6960B3AABE6");
        let mut long = [0u8; 32];
        derive(
            &master_key,
            &master_salt,
            Label::RtpAuthentication,
            &mut long,
        );
        assert_eq!(
            long,
            unhex::<32>("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE")
        );
    }
}
