//! Header names (canonical, case-insensitive, compact forms expanded) and the ordered header list.

use std::borrow::Cow;
use std::fmt;

/// A header field name. Compares case-insensitively; compact forms (`v`, `i`, `m`…) are expanded
/// to their full names when parsed, so `Via` and `v` are the same name.
#[derive(Debug, Clone, Eq)]
pub struct HeaderName(Cow<'static, str>);

impl HeaderName {
    pub const VIA: HeaderName = HeaderName::constant("Via");
    pub const FROM: HeaderName = HeaderName::constant("From");
    pub const TO: HeaderName = HeaderName::constant("To");
    pub const CALL_ID: HeaderName = HeaderName::constant("Call-ID");
    pub const CSEQ: HeaderName = HeaderName::constant("CSeq");
    pub const CONTACT: HeaderName = HeaderName::constant("Contact");
    pub const MAX_FORWARDS: HeaderName = HeaderName::constant("Max-Forwards");
    pub const EXPIRES: HeaderName = HeaderName::constant("Expires");
    pub const MIN_EXPIRES: HeaderName = HeaderName::constant("Min-Expires");
    pub const RETRY_AFTER: HeaderName = HeaderName::constant("Retry-After");
    pub const CONTENT_LENGTH: HeaderName = HeaderName::constant("Content-Length");
    pub const CONTENT_TYPE: HeaderName = HeaderName::constant("Content-Type");
    pub const ROUTE: HeaderName = HeaderName::constant("Route");
    pub const RECORD_ROUTE: HeaderName = HeaderName::constant("Record-Route");
    pub const WWW_AUTHENTICATE: HeaderName = HeaderName::constant("WWW-Authenticate");
    pub const PROXY_AUTHENTICATE: HeaderName = HeaderName::constant("Proxy-Authenticate");
    pub const AUTHORIZATION: HeaderName = HeaderName::constant("Authorization");
    pub const PROXY_AUTHORIZATION: HeaderName = HeaderName::constant("Proxy-Authorization");
    pub const USER_AGENT: HeaderName = HeaderName::constant("User-Agent");
    pub const ALLOW: HeaderName = HeaderName::constant("Allow");
    pub const SUPPORTED: HeaderName = HeaderName::constant("Supported");
    pub const REQUIRE: HeaderName = HeaderName::constant("Require");
    pub const SESSION_EXPIRES: HeaderName = HeaderName::constant("Session-Expires");
    pub const MIN_SE: HeaderName = HeaderName::constant("Min-SE");

    const fn constant(name: &'static str) -> HeaderName {
        HeaderName(Cow::Borrowed(name))
    }

    /// Builds a name from wire text, expanding RFC 3261 §7.3.3 (and later RFCs') compact forms.
    pub fn new(name: &str) -> HeaderName {
        let full = match name {
            "i" | "I" => "Call-ID",
            "m" | "M" => "Contact",
            "e" | "E" => "Content-Encoding",
            "l" | "L" => "Content-Length",
            "c" | "C" => "Content-Type",
            "f" | "F" => "From",
            "s" | "S" => "Subject",
            "k" | "K" => "Supported",
            "t" | "T" => "To",
            "v" | "V" => "Via",
            "o" | "O" => "Event",
            "r" | "R" => "Refer-To",
            "b" | "B" => "Referred-By",
            "u" | "U" => "Allow-Events",
            "x" | "X" => "Session-Expires",
            "a" | "A" => "Accept-Contact",
            "j" | "J" => "Reject-Contact",
            "d" | "D" => "Request-Disposition",
            "y" | "Y" => "Identity",
            "n" | "N" => "Identity-Info",
            other => return HeaderName::canonical(other),
        };
        HeaderName(Cow::Borrowed(full))
    }

    fn canonical(name: &str) -> HeaderName {
        const KNOWN: &[HeaderName] = &[
            HeaderName::VIA,
            HeaderName::FROM,
            HeaderName::TO,
            HeaderName::CALL_ID,
            HeaderName::CSEQ,
            HeaderName::CONTACT,
            HeaderName::MAX_FORWARDS,
            HeaderName::EXPIRES,
            HeaderName::MIN_EXPIRES,
            HeaderName::RETRY_AFTER,
            HeaderName::CONTENT_LENGTH,
            HeaderName::CONTENT_TYPE,
            HeaderName::ROUTE,
            HeaderName::RECORD_ROUTE,
            HeaderName::WWW_AUTHENTICATE,
            HeaderName::PROXY_AUTHENTICATE,
            HeaderName::AUTHORIZATION,
            HeaderName::PROXY_AUTHORIZATION,
            HeaderName::USER_AGENT,
            HeaderName::ALLOW,
            HeaderName::SUPPORTED,
            HeaderName::REQUIRE,
            HeaderName::SESSION_EXPIRES,
            HeaderName::MIN_SE,
        ];
        KNOWN
            .iter()
            .find(|known| known.0.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| HeaderName(Cow::Owned(name.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Headers whose value is a comma-separated list that may also be split over several lines
    /// (RFC 3261 §7.3.1). Authentication headers are not: their commas separate parameters.
    pub fn is_list(&self) -> bool {
        const LISTS: &[&str] = &[
            "Via",
            "Contact",
            "Route",
            "Record-Route",
            "Allow",
            "Supported",
            "Require",
            "Proxy-Require",
            "Unsupported",
            "Accept",
            "Accept-Encoding",
            "Accept-Language",
            "Allow-Events",
            "Content-Encoding",
            "Content-Language",
            "In-Reply-To",
            "Path",
            "Service-Route",
        ];
        LISTS.iter().any(|l| l.eq_ignore_ascii_case(&self.0))
    }
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl PartialEq<&HeaderName> for HeaderName {
    fn eq(&self, other: &&HeaderName) -> bool {
        self == *other
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ordered header list of a message. Order matters (Via, Route, Record-Route) and is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<(HeaderName, String)>,
}

impl Headers {
    /// Appends a header line.
    pub fn push(&mut self, name: HeaderName, value: impl Into<String>) {
        self.list.push((name, value.into()));
    }

    /// Inserts a header line before every other (a new topmost Via, say).
    pub fn push_front(&mut self, name: HeaderName, value: impl Into<String>) {
        self.list.insert(0, (name, value.into()));
    }

    /// Replaces every line of `name` with one line holding `value`, keeping the first one's place.
    pub fn set(&mut self, name: HeaderName, value: impl Into<String>) {
        let value = value.into();
        match self.list.iter().position(|(n, _)| *n == name) {
            Some(at) => {
                self.list[at].1 = value;
                let mut index = 0;
                self.list.retain(|(n, _)| {
                    let keep = index <= at || *n != name;
                    index += 1;
                    keep
                });
            }
            None => self.list.push((name, value)),
        }
    }

    /// Removes every line of `name`.
    pub fn remove(&mut self, name: &HeaderName) {
        self.list.retain(|(n, _)| n != name);
    }

    /// The first line's value.
    pub fn get(&self, name: HeaderName) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every line's raw value, in order.
    pub fn get_all(&self, name: HeaderName) -> impl Iterator<Item = &str> {
        self.list
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every element of a list header, across lines and commas, in order, trimmed.
    pub fn values(&self, name: HeaderName) -> impl Iterator<Item = &str> {
        self.get_all(name)
            .flat_map(split_list)
            .filter(|v| !v.is_empty())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &str)> {
        self.list.iter().map(|(n, v)| (n, v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Splits a list header value on commas that are outside quoted strings and `<…>`, trimmed. A
/// value with an unterminated quote stays whole (its parse then fails with a reason).
pub(crate) fn split_list(value: &str) -> impl Iterator<Item = &str> {
    super::split::split_outside_quotes(value, ',', true)
        .unwrap_or_else(|_| vec![value])
        .into_iter()
        .map(str::trim)
}
