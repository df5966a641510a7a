//! Splitting a byte stream into SIP messages (RFC 3261 §18.3) and recognising keep-alives
//! (RFC 5626 §3.5.1).
//!
//! Pure code with no I/O, so it is tested with property tests: any input, split anywhere, gives the
//! same frames and never panics. Over TCP and TLS a message ends where its headers' empty line plus
//! `Content-Length` bytes end; without a `Content-Length` the stream cannot be framed and the
//! connection must be closed. Limits stop a peer from making us buffer forever.

use bytes::{Buf, Bytes, BytesMut};

/// Largest header section accepted on a stream (start line + headers + empty line).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest body accepted on a stream (`Content-Length`).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The client's keep-alive ping (RFC 5626 §3.5.1): a double CRLF.
pub const PING: &[u8] = b"\r\n\r\n";
/// The answer to a ping: a single CRLF.
pub const PONG: &[u8] = b"\r\n";

/// One unit read off a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Exactly one SIP message: start line, headers, empty line and `Content-Length` bytes of body.
    Message(Bytes),
    /// A double CRLF between messages: the peer wants a [`PONG`] back.
    Ping,
    /// A single CRLF between messages: the answer to our ping.
    Pong,
}

/// Why a stream cannot be framed. Each one means the connection must be closed: the position of the
/// next message is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("a SIP message on a stream has no Content-Length header, so its end cannot be found")]
    MissingContentLength,
    #[error("a SIP message has an unreadable Content-Length ({0:?})")]
    InvalidContentLength(String),
    #[error("a SIP message has two different Content-Length headers ({0} and {1})")]
    ConflictingContentLength(usize, usize),
    #[error(
        "a SIP message announces a {0}-byte body; more than {MAX_BODY_BYTES} bytes is refused"
    )]
    BodyTooLarge(u64),
    #[error("a SIP message's headers are longer than {MAX_HEADER_BYTES} bytes")]
    HeadersTooLarge,
}

/// Accumulates bytes from a stream and yields [`Frame`]s.
#[derive(Debug, Default)]
pub struct StreamFramer {
    buf: BytesMut,
    /// Bytes of the pending message already searched for the end of the headers, so a peer that
    /// sends a byte at a time does not make each read rescan everything.
    searched: usize,
    /// Length of the pending message once its headers were read.
    pending_len: Option<usize>,
}

impl StreamFramer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the stream.
    pub fn extend(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes received but not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete frame, `Ok(None)` when more bytes are needed. After an error the stream
    /// is unusable (the caller closes it); calling again returns the same error.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FramingError> {
        loop {
            match self.buf.first() {
                None => return Ok(None),
                Some(b'\r') => {
                    if self.buf.starts_with(PING) {
                        self.buf.advance(PING.len());
                        return Ok(Some(Frame::Ping));
                    }
                    match self.buf.get(1) {
                        // A lone CR: wait to see whether a CRLF follows.
                        None => return Ok(None),
                        Some(b'\n') => {
                            // "\r\n\r" might still become a ping: wait for its last byte.
                            if self.buf.len() == 3 && self.buf[2] == b'\r' {
                                return Ok(None);
                            }
                            self.buf.advance(PONG.len());
                            return Ok(Some(Frame::Pong));
                        }
                        // A stray CR before a start line: ignore it (RFC 3261 §7.5).
                        Some(_) => self.buf.advance(1),
                    }
                }
                // A bare LF between messages is tolerated and ignored, as stray CRLFs are.
                Some(b'\n') => self.buf.advance(1),
                Some(_) => return self.next_message(),
            }
        }
    }

    fn next_message(&mut self) -> Result<Option<Frame>, FramingError> {
        let total = match self.pending_len {
            Some(total) => total,
            None => {
                // Resume a little before where the last search stopped: the empty line may
                // straddle the two reads.
                let from = self.searched.saturating_sub(3);
                let Some(header_end) = find_header_end(&self.buf, from) else {
                    self.searched = self.buf.len();
                    if self.buf.len() > MAX_HEADER_BYTES {
                        return Err(FramingError::HeadersTooLarge);
                    }
                    return Ok(None);
                };
                if header_end > MAX_HEADER_BYTES {
                    return Err(FramingError::HeadersTooLarge);
                }
                let body_len = content_length(&self.buf[..header_end])?
                    .ok_or(FramingError::MissingContentLength)?;
                let total = header_end + body_len;
                self.pending_len = Some(total);
                total
            }
        };
        if self.buf.len() < total {
            return Ok(None);
        }
        self.searched = 0;
        self.pending_len = None;
        Ok(Some(Frame::Message(self.buf.split_to(total).freeze())))
    }
}

/// The index just past the empty line that ends the headers, searching from `from`. Lines end in
/// CRLF; a bare LF is tolerated as many stacks do.
fn find_header_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from.min(buf.len());
    while let Some(pos) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + pos;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

/// Reads `Content-Length` (or compact `l`) from a header section, unfolding continuation lines.
/// `Ok(None)` when absent.
pub fn content_length(headers: &[u8]) -> Result<Option<usize>, FramingError> {
    let mut found: Option<usize> = None;
    for header in logical_lines(headers).skip(1) {
        let Some(colon) = header.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = trim(&header[..colon]);
        if !(name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l")) {
            continue;
        }
        let value = parse_length(&header[colon + 1..])?;
        match found {
            Some(previous) if previous != value => {
                return Err(FramingError::ConflictingContentLength(previous, value))
            }
            _ => found = Some(value),
        }
    }
    Ok(found)
}

/// Parses a Content-Length value: decimal digits, with whitespace (and folding) around them.
fn parse_length(raw: &[u8]) -> Result<usize, FramingError> {
    let digits = trim(raw);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid(raw));
    }
    let value = digits.iter().fold(0u64, |acc, &d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    if value > MAX_BODY_BYTES as u64 {
        return Err(FramingError::BodyTooLarge(value));
    }
    usize::try_from(value).map_err(|_| FramingError::BodyTooLarge(value))
}

fn invalid(raw: &[u8]) -> FramingError {
    let shown: String = String::from_utf8_lossy(trim(raw))
        .chars()
        .take(40)
        .collect();
    FramingError::InvalidContentLength(shown)
}

/// Strips spaces, tabs, CR and LF at both ends.
fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Iterates over header lines, each one joined with its continuation lines (those starting with
/// a space or tab, RFC 3261 §7.3.1). Line terminators stay inside joined lines; callers trim.
fn logical_lines(headers: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = headers;
    std::iter::from_fn(move || loop {
        if rest.is_empty() {
            return None;
        }
        let mut end = 0;
        // Extend over physical lines until the next one does not start with SP/HT.
        loop {
            match rest[end..].iter().position(|&b| b == b'\n') {
                Some(pos) => {
                    end += pos + 1;
                    if !matches!(rest.get(end), Some(b' ' | b'\t')) {
                        break;
                    }
                }
                None => {
                    end = rest.len();
                    break;
                }
            }
        }
        let (line, tail) = rest.split_at(end);
        rest = tail;
        if !trim(line).is_empty() {
            return Some(line);
        }
    })
}

/// Whether a UDP datagram plausibly holds a SIP message: its first line is a request line ending
/// in `SIP/2.0` or a status line starting with it. STUN packets, CRLF keep-alives and other noise
/// that shares the port are dropped without a parse.
pub fn is_plausible_sip_datagram(datagram: &[u8]) -> bool {
    let start = datagram
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(datagram.len());
    let rest = &datagram[start..];
    let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let line = trim(&rest[..line_end]);
    let starts = line.len() >= 8 && line[..8].eq_ignore_ascii_case(b"SIP/2.0 ");
    let ends = line.len() > 8 && line[line.len() - 8..].eq_ignore_ascii_case(b" SIP/2.0");
    starts || ends
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const INVITE: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nv=0\n";
    const OK: &[u8] = b"SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\nl:0\r\n\r\n";

    fn frames(chunks: &[&[u8]]) -> Result<Vec<Frame>, FramingError> {
        let mut f = StreamFramer::new();
        let mut out = Vec::new();
        for c in chunks {
            f.extend(c);
            while let Some(frame) = f.next_frame()? {
                out.push(frame);
            }
        }
        Ok(out)
    }

    fn msg(b: &[u8]) -> Frame {
        Frame::Message(Bytes::copy_from_slice(b))
    }

    #[test]
    fn splits_two_messages_in_one_read() {
        let both = [INVITE, OK].concat();
        assert_eq!(frames(&[&both]), Ok(vec![msg(INVITE), msg(OK)]));
    }

    #[test]
    fn waits_for_the_whole_body() {
        let (a, b) = INVITE.split_at(INVITE.len() - 2);
        let mut f = StreamFramer::new();
        f.extend(a);
        assert_eq!(f.next_frame(), Ok(None));
        f.extend(b);
        assert_eq!(f.next_frame(), Ok(Some(msg(INVITE))));
    }

    #[test]
    fn recognises_ping_and_pong_between_messages() {
        let stream = [b"\r\n\r\n" as &[u8], OK, b"\r\n", OK].concat();
        assert_eq!(
            frames(&[&stream]),
            Ok(vec![Frame::Ping, msg(OK), Frame::Pong, msg(OK)])
        );
    }

    #[test]
    fn a_pong_alone_is_reported_at_once() {
        assert_eq!(frames(&[b"\r\n"]), Ok(vec![Frame::Pong]));
    }

    #[test]
    fn content_length_forms() {
        for (headers, want) in [
            (
                &b"X y SIP/2.0\r\ncontent-LENGTH : 12 \r\n\r\n"[..],
                Some(12),
            ),
            (b"X y SIP/2.0\r\nL:\t3\r\n\r\n", Some(3)),
            (b"X y SIP/2.0\r\nContent-Length:\r\n  7\r\n\r\n", Some(7)),
            (b"X y SIP/2.0\r\nContent-Type: a/b\r\n\r\n", None),
            (
                b"X y SIP/2.0\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
                Some(5),
            ),
            (b"X y SIP/2.0\nContent-Length: 9\n\n", Some(9)),
        ] {
            assert_eq!(
                content_length(headers),
                Ok(want),
                "{:?}",
                String::from_utf8_lossy(headers)
            );
        }
    }

    #[test]
    fn bad_content_lengths_are_errors() {
        assert!(matches!(
            frames(&[b"X y SIP/2.0\r\nContent-Length: 1 2\r\n\r\n"]),
            Err(FramingError::InvalidContentLength(_))
        ));
        assert!(matches!(
            frames(&[b"X y SIP/2.0\r\nContent-Length: -1\r\n\r\n"]),
            Err(FramingError::InvalidContentLength(_))
        ));
        assert_eq!(
            frames(&[b"X y SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\n"]),
            Err(FramingError::ConflictingContentLength(1, 2))
        );
        assert_eq!(
            frames(&[b"X y SIP/2.0\r\nl: 99999999999999999999999\r\n\r\n"]),
            Err(FramingError::BodyTooLarge(u64::MAX))
        );
        assert_eq!(
            frames(&[b"X y SIP/2.0\r\nl: 65537\r\n\r\n"]),
            Err(FramingError::BodyTooLarge(65537))
        );
        assert_eq!(
            frames(&[b"X y SIP/2.0\r\nVia: x\r\n\r\n"]),
            Err(FramingError::MissingContentLength)
        );
    }

    #[test]
    fn endless_headers_are_refused() {
        let mut f = StreamFramer::new();
        f.extend(b"INVITE sip:a SIP/2.0\r\n");
        let line = [b'a'; 1000];
        let mut result = Ok(None);
        for _ in 0..70 {
            f.extend(&line);
            result = f.next_frame();
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(FramingError::HeadersTooLarge));
        assert!(f.buffered() <= MAX_HEADER_BYTES + 1000 + 64);
    }

    #[test]
    fn datagram_plausibility() {
        assert!(is_plausible_sip_datagram(INVITE));
        assert!(is_plausible_sip_datagram(OK));
        assert!(is_plausible_sip_datagram(
            b"\r\nOPTIONS sip:a SIP/2.0\r\n\r\n"
        ));
        assert!(!is_plausible_sip_datagram(b"\r\n\r\n"));
        assert!(!is_plausible_sip_datagram(b""));
        // A STUN binding request header.
        assert!(!is_plausible_sip_datagram(&[
            0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
        ]));
        assert!(!is_plausible_sip_datagram(b"GET / HTTP/1.1\r\n\r\n"));
    }

    fn arb_message() -> impl Strategy<Value = Vec<u8>> {
        (
            prop_oneof![
                Just("REGISTER sip:pbx SIP/2.0".to_string()),
                Just("SIP/2.0 180 Ringing".to_string())
            ],
            prop_oneof![
                Just("Content-Length"),
                Just("content-length"),
                Just("l"),
                Just("L")
            ],
            prop_oneof![Just(":"), Just(" : "), Just(":\r\n  "), Just("\t:\t")],
            proptest::collection::vec(any::<u8>(), 0..200),
            proptest::collection::vec("[A-Za-z-]{1,10}: [ -~]{0,30}", 0..5),
        )
            .prop_map(|(start, name, sep, body, extra)| {
                let mut m = format!("{start}\r\n");
                for h in extra {
                    m.push_str(&h);
                    m.push_str("\r\n");
                }
                m.push_str(&format!("{name}{sep}{}\r\n\r\n", body.len()));
                let mut m = m.into_bytes();
                m.extend_from_slice(&body);
                m
            })
            .prop_filter("extra headers must not carry a length", |m| {
                // Random extra header names could collide with "l"; keep only clean cases.
                matches!(
                    find_header_end(m, 0).map(|e| content_length(&m[..e])),
                    Some(Ok(Some(_)))
                )
            })
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048),
                                    cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
            let mut f = StreamFramer::new();
            let mut pos = 0;
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (data.len() + 1)).collect();
            cuts.sort_unstable();
            cuts.push(data.len());
            for cut in cuts {
                f.extend(&data[pos..cut]);
                pos = cut;
                while let Ok(Some(_)) = f.next_frame() {}
            }
            let _ = is_plausible_sip_datagram(&data);
        }

        #[test]
        fn messages_survive_every_split_point(
            msgs in proptest::collection::vec(arb_message(), 1..4),
            pings in proptest::collection::vec(any::<bool>(), 4),
        ) {
            let mut stream = Vec::new();
            for (i, m) in msgs.iter().enumerate() {
                if pings[i] { stream.extend_from_slice(PING); }
                stream.extend_from_slice(m);
            }
            let whole: Vec<Frame> = frames(&[&stream]).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let want: Vec<Frame> = msgs.iter().map(|m| msg(m)).collect();
            let got: Vec<Frame> = whole.iter().filter(|f| matches!(f, Frame::Message(_))).cloned().collect();
            prop_assert_eq!(&got, &want);
            for cut in 0..=stream.len() {
                let (a, b) = stream.split_at(cut);
                let split = frames(&[a, b]).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let got: Vec<Frame> = split.into_iter().filter(|f| matches!(f, Frame::Message(_))).collect();
                prop_assert_eq!(&got, &want);
            }
        }

        #[test]
        fn byte_at_a_time_equals_one_read(msgs in proptest::collection::vec(arb_message(), 1..3)) {
            let stream = msgs.concat();
            let one = frames(&[&stream]);
            let chunks: Vec<&[u8]> = stream.chunks(1).collect();
            prop_assert_eq!(frames(&chunks), one);
        }
    }
}
