//! SIP and SIPS URIs (RFC 3261 §19.1), with IPv6 references (RFC 5118).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use super::params::Params;
use super::parse::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Sip,
    Sips,
}

/// The host part: a name or an address. IPv6 addresses print in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Name(String),
    Ip(IpAddr),
}

impl Host {
    pub fn parse(text: &str) -> Result<Host, ParseError> {
        if let Some(inner) = text.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or(ParseError::BadUri("unterminated IPv6 reference"))?;
            return parse_ipv6(inner)
                .map(|ip| Host::Ip(IpAddr::V6(ip)))
                .ok_or(ParseError::BadUri("malformed IPv6 reference"));
        }
        if text.is_empty() {
            return Err(ParseError::BadUri("empty host"));
        }
        if text.contains(':') {
            // RFC 5118 §4.1: an IPv6 address in a URI must be bracketed.
            return Err(ParseError::BadUri("IPv6 address without brackets"));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Host::Ip(ip));
        }
        if !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(ParseError::BadUri(
                "host has characters a hostname cannot have",
            ));
        }
        Ok(Host::Name(text.to_owned()))
    }
}

/// An IPv6 address as SIP writes it. Besides RFC 4291 text this tolerates the three-colon form
/// `2001:db8:::192.0.2.1` that RFC 3261's IPv6 ABNF (inherited from RFC 2373) allows right
/// before an embedded IPv4 address: RFC 5118 §4.10 says implementations must tolerate it. The
/// tolerance is that one position only; `2001:db8:::1` stays malformed.
pub(crate) fn parse_ipv6(text: &str) -> Option<Ipv6Addr> {
    if let Ok(ip) = text.parse::<Ipv6Addr>() {
        return Some(ip);
    }
    let (head, v4) = text.rsplit_once(":::")?;
    if head.contains("::") || v4.parse::<std::net::Ipv4Addr>().is_err() {
        return None;
    }
    format!("{head}::{v4}").parse().ok()
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

/// `sip:user:password@host:port;params?headers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    pub scheme: Scheme,
    /// The user part, still %-escaped as written.
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: Host,
    pub port: Option<u16>,
    pub params: Params,
    /// The `?a=b&c=d` part without the `?`, as written.
    pub headers: Option<String>,
}

impl SipUri {
    pub fn new(scheme: Scheme, user: Option<&str>, host: Host, port: Option<u16>) -> SipUri {
        SipUri {
            scheme,
            user: user.map(str::to_owned),
            password: None,
            host,
            port,
            params: Params::default(),
            headers: None,
        }
    }

    pub fn parse(text: &str) -> Result<SipUri, ParseError> {
        let text = text.trim();
        let (scheme, rest) = match text.split_once(':') {
            Some((s, rest)) if s.eq_ignore_ascii_case("sip") => (Scheme::Sip, rest),
            Some((s, rest)) if s.eq_ignore_ascii_case("sips") => (Scheme::Sips, rest),
            _ => return Err(ParseError::BadUri("not a sip: or sips: URI")),
        };
        if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ParseError::BadUri("whitespace inside a URI"));
        }
        // The user part may hold ';', '?', ',' and ':' (RFC 3261 user-unreserved; RFC 4475
        // §3.1.1.2 and §3.1.1.9 use them), but '@' appears nowhere after the userinfo: it is not
        // in paramchar nor in hvalue. So the last '@' ends the userinfo, and only then are the
        // host's parameters and headers split off.
        let (userinfo, hostpart) = match rest.rfind('@') {
            Some(at) => (rest.get(..at), rest.get(at + 1..).unwrap_or_default()),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(info) => {
                let (user, password) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                if user.is_empty() {
                    return Err(ParseError::BadUri("empty user part"));
                }
                check_chars(user, is_user_char, "character not allowed in the user part")?;
                if let Some(password) = password {
                    check_chars(
                        password,
                        is_password_char,
                        "character not allowed in the password",
                    )?;
                }
                (Some(user.to_owned()), password.map(str::to_owned))
            }
            None => (None, None),
        };
        let (hostpart, headers) = match hostpart.split_once('?') {
            Some((h, hdrs)) => {
                check_chars(hdrs, is_header_char, "character not allowed in URI headers")?;
                (h, Some(hdrs.to_owned()))
            }
            None => (hostpart, None),
        };
        // Params::parse takes the text with its leading ';' so that ";;" stays an empty parameter.
        let (hostport, params) = match hostpart.find(';') {
            Some(at) => (
                hostpart.get(..at).unwrap_or_default(),
                Params::parse(hostpart.get(at..).unwrap_or_default())
                    .map_err(ParseError::BadUri)?,
            ),
            None => (hostpart, Params::default()),
        };
        for (name, value) in params.iter() {
            check_chars(
                name,
                is_param_char,
                "character not allowed in a URI parameter",
            )?;
            if let Some(value) = value {
                check_chars(
                    value,
                    is_param_char,
                    "character not allowed in a URI parameter",
                )?;
            }
        }
        let (host, port) = split_host_port(hostport)?;
        Ok(SipUri {
            scheme,
            user,
            password,
            host: Host::parse(host)?,
            port,
            params,
            headers,
        })
    }

    /// The `transport=` parameter, lower-cased.
    pub fn transport_param(&self) -> Option<String> {
        self.params.value("transport").map(str::to_ascii_lowercase)
    }
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.scheme {
            Scheme::Sip => "sip:",
            Scheme::Sips => "sips:",
        })?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(password) = &self.password {
                write!(f, ":{password}")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)?;
        if let Some(headers) = &self.headers {
            write!(f, "?{headers}")?;
        }
        Ok(())
    }
}

/// Splits `host:port`, `[v6]:port`, `host`.
pub(crate) fn split_host_port(text: &str) -> Result<(&str, Option<u16>), ParseError> {
    let text = text.trim();
    let (host, port) = if text.starts_with('[') {
        match text.find(']') {
            Some(end) => {
                let (host, rest) = text.split_at(end + 1);
                match rest.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None if rest.is_empty() => (host, None),
                    None => return Err(ParseError::BadUri("text after an IPv6 reference")),
                }
            }
            None => return Err(ParseError::BadUri("unterminated IPv6 reference")),
        }
    } else if text.matches(':').count() == 1 {
        let (host, port) = text
            .split_once(':')
            .ok_or(ParseError::BadUri("bad host:port"))?;
        (host, Some(port))
    } else {
        (text, None)
    };
    let port = match port {
        Some(p) => Some(
            p.trim()
                .parse::<u16>()
                .map_err(|_| ParseError::BadUri("port is not a number from 0 to 65535"))?,
        ),
        None => None,
    };
    Ok((host.trim(), port))
}

/// The scheme of an absolute URI (`scheme ":" …`), if `text` starts with a well-formed one
/// (RFC 3261 §25.1: `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`).
pub(crate) fn uri_scheme(text: &str) -> Option<&str> {
    let (scheme, rest) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty();
    well_formed.then_some(scheme)
}

/// Checks every character with `allowed` and every `%` for two hex digits.
fn check_chars(text: &str, allowed: fn(char) -> bool, why: &'static str) -> Result<(), ParseError> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(ParseError::BadUri("malformed %-escape"));
            }
            i += 3;
        } else {
            if !allowed(char::from(b)) || !b.is_ascii() {
                return Err(ParseError::BadUri(why));
            }
            i += 1;
        }
    }
    Ok(())
}

/// RFC 3261 `unreserved`: alphanumerics and `mark`.
fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c)
}

fn is_user_char(c: char) -> bool {
    is_unreserved(c) || "&=+$,;?/".contains(c)
}

fn is_password_char(c: char) -> bool {
    is_unreserved(c) || "&=+$,".contains(c)
}

/// `paramchar`: unreserved plus `param-unreserved`.
fn is_param_char(c: char) -> bool {
    is_unreserved(c) || "[]/:&+$".contains(c)
}

/// `hname`/`hvalue` characters plus the `=` and `&` that join them.
fn is_header_char(c: char) -> bool {
    is_unreserved(c) || "[]/?:+$=&".contains(c)
}
