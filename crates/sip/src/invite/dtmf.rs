//! DTMF carried by INFO bodies. Neither format has an RFC; both are what PBXs send when a
//! trunk is set to "SIP INFO" DTMF:
//! - `application/dtmf-relay` (Cisco's, used by Asterisk, FreeSWITCH, Yeastar): lines
//!   `Signal=5` and `Duration=160` (milliseconds);
//! - `application/dtmf`: the digit alone.

pub(crate) const DTMF_RELAY: &str = "application/dtmf-relay";
pub(crate) const DTMF: &str = "application/dtmf";

/// The digit and duration in an INFO body of type `content_type`; `None` when the body holds no
/// digit we know (the INFO is still answered 200: the type is supported).
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Option<(char, Option<u32>)> {
    let text = std::str::from_utf8(body).ok()?;
    // `application/dtmf-relay; charset=utf-8`: parameters do not change the format.
    let content_type = content_type.split(';').next().unwrap_or_default().trim();
    if content_type.eq_ignore_ascii_case(DTMF) {
        return signal(text.trim()).map(|d| (d, None));
    }
    let mut digit = None;
    let mut duration = None;
    for line in text.lines() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "signal" => digit = signal(value.trim()),
            "duration" => duration = value.trim().parse().ok(),
            _ => {}
        }
    }
    digit.map(|d| (d, duration))
}

/// `0`–`9`, `*`, `#`, `A`–`D` (either case), or RFC 4733's event numbers 10–15 for them.
fn signal(text: &str) -> Option<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#' => Some(c),
        (Some(c), None) if ('a'..='d').contains(&c.to_ascii_lowercase()) => {
            Some(c.to_ascii_uppercase())
        }
        _ => match text.parse::<u8>().ok()? {
            10 => Some('*'),
            11 => Some('#'),
            n @ 12..=15 => Some(char::from(b'A' + (n - 12))),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_parameters_and_case_are_ignored() {
        assert_eq!(
            parse(
                "Application/DTMF-Relay; charset=utf-8",
                b"signal = #\nduration= 250"
            ),
            Some(('#', Some(250)))
        );
        assert_eq!(parse("application/dtmf ;x=y", b" d\r\n"), Some(('D', None)));
    }

    #[test]
    fn dtmf_relay_gives_signal_and_duration() {
        assert_eq!(
            parse(DTMF_RELAY, b"Signal=5\r\nDuration=160\r\n"),
            Some(('5', Some(160)))
        );
        assert_eq!(
            parse(DTMF_RELAY, b"Signal= #\nDuration=250"),
            Some(('#', Some(250)))
        );
        assert_eq!(parse(DTMF_RELAY, b"signal=11"), Some(('#', None)));
        assert_eq!(parse(DTMF_RELAY, b"Signal=d"), Some(('D', None)));
    }

    #[test]
    fn plain_dtmf_and_garbage() {
        assert_eq!(parse(DTMF, b"7\r\n"), Some(('7', None)));
        assert_eq!(parse(DTMF_RELAY, b"Signal=16"), None);
        assert_eq!(parse(DTMF_RELAY, b"\xff\xfe"), None);
        assert_eq!(parse(DTMF_RELAY, b""), None);
    }
}
