//! Typed views of the attributes offer/answer acts on: direction, `rtpmap`, `rtcp`.

use std::fmt;

use super::model::{Attribute, Connection};

/// Media direction (RFC 8866 §6.7, RFC 3264 §5.1), seen from the side that wrote the SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// Builds a direction from "does this side send" and "does it receive".
    pub fn from_flags(send: bool, recv: bool) -> Self {
        match (send, recv) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// The attribute name, e.g. `sendonly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    pub(crate) fn from_attribute(name: &str) -> Option<Self> {
        [
            Self::SendRecv,
            Self::SendOnly,
            Self::RecvOnly,
            Self::Inactive,
        ]
        .into_iter()
        .find(|d| name.eq_ignore_ascii_case(d.as_str()))
    }

    /// Does the side that wrote this send media?
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Does the side that wrote this want to receive media?
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The same stream seen from the other side (sendonly ↔ recvonly).
    pub fn reversed(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }

    /// The answer to an offer with direction `offered` when we would like `wanted`
    /// (RFC 3264 §6.1): we send only if we want to and the offerer receives, and receive only
    /// if we want to and the offerer sends. So sendonly → recvonly, recvonly → sendonly,
    /// inactive → inactive, and a sendonly offer to a side that is itself holding → inactive.
    pub fn answer_to(offered: Self, wanted: Self) -> Self {
        Self::from_flags(
            wanted.sends() && offered.receives(),
            wanted.receives() && offered.sends(),
        )
    }

    /// As an attribute line value.
    pub fn attribute(self) -> Attribute {
        Attribute::flag(self.as_str())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    /// 1 when absent (RFC 8866 §6.6).
    pub channels: u16,
}

impl RtpMap {
    /// Parses the value after `rtpmap:`; tolerant of extra spaces, `None` when malformed.
    pub fn parse(value: &str) -> Option<Self> {
        let mut fields = value.split_whitespace();
        let payload_type: u8 = fields.next()?.parse().ok()?;
        let mapping = fields.next()?;
        let mut parts = mapping.split('/');
        let encoding = parts.next().filter(|e| !e.is_empty())?.to_owned();
        let clock_rate = parts.next()?.trim().parse().ok()?;
        let channels = match parts.next() {
            Some(c) => c.trim().parse().ok().filter(|c| *c > 0)?,
            None => 1,
        };
        (payload_type <= 127).then_some(Self {
            payload_type,
            encoding,
            clock_rate,
            channels,
        })
    }

    /// The attribute value: channels are written only when not 1.
    pub fn to_value(&self) -> String {
        if self.channels == 1 {
            format!(
                "{} {}/{}",
                self.payload_type, self.encoding, self.clock_rate
            )
        } else {
            format!(
                "{} {}/{}/{}",
                self.payload_type, self.encoding, self.clock_rate, self.channels
            )
        }
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    pub port: u16,
    pub connection: Option<Connection>,
}

impl Rtcp {
    /// Parses the value after `rtcp:`; `None` when malformed.
    pub fn parse(value: &str) -> Option<Self> {
        let mut fields = value.split_whitespace();
        let port = fields.next()?.parse().ok()?;
        let connection = match (fields.next(), fields.next(), fields.next()) {
            (Some(n), Some(t), Some(a)) => Some(Connection {
                net_type: n.to_owned(),
                addr_type: t.to_owned(),
                address: a.to_owned(),
            }),
            _ => None,
        };
        Some(Self { port, connection })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_answers_follow_rfc3264_section_6_1() {
        use Direction::*;
        assert_eq!(Direction::answer_to(SendRecv, SendRecv), SendRecv);
        assert_eq!(Direction::answer_to(SendOnly, SendRecv), RecvOnly);
        assert_eq!(Direction::answer_to(RecvOnly, SendRecv), SendOnly);
        assert_eq!(Direction::answer_to(Inactive, SendRecv), Inactive);
        assert_eq!(Direction::answer_to(SendOnly, SendOnly), Inactive);
    }

    #[test]
    fn rtpmap_parses_channels_and_tolerates_spaces() {
        let map = RtpMap::parse("  111   opus/48000/2 ").expect("rtpmap");
        assert_eq!(
            (map.payload_type, map.clock_rate, map.channels),
            (111, 48000, 2)
        );
        assert_eq!(map.to_value(), "111 opus/48000/2");
        assert_eq!(RtpMap::parse("0 PCMU/8000").map(|m| m.channels), Some(1));
        assert!(RtpMap::parse("200 PCMU/8000").is_none());
        assert!(RtpMap::parse("0 PCMU").is_none());
        assert!(RtpMap::parse("0 PCMU/8000/0").is_none());
    }

    #[test]
    fn rtcp_attribute_with_and_without_address() {
        assert_eq!(Rtcp::parse("53020").map(|r| r.port), Some(53020));
        let with = Rtcp::parse("9 IN IP4 0.0.0.0").expect("rtcp");
        assert_eq!(with.connection.map(|c| c.address), Some("0.0.0.0".into()));
        assert!(Rtcp::parse("x").is_none());
    }
}
