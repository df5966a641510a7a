// The body of the `sip_message` fuzz target, kept as a plain function so that stable tests can
// run it too: `crates/sip/tests/torture.rs` includes this file and calls it on every torture
// message and every seed of `fuzz/corpus/sip_message/`. It uses only `dialtone_sip`'s public
// API, and it panics exactly when the fuzzer should report a bug.

use dialtone_sip::message::{NameAddr, SipMessage, SipUri, UaPolicy, Verdict, Via};

/// Headers the parser refuses past this size; a re-printed message (compact names expanded)
/// may outgrow it, and then re-parsing it is not expected to succeed.
const PRINTED_HEADER_LIMIT: usize = 60 * 1024;

/// Parses `data`, exercises every typed accessor, and checks that what parses prints and parses
/// back to the same message. Panics on any violation; must never panic otherwise.
pub fn check_sip_message(data: &[u8]) {
    let policy = UaPolicy::default();
    if let Verdict::Reject(rejection) = Verdict::of(data, &policy) {
        if let Some(response) = SipMessage::error_response(data, &rejection) {
            let printed = response.to_bytes();
            assert!(
                SipMessage::parse(&printed).is_ok(),
                "an error response we built does not parse: {printed:?}"
            );
        }
    }
    let Ok(message) = SipMessage::parse(data) else {
        return;
    };
    let _ = (
        message.is_request(),
        message.method(),
        message.status(),
        message.reason(),
        message.call_id(),
        message.cseq(),
        message.top_via(),
        message.from(),
        message.to(),
        message.contact_is_star(),
        message.max_forwards(),
        message.validate(),
        message.verdict(&policy),
        message.required_extensions().count(),
    );
    for name in ["Expires", "Min-Expires", "Retry-After"] {
        let _ = message.seconds(dialtone_sip::message::HeaderName::new(name));
    }
    if let Some(uri) = message.request_uri() {
        check_uri(uri);
    }
    if let Ok(vias) = message.vias() {
        for via in vias {
            check_via(&via);
        }
    }
    for address in [message.from(), message.to()].into_iter().flatten() {
        check_name_addr(&address);
    }
    if let Ok(contacts) = message.contacts() {
        for contact in contacts {
            check_name_addr(&contact);
        }
    }
    let printed = message.to_bytes();
    if printed.len() - message.body.len() > PRINTED_HEADER_LIMIT {
        return;
    }
    let again = SipMessage::parse(&printed)
        .unwrap_or_else(|e| panic!("a printed message does not parse ({e}): {printed:?}"));
    assert_eq!(
        again.start, message.start,
        "start line changed in print→parse"
    );
    assert_eq!(again.body, message.body, "body changed in print→parse");
    let without_length = |m: &SipMessage| -> Vec<(String, String)> {
        m.headers
            .iter()
            .filter(|(n, _)| n.as_str() != "Content-Length")
            .map(|(n, v)| (n.as_str().to_owned(), v.to_owned()))
            .collect()
    };
    assert_eq!(
        without_length(&again),
        without_length(&message),
        "headers changed in print→parse"
    );
    assert_eq!(again.to_bytes(), printed, "print→parse→print is not stable");
}

fn check_uri(text: &str) {
    if let Ok(uri) = SipUri::parse(text) {
        let _ = uri.transport_param();
        let printed = uri.to_string();
        let again = SipUri::parse(&printed)
            .unwrap_or_else(|e| panic!("a printed URI does not parse ({e}): {printed:?}"));
        assert_eq!(again, uri, "URI changed in print→parse: {printed:?}");
    }
}

fn check_via(via: &Via) {
    let _ = (
        via.branch(),
        via.received(),
        via.rport(),
        via.transport_kind(),
    );
    let printed = via.to_string();
    let again = Via::parse(&printed)
        .unwrap_or_else(|e| panic!("a printed Via does not parse ({e}): {printed:?}"));
    assert_eq!(&again, via, "Via changed in print→parse: {printed:?}");
}

fn check_name_addr(address: &NameAddr) {
    let _ = address.tag();
    if let Ok(uri) = address.sip_uri() {
        check_uri(&uri.to_string());
    }
    let printed = address.to_string();
    let again = NameAddr::parse(&printed)
        .unwrap_or_else(|e| panic!("a printed name-addr does not parse ({e}): {printed:?}"));
    assert_eq!(
        &again, address,
        "name-addr changed in print→parse: {printed:?}"
    );
}
