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
fn unfold(head: &str) -> impl Iterator<Item = String> + '_ {
    let mut logical: Vec<String> = Vec::new();
    for raw in head.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match logical.last_mut() {
            Some(previous) if line.starts_with([' ', '\t']) && !previous.is_empty() => {
                previous.push(' ');
                previous.push_str(line.trim_start_matches([' ', '\t']));
            }
            _ => logical.push(line.to_owned()),
        }
    }
    logical.into_iter().filter(|l| !l.is_empty())
}

fn parse_start_line(line: &str) -> Result<StartLine, ParseError> {
    if let Some(rest) = line.strip_prefix("SIP/") {
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
    if uri.is_empty() || !uri.contains(':') || uri.chars().any(|c| c.is_control()) {
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
        let n: usize = value.trim().parse().map_err(|_| ParseError::BadHeader {
            name: "Content-Length",
            why: "not a number",
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
