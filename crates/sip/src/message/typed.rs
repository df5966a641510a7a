//! Typed views of the headers the user agent acts on: Via, CSeq, From/To/Contact (name-addr).

use std::fmt;

use super::method::Method;
use super::params::Params;
use super::parse::ParseError;
use super::uri::{split_host_port, Host, SipUri};
use crate::flow::TransportKind;

/// One Via value: `SIP/2.0/UDP host:port;branch=z9hG4bK…;rport`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The transport token as written (`UDP`, `WSS`, or an extension such as `SCTP`).
    pub transport: String,
    pub host: Host,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    pub fn new(transport: TransportKind, host: Host, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::default();
        params.set("branch", Some(branch));
        Via {
            transport: transport.via_token().to_owned(),
            host,
            port,
            params,
        }
    }

    pub fn parse(text: &str) -> Result<Via, ParseError> {
        let bad = |why| ParseError::BadHeader { name: "Via", why };
        let mut parts = text.trim().splitn(3, '/');
        let (name, version, rest) = (parts.next(), parts.next(), parts.next());
        if !name.is_some_and(|n| n.trim().eq_ignore_ascii_case("SIP"))
            || version.map(str::trim) != Some("2.0")
        {
            return Err(bad("protocol is not SIP/2.0"));
        }
        let rest = rest.ok_or(bad("no transport"))?.trim_start();
        let split = rest
            .find(|c: char| c.is_whitespace())
            .ok_or(bad("no sent-by"))?;
        let (transport, sent) = rest.split_at(split);
        if transport.is_empty()
            || !transport
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(bad("malformed transport"));
        }
        let sent = sent.trim();
        let (hostport, params) = match sent.split_once(';') {
            Some((hp, p)) => (hp, Params::parse(p).map_err(bad)?),
            None => (sent, Params::default()),
        };
        // A comment may follow sent-by (RFC 3261 §25.1: via-extension); ignore it.
        let hostport = hostport.split('(').next().unwrap_or_default();
        let (host, port) = split_host_port(hostport)?;
        Ok(Via {
            transport: transport.to_ascii_uppercase(),
            host: Host::parse(host)?,
            port,
            params,
        })
    }

    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }

    pub fn transport_kind(&self) -> Option<TransportKind> {
        TransportKind::from_token(&self.transport)
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)
    }
}

/// `CSeq: 4711 INVITE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    pub fn parse(text: &str) -> Result<CSeq, ParseError> {
        let bad = |why| ParseError::BadHeader { name: "CSeq", why };
        let mut words = text.split_whitespace();
        let seq = words.next().ok_or(bad("empty"))?;
        let method = words.next().ok_or(bad("no method"))?;
        if words.next().is_some() {
            return Err(bad("extra text after the method"));
        }
        // RFC 3261 §8.1.1.5: less than 2**31.
        let seq: u32 = seq
            .parse()
            .map_err(|_| bad("sequence number is not a 32-bit number"))?;
        if seq >= 1 << 31 {
            return Err(bad("sequence number is 2**31 or more"));
        }
        Ok(CSeq {
            seq,
            method: Method::from_token(method),
        })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// A From, To, Contact, Route or Record-Route value: `"Display" <uri>;params` or `uri;params`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name without quotes or escapes.
    pub display: Option<String>,
    /// The URI text (any scheme; see [`NameAddr::sip_uri`]).
    pub uri: String,
    /// Header parameters (`tag`, `expires`, `q`…), not URI parameters.
    pub params: Params,
}

impl NameAddr {
    pub fn new(uri: impl fmt::Display) -> NameAddr {
        NameAddr {
            display: None,
            uri: uri.to_string(),
            params: Params::default(),
        }
    }

    pub fn parse(text: &str) -> Result<NameAddr, ParseError> {
        let bad = |why| ParseError::BadHeader {
            name: "name-addr",
            why,
        };
        let text = text.trim();
        let (display, after_display) = if let Some(quoted) = text.strip_prefix('"') {
            let end = closing_quote(quoted).ok_or(bad("unterminated quoted display name"))?;
            (
                Some(unescape(&quoted[..end])),
                quoted[end + 1..].trim_start(),
            )
        } else {
            match text.find('<') {
                Some(open) => {
                    let name = text[..open].trim();
                    (
                        if name.is_empty() {
                            None
                        } else {
                            Some(name.to_owned())
                        },
                        &text[open..],
                    )
                }
                None => (None, text),
            }
        };
        if let Some(inner) = after_display.strip_prefix('<') {
            let close = inner.find('>').ok_or(bad("unterminated <URI>"))?;
            let uri = inner[..close].trim();
            let params = Params::parse(&inner[close + 1..]).map_err(bad)?;
            if uri.is_empty() {
                return Err(bad("empty URI"));
            }
            return Ok(NameAddr {
                display,
                uri: uri.to_owned(),
                params,
            });
        }
        if display.is_some() {
            return Err(bad("display name without <URI>"));
        }
        // addr-spec form: everything after the first ';' is header parameters (RFC 3261 §20.10).
        let (uri, params) = match text.split_once(';') {
            Some((u, p)) => (u.trim(), Params::parse(p).map_err(bad)?),
            None => (text, Params::default()),
        };
        if uri.is_empty() || uri.contains(char::is_whitespace) {
            return Err(bad("malformed URI"));
        }
        Ok(NameAddr {
            display: None,
            uri: uri.to_owned(),
            params,
        })
    }

    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }

    /// The URI parsed as sip:/sips:.
    pub fn sip_uri(&self) -> Result<SipUri, ParseError> {
        SipUri::parse(&self.uri)
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(display) = &self.display {
            write!(
                f,
                "\"{}\" ",
                display.replace('\\', "\\\\").replace('"', "\\\"")
            )?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut escaped = false;
    for c in text.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}
