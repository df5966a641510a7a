//! Wire text → [`SipMessage`]. Never panics; every rejection says what was wrong.

use bytes::Bytes;

use super::header::{HeaderName, Headers};
use super::method::Method;
use super::{SipMessage, StartLine};

/// Why a message (or one of its headers) could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message has no end of headers (empty line)")]
    Incomplete,
    #[error("the header section is not valid UTF-8")]
    NotUtf8,
    #[error("malformed start line: {0}")]
    BadStartLine(&'static str),
    #[error("unsupported SIP version {0:?}")]
    BadVersion(String),
    #[error("malformed header line: {0}")]
    BadHeaderLine(String),
    #[error("malformed {name} header: {why}")]
    BadHeader {
        name: &'static str,
        why: &'static str,
    },
    #[error("malformed URI: {0}")]
    BadUri(&'static str),
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    #[error("more than one {0} header")]
    DuplicateHeader(&'static str),
    #[error("Content-Length says {declared} bytes but only {available} follow")]
    Truncated { declared: usize, available: usize },
    #[error("the Request-URI scheme {0:?} is not supported")]
    UnsupportedUriScheme(String),
    #[error("the CSeq method {cseq:?} does not match the request method {method:?}")]
    CSeqMethodMismatch { method: String, cseq: String },
}

impl ParseError {
    /// The status a UAS answers a request with when it is refused for this reason
    /// (RFC 3261 §8.2: 505 for the version, 416 for the URI scheme, 400 for everything else).
    /// Responses that fail are never answered; they are dropped (RFC 3261 §18.1.2).
    pub fn status_code(&self) -> u16 {
        match self {
            ParseError::BadVersion(_) => 505,
            ParseError::UnsupportedUriScheme(_) => 416,
            _ => 400,
        }
    }

    /// The reason phrase to go with [`ParseError::status_code`].
    pub fn reason_phrase(&self) -> &'static str {
        match self.status_code() {
            505 => "Version Not Supported",
            416 => "Unsupported URI Scheme",
            _ => "Bad Request",
        }
    }
}

/// Headers larger than this are refused rather than parsed (a datagram is at most 64 KiB anyway).
const MAX_HEADER_BYTES: usize = 64 * 1024;

pub(super) fn parse_message(bytes: &[u8]) -> Result<SipMessage, ParseError> {
    // RFC 3261 §7.5: CRLFs before the start line are ignored.
    let start = bytes
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .ok_or(ParseError::Incomplete)?;
    let bytes = &bytes[start..];
    let (head_len, body_start) = find_header_end(bytes).ok_or(ParseError::Incomplete)?;
    if head_len > MAX_HEADER_BYTES {
        return Err(ParseError::BadHeaderLine(
            "header section larger than 64 KiB".into(),
        ));
    }
    let head = std::str::from_utf8(&bytes[..head_len]).map_err(|_| ParseError::NotUtf8)?;
    let mut lines = unfold(head);
    let first = lines.next().ok_or(ParseError::BadStartLine("empty"))?;
    let start = parse_start_line(&first)?;
    let mut headers = Headers::default();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ParseError::BadHeaderLine(truncate(&line)))?;
        let name = name.trim_end_matches([' ', '\t']);
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(ParseError::BadHeaderLine(truncate(&line)));
        }
        headers.push(HeaderName::new(name), value.trim_matches([' ', '\t']));
    }
    let available = &bytes[body_start..];
    let body = match content_length(&headers)? {
        Some(declared) if declared > available.len() => {
            return Err(ParseError::Truncated {
                declared,
                available: available.len(),
            })
        }
        // RFC 3261 §18.3: over a datagram, bytes past Content-Length are discarded.
        Some(declared) => &available[..declared],
        None => available,
    };
    Ok(SipMessage {
        start,
        headers,
        body: Bytes::copy_from_slice(body),
    })
}

/// The header lines of `bytes`, skipping the start line and any line that does not parse:
/// enough to address an error response to a request whose start line is malformed.
pub(super) fn parse_headers_leniently(bytes: &[u8]) -> Option<Headers> {
    let start = bytes.iter().position(|b| *b != b'\r' && *b != b'\n')?;
    let bytes = bytes.get(start..)?;
    let (head_len, _) = find_header_end(bytes)?;
    let head = std::str::from_utf8(bytes.get(..head_len.min(MAX_HEADER_BYTES))?).ok()?;
    let mut headers = Headers::default();
    for line in unfold(head).skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim_end_matches([' ', '\t']);
        if !name.is_empty() && name.bytes().all(is_token_byte) {
            headers.push(HeaderName::new(name), value.trim_matches([' ', '\t']));
        }
    }
    Some(headers)
}

/// Length of the header section and where the body starts. Accepts bare LF line ends too,
/// as many stacks do, since rejecting them helps nobody.
fn find_header_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            if bytes.get(i + 1) == Some(&b'\n') {
                return Some((i, i + 2));
            }
            if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') {
                return Some((i, i + 3));
            }
        }
        i += 1;
    }
    None
}

/// Splits the header section into logical lines, joining folded continuation lines
/// (RFC 3261 §7.3.1: a line starting with whitespace continues the previous one).
fn unfold(head: &str) -> impl Iterator<Item = String> {
    let mut logical: Vec<String> = Vec::new();
    for raw in head.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        // The start line cannot be continued: a line that starts with whitespace right after
        // it is kept as its own (malformed) header line and refused below.
        let can_fold = logical.len() > 1;
        match logical.last_mut() {
            Some(previous) if line.starts_with([' ', '\t']) && !previous.is_empty() && can_fold => {
                previous.push(' ');
                previous.push_str(line.trim_start_matches([' ', '\t']));
            }
            _ => logical.push(line.to_owned()),
        }
    }
    logical.into_iter().filter(|l| !l.is_empty())
}

fn parse_start_line(line: &str) -> Result<StartLine, ParseError> {
    // SIP-Version is case-insensitive on receipt (RFC 3261 §7.1), though always sent upper-case.
    let is_response = line
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
    if let Some(rest) = line.get(4..).filter(|_| is_response) {
        let mut parts = rest.splitn(3, ' ');
        let version = parts.next().unwrap_or_default();
        if version != "2.0" {
            return Err(ParseError::BadVersion(format!("SIP/{version}")));
        }
        let code = parts
            .next()
            .ok_or(ParseError::BadStartLine("no status code"))?;
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::BadStartLine("status code is not three digits"));
        }
        let code: u16 = code
            .parse()
            .map_err(|_| ParseError::BadStartLine("status code"))?;
        if !(100..=699).contains(&code) {
            return Err(ParseError::BadStartLine("status code outside 100-699"));
        }
        let reason = parts.next().unwrap_or_default().to_owned();
        return Ok(StartLine::Response { code, reason });
    }
    // Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces.
    let parts: Vec<&str> = line.split(' ').collect();
    let [method, uri, version] = parts.as_slice() else {
        return Err(ParseError::BadStartLine(
            "a request line is METHOD SP URI SP SIP/2.0",
        ));
    };
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(ParseError::BadStartLine("malformed method"));
    }
    if uri.is_empty() || !uri.contains(':') || uri.chars().any(|c| c.is_control() || !c.is_ascii())
    {
        return Err(ParseError::BadStartLine("malformed Request-URI"));
    }
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return Err(ParseError::BadVersion((*version).to_owned()));
    }
    Ok(StartLine::Request {
        method: Method::from_token(method),
        uri: (*uri).to_owned(),
    })
}

fn content_length(headers: &Headers) -> Result<Option<usize>, ParseError> {
    let mut declared = None;
    for value in headers.get_all(HeaderName::CONTENT_LENGTH) {
        let value = value.trim();
        // 1*DIGIT only: `parse` alone would take "+5", and "-999" must be refused (RFC 4475 §3.1.2.3).
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::BadHeader {
                name: "Content-Length",
                why: "not a number",
            });
        }
        let n: usize = value.parse().map_err(|_| ParseError::BadHeader {
            name: "Content-Length",
            why: "too large",
        })?;
        if declared.is_some_and(|d| d != n) {
            return Err(ParseError::DuplicateHeader("Content-Length"));
        }
        declared = Some(n);
    }
    Ok(declared)
}

/// RFC 3261 `token` characters.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

fn truncate(line: &str) -> String {
    line.chars().take(80).collect()
}
