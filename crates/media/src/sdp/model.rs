//! The session description as data (RFC 8866 §5), and typed views of the attributes we act on.
//!
//! Everything we received is kept (attributes in order, including ones we do not understand such
//! as ICE's) so that printing what we parsed gives back an equivalent description; typed values are
//! computed on demand from the raw attributes, so an odd attribute never makes a whole SDP fail.

use std::net::IpAddr;

use super::attribute::{Direction, Rtcp, RtpMap};
use super::codec::Codec;
use super::crypto::CryptoAttribute;

/// One SDP document: session-level lines, then the media sections in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin: Origin,
    /// `s=`; `-` when there is nothing to say (RFC 8866 §5.3).
    pub session_name: String,
    pub information: Option<String>,
    pub uri: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// Session-level `c=`, the default for media sections without their own.
    pub connection: Option<Connection>,
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines (at least one is printed; `t=0 0` when empty).
    pub timings: Vec<Timing>,
    /// `z=`, kept raw.
    pub time_zones: Option<String>,
    /// `k=` (obsolete), kept raw.
    pub key: Option<String>,
    pub attributes: Vec<Attribute>,
    pub media: Vec<MediaDescription>,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    /// Kept as text: only its equality matters (RFC 3264 §8 re-offers keep it).
    pub session_id: String,
    /// Incremented by one in each changed re-offer or answer (RFC 3264 §8).
    pub session_version: u64,
    pub net_type: String,
    pub addr_type: String,
    pub address: String,
}

/// `c=<nettype> <addrtype> <connection-address>`; the address may carry `/ttl[/count]` (multicast).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub net_type: String,
    pub addr_type: String,
    pub address: String,
}

impl Connection {
    /// `IN IP4 a.b.c.d` or `IN IP6 …` for an IP address.
    pub fn new(ip: IpAddr) -> Self {
        Self {
            net_type: "IN".to_owned(),
            addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.to_owned(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP, without any multicast `/ttl`; `None` for a host name.
    pub fn ip(&self) -> Option<IpAddr> {
        let bare = self.address.split('/').next().unwrap_or_default();
        bare.parse().ok()
    }

    /// `c=IN IP4 0.0.0.0`: RFC 2543's way of putting a call on hold, still sent by older phones.
    pub fn is_hold_address(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

/// `b=<bwtype>:<bandwidth>` (kbit/s for `AS`/`CT`, bit/s for `TIAS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    pub kind: String,
    pub value: u64,
}

/// `t=<start> <stop>` and the `r=` lines that follow it (kept raw: telephony never uses them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timing {
    pub start: u64,
    pub stop: u64,
    pub repeats: Vec<String>,
}

/// `a=<name>` or `a=<name>:<value>`, kept as received (value without the leading colon).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: Option<String>,
}

impl Attribute {
    /// A property attribute, e.g. `a=rtcp-mux`.
    pub fn flag(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            value: None,
        }
    }

    /// A value attribute, e.g. `a=ptime:20`.
    pub fn value(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            value: Some(value.into()),
        }
    }
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, `application`, …
    pub media: String,
    /// 0 means the stream is rejected or disabled (RFC 3264 §5.1, §6).
    pub port: u16,
    /// `<port>/<number of ports>`, rare.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, `RTP/AVPF`, `UDP/TLS/RTP/SAVPF`, …
    pub proto: String,
    /// Payload type numbers for RTP, opaque tokens otherwise.
    pub formats: Vec<String>,
    pub information: Option<String>,
    pub connections: Vec<Connection>,
    pub bandwidths: Vec<Bandwidth>,
    pub key: Option<String>,
    pub attributes: Vec<Attribute>,
}

/// Attribute lookup shared by the session and media levels.
fn find<'a>(attributes: &'a [Attribute], name: &'a str) -> impl Iterator<Item = &'a Attribute> {
    attributes
        .iter()
        .filter(move |a| a.name.eq_ignore_ascii_case(name))
}

fn direction_of(attributes: &[Attribute]) -> Option<Direction> {
    attributes
        .iter()
        .rev()
        .find_map(|a| Direction::from_attribute(&a.name))
}

impl SessionDescription {
    /// Session-level attributes named `name` (case-insensitive), in order.
    pub fn attributes<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Attribute> {
        find(&self.attributes, name)
    }

    /// Session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// The direction that applies to `media`: its own, else the session's, else `sendrecv`
    /// (RFC 8866 §6.7).
    pub fn media_direction(&self, media: &MediaDescription) -> Direction {
        media
            .direction()
            .or_else(|| self.direction())
            .unwrap_or(Direction::SendRecv)
    }

    /// The connection that applies to `media`: its first own `c=`, else the session's.
    pub fn media_connection<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connections.first().or(self.connection.as_ref())
    }

    /// Crypto attributes for `media`: media level, else session level (SDES allows only media
    /// level, but some phones put them at the session level). Malformed ones are skipped.
    pub fn media_cryptos(&self, media: &MediaDescription) -> Vec<CryptoAttribute> {
        let own = media.cryptos();
        if own.is_empty() {
            find(&self.attributes, "crypto")
                .filter_map(|a| CryptoAttribute::parse(a.value.as_deref()?).ok())
                .collect()
        } else {
            own
        }
    }

    /// True when `rtcp-mux` applies to `media` (media level, or session level as some send it).
    pub fn media_rtcp_mux(&self, media: &MediaDescription) -> bool {
        media.rtcp_mux() || self.attributes("rtcp-mux").next().is_some()
    }
}

impl MediaDescription {
    /// True when the stream is rejected/disabled (port 0).
    pub fn is_rejected(&self) -> bool {
        self.port == 0
    }

    /// True for `audio` sections.
    pub fn is_audio(&self) -> bool {
        self.media.eq_ignore_ascii_case("audio")
    }

    /// Attributes named `name` (case-insensitive), in order.
    pub fn attributes<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Attribute> {
        find(&self.attributes, name)
    }

    /// The first value of attribute `name`, trimmed.
    pub fn attribute_value(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .filter(|a| a.name.eq_ignore_ascii_case(name))
            .find_map(|a| a.value.as_deref())
            .map(str::trim)
    }

    /// Formats that are valid RTP payload type numbers (0..=127), in offer order.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter(|pt| *pt <= 127)
    }

    /// Every well-formed `a=rtpmap`.
    pub fn rtpmaps(&self) -> impl Iterator<Item = RtpMap> + '_ {
        self.attributes("rtpmap")
            .filter_map(|a| RtpMap::parse(a.value.as_deref()?))
    }

    /// `a=rtpmap` for payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> Option<RtpMap> {
        self.rtpmaps().find(|m| m.payload_type == pt)
    }

    /// `a=fmtp` parameters for payload type `pt`, trimmed.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.attributes("fmtp").find_map(|a| {
            let value = a.value.as_deref()?.trim_start();
            let (number, params) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
            (number.parse::<u8>().ok()? == pt).then(|| params.trim())
        })
    }

    /// The codec payload type `pt` stands for: its `a=rtpmap`, else the RFC 3551 static table.
    pub fn codec(&self, pt: u8) -> Option<Codec> {
        let fmtp = self.fmtp(pt).filter(|f| !f.is_empty()).map(str::to_owned);
        match self.rtpmap(pt) {
            Some(map) => Some(Codec {
                payload_type: pt,
                name: map.encoding,
                clock_rate: map.clock_rate,
                channels: map.channels,
                fmtp,
            }),
            None => Codec::from_static(pt).map(|c| Codec { fmtp, ..c }),
        }
    }

    /// The codecs of this section in the order of the `m=` line (formats we cannot map skipped).
    pub fn codecs(&self) -> Vec<Codec> {
        self.payload_types()
            .filter_map(|pt| self.codec(pt))
            .collect()
    }

    /// `a=ptime` in milliseconds.
    pub fn ptime(&self) -> Option<u32> {
        self.attribute_value("ptime").and_then(parse_millis)
    }

    /// `a=maxptime` in milliseconds.
    pub fn maxptime(&self) -> Option<u32> {
        self.attribute_value("maxptime").and_then(parse_millis)
    }

    /// The last direction attribute of this section, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// `a=rtcp` (RFC 3605).
    pub fn rtcp(&self) -> Option<Rtcp> {
        self.attribute_value("rtcp").and_then(Rtcp::parse)
    }

    /// `a=rtcp-mux` (RFC 5761).
    pub fn rtcp_mux(&self) -> bool {
        self.attributes("rtcp-mux").next().is_some()
    }

    /// Well-formed `a=crypto` lines in order (RFC 4568); malformed ones are skipped.
    pub fn cryptos(&self) -> Vec<CryptoAttribute> {
        self.attributes("crypto")
            .filter_map(|a| CryptoAttribute::parse(a.value.as_deref()?).ok())
            .collect()
    }
}

/// `20`, also `20.0` as some phones write it; fractions are dropped.
fn parse_millis(value: &str) -> Option<u32> {
    let whole = value.split('.').next().unwrap_or_default();
    whole.trim().parse().ok()
}
