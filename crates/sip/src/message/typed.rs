//! Typed views of the headers the user agent acts on: Via, CSeq, From/To/Contact (name-addr).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use super::method::Method;
use super::params::Params;
use super::parse::is_token_byte;
use super::parse::ParseError;
use super::uri::{parse_ipv6, split_host_port, uri_scheme, Host, SipUri};
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
        // Params::parse takes the text with its leading ';' so that ";;" stays an empty parameter.
        let (hostport, params) = match sent.find(';') {
            Some(at) => (
                sent.get(..at).unwrap_or_default(),
                Params::parse(sent.get(at..).unwrap_or_default()).map_err(bad)?,
            ),
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

    /// The `received` parameter as an address. RFC 3261 writes an IPv6 value bare, but RFC 5118
    /// §4.5 asks receivers to accept it in brackets as well, since implementations send both.
    /// `None` when absent; `Some(Err)` when present but not an address.
    pub fn received(&self) -> Option<Result<IpAddr, ParseError>> {
        let value = self.params.value("received")?;
        let bad = ParseError::BadHeader {
            name: "Via",
            why: "received is not an IP address",
        };
        let bare = value
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .unwrap_or(value);
        Some(match bare.parse::<Ipv4Addr>() {
            Ok(v4) => Ok(IpAddr::V4(v4)),
            Err(_) => parse_ipv6(bare).map(IpAddr::V6).ok_or(bad),
        })
    }

    /// The `rport` parameter: `Some(None)` when present without a value (a request asking for
    /// it), `Some(Some(port))` when filled in, `None` when absent or not a port number.
    pub fn rport(&self) -> Option<Option<u16>> {
        match self.params.get("rport")? {
            None => Some(None),
            Some(port) => port.parse().ok().map(Some),
        }
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
        if !method.bytes().all(is_token_byte) {
            return Err(bad("the method is not a token"));
        }
        if !seq.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("sequence number is not a number"));
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
        let (display, rest) = if let Some(quoted) = text.strip_prefix('"') {
            let end = closing_quote(quoted).ok_or(bad("unterminated quoted display name"))?;
            let after = quoted.get(end + 1..).unwrap_or_default().trim_start();
            if !after.starts_with('<') {
                return Err(bad("display name without <URI>"));
            }
            (Some(unescape(quoted.get(..end).unwrap_or_default())), after)
        } else if let Some(open) = text.find('<') {
            let name = text.get(..open).unwrap_or_default().trim();
            // An unquoted display name is `*(token LWS)` (RFC 3261 §25.1): "Bell, Alexander"
            // needs quotes (RFC 4475 §3.1.2.15).
            if !name
                .split([' ', '\t'])
                .all(|word| word.bytes().all(is_token_byte))
            {
                return Err(bad(
                    "unquoted display name with characters a token cannot have",
                ));
            }
            let name = (!name.is_empty()).then(|| name.to_owned());
            (name, text.get(open..).unwrap_or_default())
        } else {
            (None, text)
        };
        if let Some(inner) = rest.strip_prefix('<') {
            let close = inner.find('>').ok_or(bad("unterminated <URI>"))?;
            let uri = inner.get(..close).unwrap_or_default();
            // LAQUOT/RAQUOT put no whitespace inside the brackets (RFC 4475 §3.1.2.14).
            if uri.contains(char::is_whitespace) {
                return Err(bad("whitespace inside <URI>"));
            }
            if uri_scheme(uri).is_none() {
                return Err(bad("the URI has no scheme"));
            }
            let after = inner.get(close + 1..).unwrap_or_default().trim_start();
            if !after.is_empty() && !after.starts_with(';') {
                return Err(bad("text after <URI> that is not a parameter"));
            }
            let params = Params::parse(after).map_err(bad)?;
            return Ok(NameAddr {
                display,
                uri: uri.to_owned(),
                params,
            });
        }
        // addr-spec form: everything after the first ';' is header parameters (RFC 3261 §20.10).
        let (uri, params) = match text.find(';') {
            Some(at) => (
                text.get(..at).unwrap_or_default().trim(),
                Params::parse(text.get(at..).unwrap_or_default()).map_err(bad)?,
            ),
            None => (text, Params::default()),
        };
        if uri.is_empty() || uri.contains(char::is_whitespace) {
            return Err(bad("malformed URI"));
        }
        // RFC 3261 §20: a URI holding a comma, question mark or semicolon must be enclosed in
        // <>; without them the '?' headers cannot be told apart (RFC 4475 §3.1.2.13).
        if uri.contains(['?', ',', '<', '>', '"']) {
            return Err(bad("a URI with headers or commas must be enclosed in <>"));
        }
        if uri_scheme(uri).is_none() {
            return Err(bad("the URI has no scheme"));
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
