//! Who may receive an answer computed with the account's password: the guard against the SIP
//! digest leak (a far end that challenges the BYE the phone sends it, then cracks the answer
//! offline).
//!
//! Two rules, applied before any challenge is answered:
//! 1. Only requests that start something at the account's server (REGISTER, and out-of-dialog
//!    requests sent through the registrar as outbound proxy) are answered. A request inside a
//!    dialog (its To has a tag) goes to the far end; registrars and PBXs authenticate the
//!    dialog-creating request, so an in-dialog challenge is the attack's signature.
//! 2. Once the registrar's realm is known (given, or learnt from the challenge that led to a
//!    successful registration), only that realm is answered.

use crate::digest::Challenge;
use crate::message::SipMessage;

/// Why a challenge was not answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthRefusal {
    #[error("the far end of a call asked for the account's credentials on an in-dialog {method}; Dialtone only gives them to the account's server")]
    InDialog { method: String },
    #[error("the server asked for credentials for realm {offered:?}, but this account's realm is {expected:?}; nothing was sent")]
    ForeignRealm { offered: String, expected: String },
}

/// Whether `request`, challenged with `challenge`, may be answered with the account's
/// credentials. `account_realm` is the registrar's realm once known.
pub fn may_answer(
    request: &SipMessage,
    challenge: &Challenge,
    account_realm: Option<&str>,
) -> Result<(), AuthRefusal> {
    let in_dialog = request.to().is_ok_and(|to| to.tag().is_some());
    if in_dialog {
        let method = request.method().map(|m| m.to_string()).unwrap_or_default();
        return Err(AuthRefusal::InDialog { method });
    }
    match account_realm {
        Some(expected) if expected != challenge.realm => Err(AuthRefusal::ForeignRealm {
            offered: challenge.realm.clone(),
            expected: expected.to_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{HeaderName, Method};

    fn challenge(realm: &str) -> Challenge {
        Challenge::parse(&format!("Digest realm=\"{realm}\", nonce=\"n\""), false)
            .expect("valid challenge")
    }

    fn request(method: Method, to: &str) -> SipMessage {
        let mut request = SipMessage::request(method, "sip:1001@pbx.example.com");
        request.headers.push(HeaderName::TO, to);
        request
            .headers
            .push(HeaderName::FROM, "<sip:1000@pbx.example.com>;tag=a");
        request
    }

    #[test]
    fn a_bye_challenged_by_the_far_end_is_never_answered() {
        let bye = request(Method::Bye, "<sip:1001@pbx.example.com>;tag=far");
        let refusal = may_answer(&bye, &challenge("pbx.example.com"), Some("pbx.example.com"))
            .expect_err("refused");
        assert_eq!(
            refusal,
            AuthRefusal::InDialog {
                method: "BYE".into()
            }
        );
    }

    #[test]
    fn out_of_dialog_requests_to_the_account_realm_are_answered() {
        let register = request(Method::Register, "<sip:1000@pbx.example.com>");
        assert!(may_answer(
            &register,
            &challenge("pbx.example.com"),
            Some("pbx.example.com")
        )
        .is_ok());
        assert!(
            may_answer(&register, &challenge("anything"), None).is_ok(),
            "the first challenge teaches the realm"
        );
    }

    #[test]
    fn another_realm_is_refused_once_the_account_realm_is_known() {
        let invite = request(Method::Invite, "<sip:1001@pbx.example.com>");
        let refusal = may_answer(
            &invite,
            &challenge("evil.example.net"),
            Some("pbx.example.com"),
        )
        .expect_err("refused");
        assert!(matches!(refusal, AuthRefusal::ForeignRealm { .. }));
        assert!(refusal.to_string().contains("nothing was sent"));
    }
}
