//! The first INVITE answered with credentials when the account's server challenges it
//! (RFC 3261 §22.2), and never when the far end challenges an in-dialog request.

mod invite_common;

use dialtone_sip::digest::{Credentials, SecretKind};
use dialtone_sip::invite::{EndReason, SessionState};
use dialtone_sip::message::{HeaderName, SipMessage};
use dialtone_sip::secret::Secret;
use invite_common::{config, sdp, Bench, Who, ALICE_SDP, BOB_SDP};

fn challenge(to: &SipMessage, code: u16, realm: &str) -> SipMessage {
    let mut response = SipMessage::response_to(to, code, "Unauthorized");
    let to_header = format!(
        "{};tag=proxy",
        to.headers.get(HeaderName::TO).unwrap_or_default()
    );
    response.headers.set(HeaderName::TO, to_header);
    let name = if code == 407 {
        "Proxy-Authenticate"
    } else {
        "WWW-Authenticate"
    };
    response.headers.push(
        HeaderName::new(name),
        format!("Digest realm=\"{realm}\", nonce=\"abc123\", qop=\"auth\""),
    );
    response
}

fn bench_with_credentials() -> Bench {
    let mut alice = config("alice", None);
    alice.credentials = Some(Credentials {
        username: "alice".into(),
        secret: SecretKind::Password(Secret::new("secret")),
        realm: None,
    });
    alice.account_realm = Some("example.com".into());
    Bench::with_configs(alice, config("bob", None))
}

#[test]
fn challenged_invite_is_sent_again_with_credentials_and_the_call_proceeds() {
    let mut bench = bench_with_credentials();
    // The first INVITE never reaches Bob: "the proxy" challenges it.
    bench.drop_if = Some(Box::new(|from, msg| {
        from == Who::Alice && msg.cseq().is_ok_and(|c| c.seq == 1)
    }));
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    let (invite, _) = bench.sent(Who::Alice, "INVITE").remove(0);
    bench.drop_if = None;
    bench.inject(Who::Alice, challenge(&invite, 407, "example.com"));

    let invites = bench.sent(Who::Alice, "INVITE");
    assert_eq!(invites.len(), 2);
    let retry = &invites[1].0;
    assert_eq!(retry.cseq().expect("cseq").seq, 2);
    assert_eq!(retry.call_id().ok(), invite.call_id().ok());
    let auth = retry
        .headers
        .get(HeaderName::PROXY_AUTHORIZATION)
        .expect("Proxy-Authorization");
    assert!(auth.contains("username=\"alice\""));
    assert_ne!(
        retry.top_via().expect("via").branch(),
        invite.top_via().expect("via").branch()
    );
    bench
        .act(Who::Bob, |s, now| s.accept(now, sdp(BOB_SDP)))
        .expect("accept");
    bench.run();
    assert_eq!(bench.alice.session().state(), SessionState::Confirmed);
}

#[test]
fn a_challenge_from_a_foreign_realm_fails_the_call_without_an_answer() {
    let mut bench = bench_with_credentials();
    bench.drop_if = Some(Box::new(|from, _| from == Who::Alice));
    bench.call(Some(sdp(ALICE_SDP)));
    bench.run();
    let (invite, _) = bench.sent(Who::Alice, "INVITE").remove(0);
    bench.inject(Who::Alice, challenge(&invite, 401, "evil.example.net"));
    assert_eq!(bench.sent(Who::Alice, "INVITE").len(), 1);
    assert_eq!(
        bench.alice.ended(),
        Some(&EndReason::Rejected {
            code: 401,
            reason: "Unauthorized".into()
        })
    );
}
