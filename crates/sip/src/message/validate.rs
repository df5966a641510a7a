//! Whether a parsed message may be processed, and if not, how a UAS answers it.
//!
//! [`SipMessage::parse`] only checks framing and the grammar of the start line and header lines;
//! it keeps every header raw. [`SipMessage::validate`] then checks what RFC 3261 requires of any
//! element before acting on a message (mandatory and single-valued headers, CSeq, Max-Forwards,
//! Request-URI, the syntax of the headers a UA reads). [`Verdict`] adds what a user agent server
//! decides on top (RFC 3261 §8.2: method, Require, Content-Type, Accept), so the caller gets the
//! exact status to answer with. The torture messages of RFC 4475 and RFC 5118 are classified by
//! exactly this code (`crates/sip/tests/torture.rs`).

use super::header::{split_list, HeaderName};
use super::method::Method;
use super::parse::ParseError;
use super::typed::{NameAddr, Via};
use super::uri::{uri_scheme, SipUri};
use super::{SipMessage, StartLine};

/// The RFC 3261 magic cookie that starts every RFC 3261 branch (§8.1.1.7).
const MAGIC_COOKIE: &str = "z9hG4bK";

/// What a user agent should do with a message it received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Well-formed and acceptable: hand it to the transaction layer.
    Accept,
    /// A request to refuse with [`Rejection::status`]. ACKs are never answered (RFC 3261
    /// §17.2.1), so an ACK that would be rejected is a [`Verdict::Discard`] instead.
    Reject(Rejection),
    /// Drop it without an answer: a malformed response (RFC 3261 §18.1.2), or an ACK.
    Discard(ParseError),
}

/// A request the UAS answers with an error status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub status: u16,
    pub reason: &'static str,
    pub cause: RejectCause,
}

/// Why a request is refused; each variant names the header the response must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectCause {
    /// 400, 416 or 505: the message itself is wrong.
    Malformed(ParseError),
    /// 501: the method is not implemented; answer with `Allow` (RFC 3261 §8.2.1).
    MethodNotImplemented(String),
    /// 420: option tags in `Require` we do not support; list them in `Unsupported` (§8.2.2.3).
    UnsupportedExtensions(Vec<String>),
    /// 415: a body of a type we do not understand; answer with `Accept` (§8.2.3).
    UnsupportedMediaType(String),
    /// 406: the request's `Accept` excludes the body type our answer would carry (§21.4.7).
    NotAcceptable { answer_type: String },
}

impl Rejection {
    fn new(status: u16, reason: &'static str, cause: RejectCause) -> Rejection {
        Rejection {
            status,
            reason,
            cause,
        }
    }

    fn malformed(error: ParseError) -> Rejection {
        Rejection::new(
            error.status_code(),
            error.reason_phrase(),
            RejectCause::Malformed(error),
        )
    }
}

/// What this user agent implements, for the checks a UAS makes after the message is well-formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaPolicy {
    /// Methods that get past 501 (RFC 3261 §8.2.1).
    pub methods: Vec<Method>,
    /// Option tags this UA supports; any other in `Require` gets 420 (§8.2.2.3).
    pub extensions: Vec<String>,
    /// Body media types this UA understands (lower case `type/subtype`); others get 415.
    pub content_types: Vec<String>,
    /// The media type of the bodies in our answers to INVITE (SDP); a request whose `Accept`
    /// excludes it gets 406.
    pub invite_answer_type: String,
}

impl Default for UaPolicy {
    /// Every method this crate names, session timers, and the body types a softphone reads.
    fn default() -> UaPolicy {
        UaPolicy {
            methods: vec![
                Method::Invite,
                Method::Ack,
                Method::Bye,
                Method::Cancel,
                Method::Register,
                Method::Options,
                Method::Info,
                Method::Update,
                Method::Prack,
                Method::Subscribe,
                Method::Notify,
                Method::Refer,
                Method::Message,
                Method::Publish,
            ],
            // RFC 4028 session timers (crate::invite): a peer may Require them.
            extensions: vec!["timer".to_owned()],
            content_types: [
                "application/sdp",
                "multipart/mixed",
                "text/plain",
                "message/sipfrag",
                // DTMF in INFO (crate::invite passes the digits up).
                "application/dtmf-relay",
                "application/dtmf",
            ]
            .map(str::to_owned)
            .to_vec(),
            invite_answer_type: "application/sdp".to_owned(),
        }
    }
}

impl Verdict {
    /// Parses `bytes` (one datagram or framed stream message) and decides what to do with it.
    /// Never panics, whatever the bytes.
    pub fn of(bytes: &[u8], policy: &UaPolicy) -> Verdict {
        match SipMessage::parse(bytes) {
            Ok(message) => message.verdict(policy),
            Err(error) if looks_like_response(bytes) => Verdict::Discard(error),
            // A request whose start line could not be read: still answered, as far as the
            // headers allow a response to be built (see `SipMessage::error_response`).
            Err(error) => Verdict::Reject(Rejection::malformed(error)),
        }
    }

    pub fn is_accept(&self) -> bool {
        matches!(self, Verdict::Accept)
    }

    /// The status to answer with, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Verdict::Reject(rejection) => Some(rejection.status),
            Verdict::Accept | Verdict::Discard(_) => None,
        }
    }
}

fn looks_like_response(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(bytes.len());
    bytes
        .get(start..start + 4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
}

impl SipMessage {
    /// Checks what RFC 3261 requires before any element acts on a message: To, From, Call-ID,
    /// CSeq and Via present (To, From, Call-ID, CSeq, Max-Forwards once each), each of them and
    /// Contact, Route and Record-Route syntactically valid, numbers in range, CSeq's method equal
    /// to the request's, a Request-URI that is an absolute URI without headers, and a scheme we
    /// can route (`sip`/`sips`; anything else is [`ParseError::UnsupportedUriScheme`], 416).
    /// Max-Forwards may be missing: RFC 2543 peers omit it (RFC 4475 §3.4.1).
    pub fn validate(&self) -> Result<(), ParseError> {
        if let StartLine::Request { uri, .. } = &self.start {
            check_request_uri(uri)?;
        }
        let to = self.to()?;
        check_sip_uri(&to)?;
        let from = self.from()?;
        check_sip_uri(&from)?;
        let call_id = self.call_id()?;
        if call_id.is_empty() || call_id.contains(char::is_whitespace) {
            return Err(ParseError::BadHeader {
                name: "Call-ID",
                why: "empty or holds whitespace",
            });
        }
        let cseq = self.cseq()?;
        if let StartLine::Request { method, .. } = &self.start {
            if *method != cseq.method {
                return Err(ParseError::CSeqMethodMismatch {
                    method: method.to_string(),
                    cseq: cseq.method.to_string(),
                });
            }
        }
        self.check_vias()?;
        self.max_forwards()?;
        self.check_contacts()?;
        for (name, label) in [
            (HeaderName::ROUTE, "Route"),
            (HeaderName::RECORD_ROUTE, "Record-Route"),
        ] {
            for element in self.headers.get_all(name).flat_map(split_list) {
                let route = NameAddr::parse(element).map_err(|_| ParseError::BadHeader {
                    name: label,
                    why: "not a <URI> list",
                })?;
                check_sip_uri(&route)?;
            }
        }
        self.check_warnings()?;
        if !self.body.is_empty() && self.headers.get(HeaderName::CONTENT_TYPE).is_none() {
            // RFC 3261 §20.15: a non-empty body must say what it is.
            return Err(ParseError::MissingHeader("Content-Type"));
        }
        Ok(())
    }

    /// Max-Forwards, if present: one header, 1*DIGIT, at most 255 (RFC 3261 §20.22; RFC 4475
    /// §3.1.2.4 calls 300 out of range).
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        let mut values = self.headers.get_all(HeaderName::MAX_FORWARDS);
        let Some(first) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(ParseError::DuplicateHeader("Max-Forwards"));
        }
        let text = first.trim();
        let bad = |why| ParseError::BadHeader {
            name: "Max-Forwards",
            why,
        };
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("not a number"));
        }
        text.parse::<u8>()
            .map(Some)
            .map_err(|_| bad("larger than 255"))
    }

    /// The option tags of every `Require` header, in order.
    pub fn required_extensions(&self) -> impl Iterator<Item = &str> {
        self.headers.values(HeaderName::REQUIRE)
    }

    /// Validates, then applies `policy` (RFC 3261 §8.2 order: method, Require, Content-Type,
    /// then Accept for INVITE).
    pub fn verdict(&self, policy: &UaPolicy) -> Verdict {
        let is_ack = self.method() == Some(&Method::Ack);
        let refuse = |rejection: Rejection| {
            if is_ack {
                match rejection.cause {
                    RejectCause::Malformed(error) => Verdict::Discard(error),
                    _ => Verdict::Accept,
                }
            } else {
                Verdict::Reject(rejection)
            }
        };
        if let Err(error) = self.validate() {
            return match self.start {
                StartLine::Response { .. } => Verdict::Discard(error),
                StartLine::Request { .. } => refuse(Rejection::malformed(error)),
            };
        }
        let Some(method) = self.method() else {
            return Verdict::Accept;
        };
        if !policy.methods.contains(method) {
            return refuse(Rejection::new(
                501,
                "Not Implemented",
                RejectCause::MethodNotImplemented(method.to_string()),
            ));
        }
        if !matches!(method, Method::Ack | Method::Cancel) {
            let unsupported: Vec<String> = self
                .required_extensions()
                .filter(|tag| {
                    !policy
                        .extensions
                        .iter()
                        .any(|e| e.eq_ignore_ascii_case(tag))
                })
                .map(str::to_owned)
                .collect();
            if !unsupported.is_empty() {
                return refuse(Rejection::new(
                    420,
                    "Bad Extension",
                    RejectCause::UnsupportedExtensions(unsupported),
                ));
            }
        }
        if !self.body.is_empty() {
            let media_type = self
                .headers
                .get(HeaderName::CONTENT_TYPE)
                .map(media_type)
                .unwrap_or_default();
            if !policy.content_types.contains(&media_type) {
                return refuse(Rejection::new(
                    415,
                    "Unsupported Media Type",
                    RejectCause::UnsupportedMediaType(media_type),
                ));
            }
        }
        if *method == Method::Invite && !self.accepts(&policy.invite_answer_type) {
            return refuse(Rejection::new(
                406,
                "Not Acceptable",
                RejectCause::NotAcceptable {
                    answer_type: policy.invite_answer_type.clone(),
                },
            ));
        }
        Verdict::Accept
    }

    /// Whether the request's `Accept` allows a body of `media_type` (no Accept header means
    /// application/sdp only, RFC 3261 §20.1; we only ask for the type we send).
    fn accepts(&self, wanted: &str) -> bool {
        let mut lines = self.headers.get_all(HeaderName::new("Accept")).peekable();
        if lines.peek().is_none() {
            return true;
        }
        let (wanted_type, _) = wanted.split_once('/').unwrap_or((wanted, ""));
        lines.flat_map(split_list).any(|range| {
            let range = media_type(range);
            range == wanted || range == "*/*" || range == format!("{wanted_type}/*")
        })
    }

    fn check_vias(&self) -> Result<(), ParseError> {
        let mut any = false;
        for (index, element) in self
            .headers
            .get_all(HeaderName::VIA)
            .flat_map(split_list)
            .enumerate()
        {
            // `Headers::values` skips empty list elements; here ",," is an error (RFC 4475
            // §3.1.2.1).
            if element.is_empty() {
                return Err(ParseError::BadHeader {
                    name: "Via",
                    why: "empty element in the Via list",
                });
            }
            let via = Via::parse(element)?;
            if let Some(received) = via.received() {
                received?;
            }
            if index == 0 && via.branch() == Some(MAGIC_COOKIE) {
                // The cookie promises an RFC 3261 transaction id and then gives none; RFC 4475
                // §3.2.1 lets us refuse rather than guess.
                return Err(ParseError::BadHeader {
                    name: "Via",
                    why: "branch is the magic cookie without a transaction id",
                });
            }
            any = true;
        }
        if !any {
            return Err(ParseError::MissingHeader("Via"));
        }
        Ok(())
    }

    fn check_contacts(&self) -> Result<(), ParseError> {
        let elements: Vec<&str> = self
            .headers
            .get_all(HeaderName::CONTACT)
            .flat_map(split_list)
            .collect();
        let bad = |why| ParseError::BadHeader {
            name: "Contact",
            why,
        };
        if elements.contains(&"*") && elements.len() > 1 {
            return Err(bad("'*' mixed with addresses"));
        }
        for element in elements {
            if element.is_empty() {
                return Err(bad("empty element in the Contact list"));
            }
            if element != "*" {
                let contact = NameAddr::parse(element)?;
                check_sip_uri(&contact)?;
                if let Some(q) = contact.params.value("q") {
                    if !is_qvalue(q) {
                        return Err(bad("q is not a qvalue between 0 and 1"));
                    }
                }
            }
        }
        Ok(())
    }

    fn check_warnings(&self) -> Result<(), ParseError> {
        for warning in self
            .headers
            .get_all(HeaderName::new("Warning"))
            .flat_map(split_list)
        {
            let code = warning.split_whitespace().next().unwrap_or_default();
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ParseError::BadHeader {
                    name: "Warning",
                    why: "warn-code is not three digits",
                });
            }
        }
        Ok(())
    }
}

/// The Request-URI must be an absolute URI (`<sip:…>` is not, RFC 4475 §3.1.2.7); a sip/sips
/// one must parse and carry no headers (RFC 3261 §19.1.5 table; RFC 4475 §3.1.2.11); any
/// other well-formed scheme is one we cannot serve: 416 (RFC 3261 §8.2.2.1).
fn check_request_uri(uri: &str) -> Result<(), ParseError> {
    let scheme =
        uri_scheme(uri).ok_or(ParseError::BadUri("the Request-URI is not an absolute URI"))?;
    if !scheme.eq_ignore_ascii_case("sip") && !scheme.eq_ignore_ascii_case("sips") {
        return Err(ParseError::UnsupportedUriScheme(scheme.to_owned()));
    }
    let parsed = SipUri::parse(uri)?;
    if parsed.headers.is_some() {
        return Err(ParseError::BadUri(
            "headers are not allowed in a Request-URI",
        ));
    }
    Ok(())
}

/// A sip/sips URI inside a name-addr must parse; other schemes are opaque to us and allowed
/// (RFC 4475 §3.3.4).
fn check_sip_uri(address: &NameAddr) -> Result<(), ParseError> {
    let scheme = uri_scheme(&address.uri).unwrap_or_default();
    if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        address.sip_uri()?;
    }
    Ok(())
}

/// `type/subtype` of a Content-Type or Accept entry, lower-cased, parameters dropped.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// RFC 3261 qvalue: `0[.ddd]` or `1[.000]`.
fn is_qvalue(text: &str) -> bool {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = fraction.len() <= 3 && fraction.bytes().all(|b| b.is_ascii_digit());
    match whole {
        "0" => digits,
        "1" => digits && fraction.bytes().all(|b| b == b'0'),
        _ => false,
    }
}
