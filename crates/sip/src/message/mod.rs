//! The SIP message facade: the one type the rest of Dialtone uses for SIP requests and responses.
//!
//! A message keeps its headers as an ordered list of (name, raw value) pairs, exactly as received,
//! and parses typed values (Via, CSeq, From/To, Contact, URIs) on demand. Keeping the raw list is
//! what lets a proxy-facing UA echo headers byte for byte (Via, Record-Route) and what keeps the
//! parser behind this facade swappable: nothing outside `message` sees the grammar.

mod header;
mod method;
mod params;
mod parse;
pub(crate) mod split;
mod typed;
mod uri;
mod validate;

use std::fmt::Write as _;

use bytes::Bytes;

pub use header::{HeaderName, Headers};
pub use method::Method;
pub use params::Params;
pub use parse::ParseError;
pub use typed::{CSeq, NameAddr, Via};
pub use uri::{Host, Scheme, SipUri};
pub use validate::{RejectCause, Rejection, UaPolicy, Verdict};

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Method, uri: String },
    Response { code: u16, reason: String },
}

/// A SIP request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage {
    pub start: StartLine,
    pub headers: Headers,
    pub body: Bytes,
}

impl SipMessage {
    /// Parses one complete message (a datagram, a framed stream message or a WebSocket frame).
    pub fn parse(bytes: &[u8]) -> Result<SipMessage, ParseError> {
        parse::parse_message(bytes)
    }

    /// A new request with no headers yet.
    pub fn request(method: Method, uri: impl Into<String>) -> SipMessage {
        SipMessage {
            start: StartLine::Request {
                method,
                uri: uri.into(),
            },
            headers: Headers::default(),
            body: Bytes::new(),
        }
    }

    /// A new response with no headers yet; see [`SipMessage::response_to`] for the usual case.
    pub fn response(code: u16, reason: impl Into<String>) -> SipMessage {
        SipMessage {
            start: StartLine::Response {
                code,
                reason: reason.into(),
            },
            headers: Headers::default(),
            body: Bytes::new(),
        }
    }

    /// A response to `request` carrying the headers RFC 3261 §8.2.6.2 says to copy
    /// (Via, From, To, Call-ID, CSeq; Record-Route for dialog-creating answers is the caller's call).
    pub fn response_to(request: &SipMessage, code: u16, reason: &str) -> SipMessage {
        let mut response = SipMessage::response(code, reason);
        for name in [
            HeaderName::VIA,
            HeaderName::FROM,
            HeaderName::TO,
            HeaderName::CALL_ID,
            HeaderName::CSEQ,
        ] {
            for value in request.headers.get_all(name.clone()) {
                response.headers.push(name.clone(), value);
            }
        }
        response
    }

    /// The response a UAS sends to refuse a request it could not accept, built from the raw
    /// bytes so that it works even when the start line did not parse (RFC 4475 §3.1.2.8-10:
    /// the headers are fine, only the Request-Line is not). `None` when the headers needed to
    /// address a response (Via, From, To, Call-ID, CSeq) cannot be found, or for an ACK, or
    /// when the bytes are a response: then the message is dropped.
    pub fn error_response(bytes: &[u8], rejection: &Rejection) -> Option<SipMessage> {
        let request = parse::parse_headers_leniently(bytes)?;
        let cseq = request.get(HeaderName::CSEQ)?;
        if cseq.split_whitespace().nth(1) == Some("ACK") {
            return None;
        }
        let mut response = SipMessage::response(rejection.status, rejection.reason);
        for name in [
            HeaderName::VIA,
            HeaderName::FROM,
            HeaderName::TO,
            HeaderName::CALL_ID,
            HeaderName::CSEQ,
        ] {
            let mut any = false;
            for value in request.get_all(name.clone()) {
                response.headers.push(name.clone(), value);
                any = true;
            }
            if !any {
                return None;
            }
        }
        match &rejection.cause {
            RejectCause::UnsupportedExtensions(tags) => {
                response
                    .headers
                    .push(HeaderName::new("Unsupported"), tags.join(", "));
            }
            RejectCause::Malformed(error) => {
                // RFC 3261 §21.4.1: the reason phrase should say what was wrong; a Warning
                // (399, miscellaneous) carries the detail without changing the phrase.
                let detail = error.to_string().replace(['"', '\\'], "'");
                response.headers.push(
                    HeaderName::new("Warning"),
                    format!("399 dialtone \"{detail}\""),
                );
            }
            RejectCause::MethodNotImplemented(_)
            | RejectCause::UnsupportedMediaType(_)
            | RejectCause::NotAcceptable { .. } => {}
        }
        Some(response)
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The request method, or `None` for a response.
    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI as written, or `None` for a response.
    pub fn request_uri(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The status code, or `None` for a request.
    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }

    /// The reason phrase, or `None` for a request.
    pub fn reason(&self) -> Option<&str> {
        match &self.start {
            StartLine::Response { reason, .. } => Some(reason),
            StartLine::Request { .. } => None,
        }
    }

    pub fn call_id(&self) -> Result<&str, ParseError> {
        self.headers
            .get(HeaderName::CALL_ID)
            .map(str::trim)
            .ok_or(ParseError::MissingHeader("Call-ID"))
    }

    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        CSeq::parse(self.single(HeaderName::CSEQ, "CSeq")?)
    }

    /// The topmost Via (ours, on a response to our request).
    pub fn top_via(&self) -> Result<Via, ParseError> {
        let first = self
            .headers
            .values(HeaderName::VIA)
            .next()
            .ok_or(ParseError::MissingHeader("Via"))?;
        Via::parse(first)
    }

    /// Every Via value, topmost first.
    pub fn vias(&self) -> Result<Vec<Via>, ParseError> {
        self.headers
            .values(HeaderName::VIA)
            .map(Via::parse)
            .collect()
    }

    pub fn from(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(self.single(HeaderName::FROM, "From")?)
    }

    pub fn to(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(self.single(HeaderName::TO, "To")?)
    }

    /// Contact values; `Contact: *` yields an empty list and `contact_is_star()` is true.
    pub fn contacts(&self) -> Result<Vec<NameAddr>, ParseError> {
        self.headers
            .values(HeaderName::CONTACT)
            .filter(|v| v.trim() != "*")
            .map(NameAddr::parse)
            .collect()
    }

    pub fn contact_is_star(&self) -> bool {
        self.headers
            .values(HeaderName::CONTACT)
            .any(|v| v.trim() == "*")
    }

    /// A header holding one unsigned number of seconds (Expires, Min-Expires, Retry-After's first token).
    pub fn seconds(&self, name: HeaderName) -> Option<u32> {
        let value = self.headers.get(name)?;
        let token = value
            .split(|c: char| c == ';' || c == '(' || c.is_whitespace())
            .find(|t| !t.is_empty())?;
        token.parse().ok()
    }

    /// Serialises the message, setting Content-Length from the body.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = String::with_capacity(512 + self.body.len());
        match &self.start {
            StartLine::Request { method, uri } => {
                let _ = write!(out, "{method} {uri} SIP/2.0\r\n");
            }
            StartLine::Response { code, reason } => {
                let _ = write!(out, "SIP/2.0 {code} {reason}\r\n");
            }
        }
        for (name, value) in self.headers.iter() {
            if *name == HeaderName::CONTENT_LENGTH {
                continue;
            }
            let _ = write!(out, "{}: {}\r\n", name.as_str(), value);
        }
        let _ = write!(out, "Content-Length: {}\r\n\r\n", self.body.len());
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        Bytes::from(bytes)
    }

    fn single(&self, name: HeaderName, label: &'static str) -> Result<&str, ParseError> {
        let mut values = self.headers.get_all(name);
        let first = values.next().ok_or(ParseError::MissingHeader(label))?;
        if values.next().is_some() {
            return Err(ParseError::DuplicateHeader(label));
        }
        Ok(first)
    }
}

#[cfg(test)]
mod tests;
