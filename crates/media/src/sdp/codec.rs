//! Codecs as SDP names them: what we can do (`CodecSpec`) and what a payload type means in one
//! negotiated session (`Codec`).

/// A codec bound to a payload type in one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    pub payload_type: u8,
    /// Encoding name as the SDP wrote it (`opus`, `PCMU`, `telephone-event`…).
    pub name: String,
    /// RTP clock rate. Note G.722 says 8000 although it samples at 16 kHz (RFC 3551 §4.5.2).
    pub clock_rate: u32,
    pub channels: u16,
    /// `a=fmtp` parameters, e.g. `useinbandfec=1` or `0-16`.
    pub fmtp: Option<String>,
}

/// RFC 3551 static audio payload types that can appear without an `a=rtpmap`.
const STATIC_AUDIO: &[(u8, &str, u32, u16)] = &[
    (0, "PCMU", 8000, 1),
    (3, "GSM", 8000, 1),
    (4, "G723", 8000, 1),
    (5, "DVI4", 8000, 1),
    (6, "DVI4", 16000, 1),
    (7, "LPC", 8000, 1),
    (8, "PCMA", 8000, 1),
    (9, "G722", 8000, 1),
    (10, "L16", 44100, 2),
    (11, "L16", 44100, 1),
    (12, "QCELP", 8000, 1),
    (13, "CN", 8000, 1),
    (14, "MPA", 90000, 1),
    (15, "G728", 8000, 1),
    (16, "DVI4", 11025, 1),
    (17, "DVI4", 22050, 1),
    (18, "G729", 8000, 1),
];

impl Codec {
    /// The RFC 3551 meaning of a static payload type, for offers that omit `a=rtpmap`.
    pub fn from_static(pt: u8) -> Option<Self> {
        STATIC_AUDIO.iter().find(|(p, ..)| *p == pt).map(
            |&(payload_type, name, clock_rate, channels)| Self {
                payload_type,
                name: name.to_owned(),
                clock_rate,
                channels,
                fmtp: None,
            },
        )
    }

    /// True for RFC 4733 `telephone-event`.
    pub fn is_telephone_event(&self) -> bool {
        self.name.eq_ignore_ascii_case(TELEPHONE_EVENT)
    }

    /// `name/rate[/channels]`, how errors list codecs.
    pub fn label(&self) -> String {
        label(&self.name, self.clock_rate, self.channels)
    }
}

pub(crate) const TELEPHONE_EVENT: &str = "telephone-event";

fn label(name: &str, clock_rate: u32, channels: u16) -> String {
    if channels == 1 {
        format!("{name}/{clock_rate}")
    } else {
        format!("{name}/{clock_rate}/{channels}")
    }
}

/// A codec we are able to use, in the preference list of [`super::LocalCapabilities`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecSpec {
    pub name: String,
    pub clock_rate: u32,
    pub channels: u16,
    /// What we ask of the sender (`a=fmtp` in our SDP).
    pub fmtp: Option<String>,
    /// RFC 3551 static number; `None` means a dynamic one (96..=127) is assigned when offering.
    pub static_pt: Option<u8>,
}

impl CodecSpec {
    /// Opus (RFC 7587): always `opus/48000/2` in SDP; in-band FEC on, so that the far end's
    /// encoder protects against loss we report.
    pub fn opus() -> Self {
        Self {
            name: "opus".to_owned(),
            clock_rate: 48000,
            channels: 2,
            fmtp: Some("useinbandfec=1".to_owned()),
            static_pt: None,
        }
    }

    /// Opus with a cap on the far end's average bitrate (bit/s).
    pub fn opus_with_max_bitrate(max_average_bitrate: u32) -> Self {
        Self {
            fmtp: Some(format!(
                "useinbandfec=1; maxaveragebitrate={max_average_bitrate}"
            )),
            ..Self::opus()
        }
    }

    /// G.722, static payload type 9 (clock rate 8000 by the RFC 3551 erratum, really 16 kHz).
    pub fn g722() -> Self {
        Self::fixed("G722", 9)
    }

    /// G.711 µ-law, static payload type 0.
    pub fn pcmu() -> Self {
        Self::fixed("PCMU", 0)
    }

    /// G.711 A-law, static payload type 8.
    pub fn pcma() -> Self {
        Self::fixed("PCMA", 8)
    }

    fn fixed(name: &str, pt: u8) -> Self {
        Self {
            name: name.to_owned(),
            clock_rate: 8000,
            channels: 1,
            fmtp: None,
            static_pt: Some(pt),
        }
    }

    /// Same codec, ignoring payload type and parameters: name (case-insensitive), rate, channels.
    /// Opus offers that say `opus/48000` without `/2` are accepted too (seen from some gateways).
    pub fn matches(&self, codec: &Codec) -> bool {
        let opus = self.name.eq_ignore_ascii_case("opus");
        self.name.eq_ignore_ascii_case(&codec.name)
            && self.clock_rate == codec.clock_rate
            && (self.channels == codec.channels || opus)
    }

    /// `name/rate[/channels]`, how errors list codecs.
    pub fn label(&self) -> String {
        label(&self.name, self.clock_rate, self.channels)
    }
}
