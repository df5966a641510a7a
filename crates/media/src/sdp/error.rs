//! Errors of the SDP module: a malformed description, or a well-formed one we cannot accept.
//!
//! The caller (the SIP layer via `core`) needs to tell the two apart: a description that does not
//! parse is the peer's bug (SIP answers 400 or drops the message), an offer that parses but has
//! nothing we can use is "not acceptable here" (SIP 488 with the reason). [`SdpError::rejects_offer`]
//! says which; the `Display` text is written to be shown to a user and says what to do.

use thiserror::Error;

/// Everything that can go wrong parsing or negotiating SDP.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpError {
    /// A line that matters could not be parsed; `line` is 1-based, `text` the line as received.
    #[error("SDP line {line} `{text}`: {reason}")]
    Malformed {
        line: usize,
        text: String,
        reason: String,
    },
    /// A line the description cannot do without is absent.
    #[error("the SDP has no `{0}` line")]
    MissingLine(&'static str),
    /// The offer has no audio stream at all (or only disabled ones, port 0).
    #[error("the call offers no audio stream; only audio calls are supported")]
    NoAudio,
    /// The offer's audio uses a transport we cannot speak (e.g. WebRTC's DTLS-SRTP).
    #[error(
        "the call offers audio over `{proto}`, which this account cannot use; \
         ask the caller to offer plain RTP (RTP/AVP) or SDES-SRTP (RTP/SAVP)"
    )]
    UnsupportedTransport { proto: String },
    /// No codec of ours appears in the offer (or answer). `offered` lists what the peer had.
    #[error(
        "no common audio codec: the other side offered {}, we support {}; \
         enable one of the offered codecs in Settings → Audio, or on the other phone",
        list(offered),
        list(supported)
    )]
    NoCommonCodec {
        offered: Vec<String>,
        supported: Vec<String>,
    },
    /// Our policy is SRTP mandatory and the peer offered unencrypted media.
    #[error(
        "the other side offered unencrypted media (no a=crypto) but this account requires SRTP; \
         enable SRTP (SDES) on the other phone, or set SRTP to optional in Settings → Account"
    )]
    SrtpRequired,
    /// The peer requires SRTP (RTP/SAVP) and our policy is off.
    #[error(
        "the other side requires encrypted media (RTP/SAVP) but SRTP is off for this account; \
         set SRTP to optional or mandatory in Settings → Account"
    )]
    SrtpDisabled,
    /// The peer offered SRTP, but only with suites (or keys) we cannot use.
    #[error(
        "the other side requires SRTP but offered {}; only SDES (a=crypto) with \
         AES_CM_128_HMAC_SHA1_80 or AES_CM_128_HMAC_SHA1_32 and a 30-byte inline key is supported; \
         enable one of these on the other phone or PBX",
        suites(offered)
    )]
    NoCommonCryptoSuite { offered: Vec<String> },
    /// The peer's media address is missing or not an IP address (we resolve no names here).
    #[error("the audio stream has no usable address: {0}")]
    NoAddress(String),
    /// The other side answered our offer with the audio stream rejected (port 0).
    #[error(
        "the other side rejected our audio stream: it accepts none of our codecs, or not our \
         encryption setting; check the codec list and the SRTP setting of both phones"
    )]
    AudioRejected,
    /// An answer that does not fit our offer (RFC 3264 §6: it must mirror the offer's m-lines and
    /// pick from its formats and crypto tags).
    #[error("the SDP answer does not match our offer: {0}")]
    AnswerMismatch(String),
}

impl SdpError {
    /// True when the description was well-formed but cannot be accepted (SIP: 488 Not Acceptable
    /// Here, with this error's text as the reason); false when it was malformed (SIP: 400).
    pub fn rejects_offer(&self) -> bool {
        !matches!(self, Self::Malformed { .. } | Self::MissingLine(_))
    }

    pub(crate) fn malformed(line: usize, text: &str, reason: impl Into<String>) -> Self {
        // A hostile peer may send megabytes on one line; the error quotes a bounded prefix.
        let text: String = text.chars().take(120).collect();
        Self::Malformed {
            line,
            text,
            reason: reason.into(),
        }
    }
}

fn suites(items: &[String]) -> String {
    if items.is_empty() {
        "no a=crypto line (perhaps DTLS-SRTP, which plain SIP calls do not support yet)".to_owned()
    } else {
        format!("the suites {}", items.join(", "))
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_owned()
    } else {
        items.join(", ")
    }
}
