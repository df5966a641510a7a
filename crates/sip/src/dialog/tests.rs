use super::*;

fn invite() -> SipMessage {
    let mut invite = SipMessage::request(Method::Invite, "sip:bob@example.com");
    invite
        .headers
        .push(HeaderName::VIA, "SIP/2.0/UDP a.example.com;branch=z9hG4bKx");
    invite
        .headers
        .push(HeaderName::FROM, "\"Alice\" <sip:alice@example.com>;tag=al");
    invite.headers.push(HeaderName::TO, "<sip:bob@example.com>");
    invite.headers.push(HeaderName::CALL_ID, "c1@a");
    invite.headers.push(HeaderName::CSEQ, "7 INVITE");
    invite
        .headers
        .push(HeaderName::CONTACT, "<sip:alice@192.0.2.1:5060>");
    invite
}

fn ok(invite: &SipMessage, record_route: &[&str]) -> SipMessage {
    let mut ok = SipMessage::response_to(invite, 200, "OK");
    ok.headers
        .set(HeaderName::TO, "<sip:bob@example.com>;tag=bb");
    ok.headers.push(
        HeaderName::CONTACT,
        "<sip:bob@192.0.2.2:5070;transport=udp>",
    );
    for rr in record_route {
        ok.headers.push(HeaderName::RECORD_ROUTE, *rr);
    }
    ok
}

#[test]
fn uac_dialog_reverses_record_route_and_targets_the_contact() {
    let invite = invite();
    let ok = ok(
        &invite,
        &["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"],
    );
    let mut dialog = Dialog::uac(&invite, &ok).expect("dialog");
    assert_eq!(dialog.id().local_tag, "al");
    assert_eq!(dialog.id().remote_tag, "bb");
    let bye = dialog.create_request(Method::Bye);
    assert_eq!(
        bye.request_uri(),
        Some("sip:bob@192.0.2.2:5070;transport=udp")
    );
    let routes: Vec<&str> = bye.headers.values(HeaderName::ROUTE).collect();
    assert_eq!(
        routes,
        ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    );
    assert_eq!(bye.cseq().expect("cseq").seq, 8);
    assert_eq!(
        dialog.create_ack(7).cseq().expect("cseq").to_string(),
        "7 ACK"
    );
}

#[test]
fn uas_dialog_keeps_record_route_order_and_checks_cseq() {
    let mut invite = invite();
    invite.headers.push(
        HeaderName::RECORD_ROUTE,
        "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>",
    );
    let mut dialog = Dialog::uas(&invite, "bt").expect("dialog");
    assert_eq!(
        dialog.route_set(),
        ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    );
    let mut reinvite = invite.clone();
    reinvite.headers.set(HeaderName::CSEQ, "9 INVITE");
    assert_eq!(dialog.receive_request(&reinvite), Ok(()));
    let mut stale = invite.clone();
    stale.headers.set(HeaderName::CSEQ, "8 BYE");
    assert_eq!(
        dialog.receive_request(&stale),
        Err(OutOfOrder { got: 8, last: 9 })
    );
    let bye = dialog.create_request(Method::Bye);
    assert_eq!(bye.from().expect("from").tag(), Some("bt"));
    assert_eq!(bye.to().expect("to").tag(), Some("al"));
}

#[test]
fn strict_router_becomes_the_request_uri_and_the_target_the_last_route() {
    let invite = invite();
    let ok = ok(&invite, &["<sip:strict.example.com>"]);
    let mut dialog = Dialog::uac(&invite, &ok).expect("dialog");
    let bye = dialog.create_request(Method::Bye);
    assert_eq!(bye.request_uri(), Some("sip:strict.example.com"));
    let routes: Vec<&str> = bye.headers.values(HeaderName::ROUTE).collect();
    assert_eq!(routes, ["<sip:bob@192.0.2.2:5070;transport=udp>"]);
}

#[test]
fn a_2xx_without_contact_or_tag_creates_no_dialog() {
    let invite = invite();
    let mut no_contact = ok(&invite, &[]);
    no_contact.headers.remove(&HeaderName::CONTACT);
    assert_eq!(
        Dialog::uac(&invite, &no_contact),
        Err(DialogError::NoContact("response"))
    );
    let mut no_tag = ok(&invite, &[]);
    no_tag.headers.set(HeaderName::TO, "<sip:bob@example.com>");
    assert_eq!(Dialog::uac(&invite, &no_tag), Err(DialogError::NoRemoteTag));
}
