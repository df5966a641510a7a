//! DTMF carried in SIP INFO bodies instead of RTP: `application/dtmf-relay` (Cisco's
//! `Signal=5` / `Duration=160` lines, widely copied) and `application/dtmf` (the bare key).
//! Pure functions: the SIP side hands over the Content-Type and body.

use std::time::Duration;

use super::{DtmfDigit, DtmfError};

/// A key press from a SIP INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipInfoDtmf {
    pub digit: DtmfDigit,
    /// `Duration=` in milliseconds, when given.
    pub duration: Option<Duration>,
}

/// Parses an INFO body by its Content-Type (media type compared case-insensitively, parameters
/// ignored).
pub fn parse_sip_info(content_type: &str, body: &[u8]) -> Result<SipInfoDtmf, DtmfError> {
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case("application/dtmf-relay") {
        parse_dtmf_relay(body)
    } else if media_type.eq_ignore_ascii_case("application/dtmf") {
        parse_dtmf(body).map(|digit| SipInfoDtmf {
            digit,
            duration: None,
        })
    } else {
        Err(DtmfError::NotDtmf(content_type.to_owned()))
    }
}

/// Parses `application/dtmf-relay`: `Signal=` and optional `Duration=` lines, keys
/// case-insensitive, spaces around `=` and CRLF or LF line ends tolerated, unknown lines ignored.
pub fn parse_dtmf_relay(body: &[u8]) -> Result<SipInfoDtmf, DtmfError> {
    let text = String::from_utf8_lossy(body);
    let mut digit = None;
    let mut duration = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.eq_ignore_ascii_case("signal") {
            digit = Some(signal(value)?);
        } else if key.eq_ignore_ascii_case("duration") {
            duration = value.parse::<u64>().ok().map(Duration::from_millis);
        }
    }
    let digit = digit.ok_or(DtmfError::NoSignal)?;
    Ok(SipInfoDtmf { digit, duration })
}

/// Parses `application/dtmf`: the key alone (surrounding whitespace ignored).
pub fn parse_dtmf(body: &[u8]) -> Result<DtmfDigit, DtmfError> {
    let text = String::from_utf8_lossy(body);
    signal(text.trim())
}

/// A key as a character, or as its RFC 4733 event code 10–15 (some gateways send `Signal=11`
/// for `#`); a single character `1` is the key 1, never event code 1 of something else.
fn signal(value: &str) -> Result<DtmfDigit, DtmfError> {
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => DtmfDigit::from_char(c),
        (None, _) => Err(DtmfError::NoSignal),
        (Some(c), Some(_)) => value
            .parse::<u8>()
            .ok()
            .filter(|code| (10..16).contains(code))
            .and_then(DtmfDigit::from_event_code)
            .ok_or(DtmfError::BadDigit(c)),
    }
}
