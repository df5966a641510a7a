//! AES in counter mode, the SRTP/SRTCP encryption transform (RFC 3711 §4.1.1).

use aes::Aes128;
use ctr::cipher::{InnerIvInit, KeyInit, StreamCipher};
use ctr::{Ctr128BE, CtrCore};
use zeroize::Zeroize;

use super::kdf::{SESSION_KEY_LEN, SESSION_SALT_LEN};

/// The session encryption key (expanded once) and the session salt of one protocol.
pub(crate) struct SessionCipher {
    aes: Aes128,
    salt: [u8; SESSION_SALT_LEN],
}

impl SessionCipher {
    pub(crate) fn new(key: &[u8; SESSION_KEY_LEN], salt: &[u8; SESSION_SALT_LEN]) -> Self {
        Self {
            aes: Aes128::new(key.into()),
            salt: *salt,
        }
    }

    /// `IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16)` (§4.1.1), where `i` is the 48-bit
    /// SRTP packet index or the 31-bit SRTCP index. The low 16 bits are the block counter.
    pub(crate) fn iv(&self, ssrc: u32, index: u64) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv[..SESSION_SALT_LEN].copy_from_slice(&self.salt);
        for (byte, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *byte ^= s;
        }
        for (byte, i) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *byte ^= i;
        }
        iv
    }

    /// XORs the keystream for `(ssrc, index)` into `data`: encrypts and decrypts alike.
    /// A packet is far below the 2^16 blocks (1 MiB) after which the counter would carry
    /// out of its 16 bits, so a 128-bit big-endian counter gives the same keystream.
    pub(crate) fn apply(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let mut iv = self.iv(ssrc, index);
        let core = CtrCore::inner_iv_init(self.aes.clone(), (&iv).into());
        let mut ctr = Ctr128BE::<Aes128>::from_core(core);
        ctr.apply_keystream(data);
        iv.zeroize();
    }
}

impl Drop for SessionCipher {
    fn drop(&mut self) {
        self.salt.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockCipherEncrypt;

    fn unhex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn b2_cipher() -> SessionCipher {
        let key: [u8; 16] = unhex("2B7E151628AED2A6ABF7158809CF4F3C")
            .try_into()
            .expect("16");
        let salt: [u8; 14] = unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD")
            .try_into()
            .expect("14");
        SessionCipher::new(&key, &salt)
    }

    /// RFC 3711 Appendix B.2: session key and salt given, SSRC 0, ROC 0, SEQ 0. The keystream
    /// of counters 0000, 0001, 0002 and (across the byte carry) FEFF, FF00, FF01.
    #[test]
    fn keystream_matches_rfc3711_b2() {
        let cipher = b2_cipher();
        assert_eq!(
            cipher.iv(0, 0).to_vec(),
            unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000")
        );
        let mut keystream = vec![0u8; 0xFF02 * 16];
        cipher.apply(0, 0, &mut keystream);
        let block = |n: usize| keystream[n * 16..n * 16 + 16].to_vec();
        assert_eq!(block(0), unhex("E03EAD0935C95E80E166B16DD92B4EB4"));
        assert_eq!(block(1), unhex("D23513162B02D0F72A43A2FE4A5F97AB"));
        assert_eq!(block(2), unhex("41E95B3BB0A2E8DD477901E4FCA894C0"));
        assert_eq!(block(0xFEFF), unhex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
        assert_eq!(block(0xFF00), unhex("362B7C3C6773516318A077D7FC5073AE"));
        assert_eq!(block(0xFF01), unhex("6A2CC3787889374FBEB4C81B17BA6C44"));
    }

    /// The IV puts the SSRC over salt bytes 4..8 and the index over bytes 8..14 (§4.1.1).
    #[test]
    fn iv_places_ssrc_and_index_over_the_salt() {
        let iv = b2_cipher().iv(0xDEAD_BEEF, 0x1234_5678_9ABC);
        assert_eq!(iv.to_vec(), unhex("F0F1F2F32A584818EACDAC8366410000"));
    }

    /// A second, independent path: encrypt the counter blocks with the bare AES block cipher
    /// and compare with the `ctr` keystream, for an IV that mixes SSRC and index bits.
    #[test]
    fn keystream_equals_aes_of_successive_counter_blocks() {
        let cipher = b2_cipher();
        let (ssrc, index) = (0xDEAD_BEEF, 0x1234_5678_9ABC);
        let mut keystream = vec![0u8; 5 * 16 + 7];
        cipher.apply(ssrc, index, &mut keystream);

        let key: [u8; 16] = unhex("2B7E151628AED2A6ABF7158809CF4F3C")
            .try_into()
            .expect("16");
        let aes = Aes128::new((&key).into());
        let iv = u128::from_be_bytes(cipher.iv(ssrc, index));
        for (n, chunk) in keystream.chunks(16).enumerate() {
            let mut block = (iv + n as u128).to_be_bytes().into();
            aes.encrypt_block(&mut block);
            assert_eq!(chunk, &block[..chunk.len()], "block {n}");
        }
    }
}
