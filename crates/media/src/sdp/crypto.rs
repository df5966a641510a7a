//! SDES key exchange: `a=crypto` (RFC 4568) and the key material it carries.
//!
//! `a=crypto:<tag> <suite> inline:<base64 key||salt>[|<lifetime>][|<MKI>:<length>][;inline:…] [params]`
//! For both suites we support the material is a 16-byte AES key followed by a 14-byte salt.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;

/// Key material length for AES_CM_128 suites: 128-bit key + 112-bit salt.
pub const KEY_SALT_LEN: usize = 30;

/// An SRTP crypto suite name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SrtpSuite {
    /// AES-128 counter mode, 80-bit HMAC-SHA1 tag: the default everyone supports.
    AesCm128HmacSha1_80,
    /// Same cipher, 32-bit tag (less overhead, weaker authentication).
    AesCm128HmacSha1_32,
    /// Anything else (AEAD_AES_256_GCM, F8…), kept by name so errors can list it.
    Other(String),
}

impl SrtpSuite {
    /// The suites we can use, in the order we offer them (_80 first: stronger, universal).
    pub const SUPPORTED: [SrtpSuite; 2] = [Self::AesCm128HmacSha1_80, Self::AesCm128HmacSha1_32];

    pub fn parse(name: &str) -> Self {
        match name {
            "AES_CM_128_HMAC_SHA1_80" => Self::AesCm128HmacSha1_80,
            "AES_CM_128_HMAC_SHA1_32" => Self::AesCm128HmacSha1_32,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Self::Other(name) => name,
        }
    }

    pub fn is_supported(&self) -> bool {
        !matches!(self, Self::Other(_))
    }
}

impl fmt::Display for SrtpSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 30 bytes of SRTP master key || master salt. `Debug` never shows the bytes: keys must not
/// reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKey([u8; KEY_SALT_LEN]);

impl SrtpKey {
    /// Fresh key material from the OS-seeded thread RNG (a CSPRNG in rand 0.9).
    pub fn random() -> Self {
        Self(rand::random())
    }

    pub fn from_bytes(bytes: [u8; KEY_SALT_LEN]) -> Self {
        Self(bytes)
    }

    /// The 16-byte master key.
    pub fn master_key(&self) -> &[u8] {
        &self.0[..16]
    }

    /// The 14-byte master salt.
    pub fn master_salt(&self) -> &[u8] {
        &self.0[16..]
    }

    pub fn as_bytes(&self) -> &[u8; KEY_SALT_LEN] {
        &self.0
    }

    /// The `inline:` form of this key (it is a secret: for SDP, never for logs).
    pub fn inline(&self) -> String {
        format!("inline:{}", STANDARD.encode(self.0))
    }
}

impl fmt::Debug for SrtpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SrtpKey(***)")
    }
}

/// `|MKI:length`: master key identifier carried in each SRTP packet (RFC 4568 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mki {
    pub value: u64,
    /// Bytes of MKI in each packet (1..=128).
    pub length: u8,
}

/// One `inline:` key parameter. `Debug` masks the material.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyParams {
    /// Raw decoded key||salt; 30 bytes for the suites we support.
    pub material: Vec<u8>,
    /// `2^31` or a decimal number of packets, kept as written.
    pub lifetime: Option<String>,
    pub mki: Option<Mki>,
}

impl fmt::Debug for KeyParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyParams")
            .field(
                "material",
                &format_args!("*** ({} bytes)", self.material.len()),
            )
            .field("lifetime", &self.lifetime)
            .field("mki", &self.mki)
            .finish()
    }
}

impl KeyParams {
    /// The material as an [`SrtpKey`] when it has the length our suites need.
    pub fn key(&self) -> Option<SrtpKey> {
        let bytes: [u8; KEY_SALT_LEN] = self.material.as_slice().try_into().ok()?;
        Some(SrtpKey(bytes))
    }

    fn parse(value: &str) -> Result<Self, String> {
        let inline = value
            .strip_prefix("inline:")
            .ok_or_else(|| format!("key method of `{value}` is not `inline:`"))?;
        let mut parts = inline.split('|');
        let encoded = parts.next().unwrap_or_default();
        let material = STANDARD
            .decode(encoded)
            .or_else(|_| STANDARD_NO_PAD.decode(encoded))
            .map_err(|e| format!("key is not base64: {e}"))?;
        let mut lifetime = None;
        let mut mki = None;
        for part in parts {
            if let Some((value, length)) = part.split_once(':') {
                let value = value.parse().map_err(|_| format!("bad MKI `{part}`"))?;
                let length = length
                    .parse()
                    .ok()
                    .filter(|l| (1..=128).contains(l))
                    .ok_or_else(|| format!("bad MKI length `{part}`"))?;
                mki = Some(Mki { value, length });
            } else if lifetime.is_none() && mki.is_none() {
                lifetime = Some(part.to_owned());
            } else {
                return Err(format!("unexpected key parameter `{part}`"));
            }
        }
        Ok(Self {
            material,
            lifetime,
            mki,
        })
    }

    fn to_value(&self) -> String {
        let mut out = format!("inline:{}", STANDARD.encode(&self.material));
        if let Some(lifetime) = &self.lifetime {
            out.push('|');
            out.push_str(lifetime);
        }
        if let Some(mki) = &self.mki {
            out.push_str(&format!("|{}:{}", mki.value, mki.length));
        }
        out
    }
}

/// A parsed `a=crypto` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoAttribute {
    /// Identifies this line; the answer repeats the tag of the line it accepts.
    pub tag: u32,
    pub suite: SrtpSuite,
    /// At least one; several only with MKIs.
    pub keys: Vec<KeyParams>,
    /// Session parameters (`KDR=…`, `UNENCRYPTED_SRTP`…), kept as written.
    pub session_params: Vec<String>,
}

impl CryptoAttribute {
    /// Our line: one key, no lifetime or MKI (peers that cannot do MKI are common).
    pub fn new(tag: u32, suite: SrtpSuite, key: &SrtpKey) -> Self {
        Self {
            tag,
            suite,
            keys: vec![KeyParams {
                material: key.as_bytes().to_vec(),
                lifetime: None,
                mki: None,
            }],
            session_params: Vec::new(),
        }
    }

    /// Parses the value after `crypto:`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut fields = value.split_whitespace();
        let tag_text = fields.next().ok_or("empty crypto attribute")?;
        let tag = tag_text
            .parse()
            .map_err(|_| format!("tag `{tag_text}` is not a number"))?;
        let suite = SrtpSuite::parse(fields.next().ok_or("crypto attribute has no suite")?);
        let key_field = fields.next().ok_or("crypto attribute has no key")?;
        let keys = key_field
            .split(';')
            .map(KeyParams::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if suite.is_supported() && keys.iter().any(|k| k.material.len() != KEY_SALT_LEN) {
            return Err(format!(
                "{suite} needs {KEY_SALT_LEN} bytes of key and salt"
            ));
        }
        Ok(Self {
            tag,
            suite,
            keys,
            session_params: fields.map(str::to_owned).collect(),
        })
    }

    /// The first key, when it is usable by our suites.
    pub fn key(&self) -> Option<SrtpKey> {
        self.keys.first().and_then(KeyParams::key)
    }

    /// Whether Dialtone's SRTP can use this line: a supported suite, one key without an MKI, and
    /// the default key derivation rate (no `KDR=` session parameter). Lines with an MKI or a KDR
    /// are legal but rare; answering one would leave every packet failing authentication.
    pub fn is_usable(&self) -> bool {
        self.suite.is_supported()
            && self.key().is_some()
            && self.keys.len() == 1
            && self.mki().is_none()
            && !self
                .session_params
                .iter()
                .any(|p| p.to_ascii_uppercase().starts_with("KDR="))
    }

    /// The first key's MKI, which the SRTP layer must expect in the peer's packets.
    pub fn mki(&self) -> Option<Mki> {
        self.keys.first().and_then(|k| k.mki)
    }

    /// The attribute value (after `crypto:`).
    pub fn to_value(&self) -> String {
        let keys: Vec<String> = self.keys.iter().map(KeyParams::to_value).collect();
        let mut out = format!("{} {} {}", self.tag, self.suite, keys.join(";"));
        for param in &self.session_params {
            out.push(' ');
            out.push_str(param);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC4568_EXAMPLE: &str =
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32";

    #[test]
    fn parses_the_rfc4568_example_with_lifetime_and_mki() {
        let crypto = CryptoAttribute::parse(RFC4568_EXAMPLE).expect("parses");
        assert_eq!(crypto.tag, 1);
        assert_eq!(crypto.suite, SrtpSuite::AesCm128HmacSha1_80);
        assert!(crypto.key().is_some());
        assert_eq!(crypto.keys[0].lifetime.as_deref(), Some("2^20"));
        assert_eq!(
            crypto.mki(),
            Some(Mki {
                value: 1,
                length: 32
            })
        );
        assert_eq!(crypto.to_value(), RFC4568_EXAMPLE);
    }

    #[test]
    fn mki_without_lifetime_and_session_params_are_kept() {
        let value =
            "2 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4 KDR=1";
        let crypto = CryptoAttribute::parse(value).expect("parses");
        assert_eq!(crypto.keys[0].lifetime, None);
        assert_eq!(crypto.mki().map(|m| m.length), Some(4));
        assert_eq!(crypto.session_params, vec!["KDR=1".to_owned()]);
        assert_eq!(crypto.to_value(), value);
    }

    #[test]
    fn short_keys_and_other_methods_are_refused() {
        assert!(CryptoAttribute::parse("1 AES_CM_128_HMAC_SHA1_80 inline:AAAA").is_err());
        assert!(CryptoAttribute::parse("1 AES_CM_128_HMAC_SHA1_80 uri:x").is_err());
        assert!(CryptoAttribute::parse("x AES_CM_128_HMAC_SHA1_80 inline:AAAA").is_err());
        let other = CryptoAttribute::parse("3 AEAD_AES_256_GCM inline:AAAA").expect("kept");
        assert!(!other.suite.is_supported());
    }

    #[test]
    fn keys_never_appear_in_debug_output() {
        let key = SrtpKey::from_bytes([7; KEY_SALT_LEN]);
        assert_eq!(format!("{key:?}"), "SrtpKey(***)");
        assert_eq!(
            key.master_key().len() + key.master_salt().len(),
            KEY_SALT_LEN
        );
    }
}
