//! What the user dialled → the Request-URI of the INVITE. Parsed here, at the edge, so the
//! session only ever sees a valid SIP URI.

use super::UaError;
use crate::message::SipUri;

/// `1001`, `+1 (555) 123-4567`, `*97`, `alice` → `sip:…@<account domain>`; `1001@other.example`
/// → `sip:1001@other.example`; `sip:`/`sips:` URIs (optionally in `<…>`) are taken as they are.
/// Telephone-number visual separators (space, `-`, `.`, `(`, `)`) are dropped and `#` is
/// escaped, as a PBX expects to see the digits.
pub(super) fn target_uri(target: &str, aor: &SipUri) -> Result<SipUri, UaError> {
    let invalid = || UaError::InvalidTarget(target.to_owned());
    let text = target.trim();
    let text = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(text);
    if text.is_empty() {
        return Err(invalid());
    }
    let uri = if has_scheme(text) {
        text.to_owned()
    } else if text.contains('@') {
        format!("sip:{text}")
    } else {
        let user = dialled_user(text).ok_or_else(invalid)?;
        let mut domain = aor.clone();
        domain.user = Some(user);
        domain.password = None;
        domain.params = Default::default();
        domain.headers = None;
        domain.to_string()
    };
    SipUri::parse(&uri).map_err(|_| invalid())
}

/// `sip:`, `sips:`, or another scheme (`tel:`), which `SipUri::parse` then refuses.
fn has_scheme(text: &str) -> bool {
    text.contains(':')
}

/// The user part for a bare number or name, escaped for a SIP URI (RFC 3261 §25.1).
fn dialled_user(text: &str) -> Option<String> {
    let phone_like = text
        .chars()
        .all(|c| c.is_ascii_digit() || "+*#-.() ".contains(c));
    let kept: String = if phone_like {
        text.chars().filter(|c| !"-.() ".contains(*c)).collect()
    } else {
        text.to_owned()
    };
    if kept.is_empty() {
        return None;
    }
    let mut user = String::with_capacity(kept.len());
    for c in kept.chars() {
        match c {
            c if c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,;?/".contains(c) => user.push(c),
            '#' => user.push_str("%23"),
            _ => return None,
        }
    }
    Some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aor() -> SipUri {
        SipUri::parse("sip:1000@pbx.example.com").expect("aor")
    }

    fn uri(target: &str) -> Result<String, UaError> {
        target_uri(target, &aor()).map(|u| u.to_string())
    }

    #[test]
    fn a_bare_number_goes_to_the_account_domain_without_separators() {
        assert_eq!(uri("1001").as_deref(), Ok("sip:1001@pbx.example.com"));
        assert_eq!(
            uri("+1 (555) 123-4567").as_deref(),
            Ok("sip:+15551234567@pbx.example.com")
        );
        assert_eq!(uri("*97#").as_deref(), Ok("sip:*97%23@pbx.example.com"));
        assert_eq!(uri("alice").as_deref(), Ok("sip:alice@pbx.example.com"));
    }

    #[test]
    fn sip_uris_and_user_at_host_are_taken_as_written() {
        assert_eq!(
            uri("sip:bob@other.example;transport=tcp").as_deref(),
            Ok("sip:bob@other.example;transport=tcp")
        );
        assert_eq!(
            uri("<sips:bob@x.example>").as_deref(),
            Ok("sips:bob@x.example")
        );
        assert_eq!(uri("bob@x.example").as_deref(), Ok("sip:bob@x.example"));
    }

    #[test]
    fn what_cannot_be_a_sip_uri_is_refused_by_name() {
        for bad in ["", "   ", "tel:+123", "al ice", "sip:", "bob\r\n@x"] {
            assert!(
                matches!(uri(bad), Err(UaError::InvalidTarget(t)) if t == bad),
                "{bad:?}"
            );
        }
    }
}
