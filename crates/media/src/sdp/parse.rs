//! Text → [`SessionDescription`].
//!
//! Tolerant of what real phones send: `\n` or `\r\n` line ends, blank lines, extra spaces between
//! fields, lines of unknown type (dropped, logged at debug), session-level lines in odd places,
//! a missing `s=` or `t=`. Strict where a mistake would send audio to the wrong place or drop a
//! call silently: `v=`, `o=`, `c=` and `m=` lines must be well formed, and the error names the line.

use std::str::FromStr;

use super::error::SdpError;
use super::model::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, SessionDescription, Timing,
};

impl FromStr for SessionDescription {
    type Err = SdpError;

    fn from_str(text: &str) -> Result<Self, SdpError> {
        parse(text)
    }
}

impl SessionDescription {
    /// Parses an SDP body as it arrived (e.g. a SIP message body); invalid UTF-8 is replaced,
    /// SDP being ASCII apart from free-text fields.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, SdpError> {
        parse(&String::from_utf8_lossy(bytes))
    }
}

/// One numbered line, split into its type letter and value.
struct Line<'a> {
    number: usize,
    text: &'a str,
    kind: char,
    value: &'a str,
}

impl Line<'_> {
    fn error(&self, reason: impl Into<String>) -> SdpError {
        SdpError::malformed(self.number, self.text, reason)
    }
}

/// Parses an SDP document.
pub fn parse(text: &str) -> Result<SessionDescription, SdpError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut version_seen = false;
    let mut origin = None;
    let mut session = SessionDescription {
        origin: Origin {
            username: String::new(),
            session_id: String::new(),
            session_version: 0,
            net_type: String::new(),
            addr_type: String::new(),
            address: String::new(),
        },
        session_name: "-".to_owned(),
        information: None,
        uri: None,
        emails: Vec::new(),
        phones: Vec::new(),
        connection: None,
        bandwidths: Vec::new(),
        timings: Vec::new(),
        time_zones: None,
        key: None,
        attributes: Vec::new(),
        media: Vec::new(),
    };

    for (index, raw) in text.split('\n').enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        let mut chars = trimmed.chars();
        let (Some(kind), Some('=')) = (chars.next(), chars.next()) else {
            tracing::debug!(line = index + 1, "SDP: skipping a line that is not `x=…`");
            continue;
        };
        let line = Line {
            number: index + 1,
            text: trimmed,
            kind,
            value: chars.as_str().trim(),
        };
        if let Some(media) = session.media.last_mut() {
            if media_line(media, &line)? {
                continue;
            }
        }
        match line.kind {
            'v' => {
                if line.value != "0" {
                    return Err(line.error("only SDP version 0 exists"));
                }
                version_seen = true;
            }
            'o' => origin = Some(parse_origin(&line)?),
            's' => {
                session.session_name = non_empty(line.value);
            }
            'i' => session.information = Some(line.value.to_owned()),
            'u' => session.uri = Some(line.value.to_owned()),
            'e' => session.emails.push(line.value.to_owned()),
            'p' => session.phones.push(line.value.to_owned()),
            'c' => session.connection = Some(parse_connection(&line)?),
            'b' => session.bandwidths.extend(parse_bandwidth(&line)),
            't' => session.timings.extend(parse_timing(&line)),
            'r' => match session.timings.last_mut() {
                Some(timing) => timing.repeats.push(line.value.to_owned()),
                None => tracing::debug!(line = line.number, "SDP: r= without t=, dropped"),
            },
            'z' => session.time_zones = Some(line.value.to_owned()),
            'k' => session.key = Some(line.value.to_owned()),
            'a' => session.attributes.extend(parse_attribute(line.value)),
            'm' => session.media.push(parse_media(&line)?),
            _ => {
                tracing::debug!(line = line.number, kind = %line.kind, "SDP: unknown line dropped")
            }
        }
    }
    if !version_seen {
        return Err(SdpError::MissingLine("v=0"));
    }
    session.origin = origin.ok_or(SdpError::MissingLine("o="))?;
    if session.timings.is_empty() {
        // A missing t= means "unbounded", which `t=0 0` says explicitly (and is what we print).
        session.timings.push(Timing::default());
    }
    Ok(session)
}

/// Handles a line inside an `m=` section; false when it belongs to the session parser
/// (`m=` starts the next section; session-only letters are handled, and logged, there).
fn media_line(media: &mut MediaDescription, line: &Line<'_>) -> Result<bool, SdpError> {
    match line.kind {
        'i' => media.information = Some(line.value.to_owned()),
        'c' => media.connections.push(parse_connection(line)?),
        'b' => media.bandwidths.extend(parse_bandwidth(line)),
        'k' => media.key = Some(line.value.to_owned()),
        'a' => media.attributes.extend(parse_attribute(line.value)),
        'm' | 'v' | 'o' => return Ok(false),
        _ => {
            tracing::debug!(line = line.number, kind = %line.kind, "SDP: line not allowed in a media section, dropped");
        }
    }
    Ok(true)
}

fn non_empty(value: &str) -> String {
    if value.is_empty() {
        "-".to_owned()
    } else {
        value.to_owned()
    }
}

fn parse_origin(line: &Line<'_>) -> Result<Origin, SdpError> {
    let fields: Vec<&str> = line.value.split_whitespace().collect();
    let [username, session_id, version, net_type, addr_type, address] = fields[..] else {
        return Err(
            line.error("o= needs 6 fields: username sess-id sess-version nettype addrtype address")
        );
    };
    let session_version = version
        .parse()
        .map_err(|_| line.error(format!("session version `{version}` is not a number")))?;
    Ok(Origin {
        username: username.to_owned(),
        session_id: session_id.to_owned(),
        session_version,
        net_type: net_type.to_owned(),
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    })
}

fn parse_connection(line: &Line<'_>) -> Result<Connection, SdpError> {
    let fields: Vec<&str> = line.value.split_whitespace().collect();
    let [net_type, addr_type, address] = fields[..] else {
        return Err(line.error("c= needs 3 fields: nettype addrtype address"));
    };
    let connection = Connection {
        net_type: net_type.to_owned(),
        addr_type: addr_type.to_owned(),
        address: address.to_owned(),
    };
    // An IP4/IP6 address that is not one would send our audio nowhere: refuse it here. Names
    // (allowed by the grammar, never seen from phones) are kept; negotiation reports them.
    let looks_numeric = address
        .split('/')
        .next()
        .is_some_and(|a| a.contains(':') || a.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    if looks_numeric && connection.ip().is_none() {
        return Err(line.error(format!("`{address}` is not an IP address")));
    }
    Ok(connection)
}

/// `b=AS:64`; a malformed one is dropped (it only limits bitrate).
fn parse_bandwidth(line: &Line<'_>) -> Option<Bandwidth> {
    let parsed = line.value.split_once(':').and_then(|(kind, value)| {
        Some(Bandwidth {
            kind: kind.trim().to_owned(),
            value: value.trim().parse().ok()?,
        })
    });
    if parsed.is_none() {
        tracing::debug!(line = line.number, "SDP: malformed b= dropped");
    }
    parsed
}

/// `t=0 0`; a malformed one is dropped (telephony ignores timing).
fn parse_timing(line: &Line<'_>) -> Option<Timing> {
    let mut fields = line.value.split_whitespace();
    let parsed = match (fields.next(), fields.next()) {
        (Some(start), Some(stop)) => start.parse().ok().zip(stop.parse().ok()),
        _ => None,
    };
    if parsed.is_none() {
        tracing::debug!(line = line.number, "SDP: malformed t= dropped");
    }
    parsed.map(|(start, stop)| Timing {
        start,
        stop,
        repeats: Vec::new(),
    })
}

/// `a=name` or `a=name:value`; spaces around the name and value are trimmed.
fn parse_attribute(value: &str) -> Option<Attribute> {
    let (name, value) = match value.split_once(':') {
        Some((name, value)) => (name.trim(), Some(value.trim().to_owned())),
        None => (value.trim(), None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    Some(Attribute {
        name: name.to_owned(),
        value,
    })
}

/// `m=<media> <port>[/<count>] <proto> <fmt> …`: strict, a stream we misread is a call without audio.
fn parse_media(line: &Line<'_>) -> Result<MediaDescription, SdpError> {
    let mut fields = line.value.split_whitespace();
    let (Some(media), Some(port_field), Some(proto)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(line.error("m= needs at least: media port proto"));
    };
    let (port_text, count_text) = match port_field.split_once('/') {
        Some((port, count)) => (port, Some(count)),
        None => (port_field, None),
    };
    let port = port_text.parse().map_err(|_| {
        line.error(format!(
            "port `{port_text}` is not a number between 0 and 65535"
        ))
    })?;
    let port_count = count_text
        .map(|c| {
            c.parse()
                .map_err(|_| line.error(format!("port count `{c}` is not a number")))
        })
        .transpose()?;
    let formats: Vec<String> = fields.map(str::to_owned).collect();
    if proto.to_ascii_uppercase().contains("RTP") {
        if let Some(bad) = formats
            .iter()
            .find(|f| f.parse::<u8>().ok().filter(|pt| *pt <= 127).is_none())
        {
            return Err(line.error(format!("RTP payload type `{bad}` is not 0..127")));
        }
    }
    Ok(MediaDescription {
        media: media.to_owned(),
        port,
        port_count,
        proto: proto.to_owned(),
        formats,
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::new(),
    })
}
