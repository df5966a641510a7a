//! Properties of the SDP module: no input panics, print(parse(x)) parses to the same, and the
//! fuzz target's checks (`fuzz/src/sdp.rs`, included below) hold on every seed of
//! `fuzz/corpus/sdp/` and on generated and mutated SDPs, so stable test runs exercise them.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use dialtone_media::sdp::{
    create_answer, create_offer, process_answer, LocalCapabilities, SdpSession, SessionDescription,
    SrtpPolicy,
};
use proptest::prelude::*;

/// The fuzz target's body, shared as source so that this crate does not depend on the fuzz crate.
mod fuzz_body {
    include!("../../../fuzz/src/sdp.rs");
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/sdp");
    let mut seeds: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| {
            let path = entry.path();
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.display().to_string(), bytes)
        })
        .collect();
    seeds.sort();
    seeds
}

#[test]
fn every_fuzz_seed_passes_the_fuzz_checks() {
    let seeds = seeds();
    assert!(
        seeds.len() >= 9,
        "the seed corpus is missing: {}",
        seeds.len()
    );
    for (name, bytes) in seeds {
        let outcome = catch_unwind(AssertUnwindSafe(|| fuzz_body::check_sdp(&bytes)));
        assert!(outcome.is_ok(), "{name} failed the fuzz checks");
    }
}

#[test]
fn our_own_offers_and_answers_pass_the_fuzz_checks() {
    for policy in [SrtpPolicy::Off, SrtpPolicy::Optional, SrtpPolicy::Mandatory] {
        let caps = LocalCapabilities {
            srtp: policy,
            ..LocalCapabilities::new([10, 0, 0, 1].into(), 4000)
        };
        let offer = create_offer(&caps, 1);
        fuzz_body::check_sdp(&offer.to_bytes());
        if let Ok((answer, _)) = create_answer(&offer, &caps) {
            fuzz_body::check_sdp(&answer.to_bytes());
            assert!(process_answer(&offer, &answer).is_ok(), "{policy:?}");
        }
    }
}

/// Lines that look like SDP, with the characters parsers trip over.
fn sdp_line() -> impl Strategy<Value = String> {
    let kinds = prop::sample::select(vec![
        "v=",
        "o=",
        "s=",
        "i=",
        "u=",
        "e=",
        "p=",
        "c=",
        "b=",
        "t=",
        "r=",
        "z=",
        "k=",
        "a=",
        "m=",
        "x=",
        "",
        " ",
        "a=rtpmap:",
        "a=fmtp:",
        "a=crypto:",
        "a=rtcp:",
        "a=ptime:",
        "m=audio ",
        "c=IN IP4 ",
        "c=IN IP6 ",
        "o=- 1 ",
        "a=sendonly",
        "a=inactive",
        "a=rtcp-mux",
    ]);
    let value = prop::string::string_regex("[ -~\t\u{00e9}\u{feff}:/|;^=]{0,40}").expect("regex");
    (kinds, value).prop_map(|(kind, value)| format!("{kind}{value}"))
}

fn sdp_text() -> impl Strategy<Value = String> {
    let endings = prop::sample::select(vec!["\r\n", "\n", "\r", ""]);
    (prop::collection::vec((sdp_line(), endings), 0..24)).prop_map(|lines| {
        let mut text = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\n".to_owned();
        for (line, ending) in lines {
            text.push_str(&line);
            text.push_str(ending);
        }
        text
    })
}

/// A real seed with a few bytes replaced, inserted or removed.
fn mutated_seed() -> impl Strategy<Value = Vec<u8>> {
    let seeds: Vec<Vec<u8>> = seeds().into_iter().map(|(_, bytes)| bytes).collect();
    let edits = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8);
    (prop::sample::select(seeds), edits).prop_map(|(mut bytes, edits)| {
        for (at, byte, op) in edits {
            let len = bytes.len();
            match op {
                0 if len > 0 => bytes[at.index(len)] = byte,
                1 => bytes.insert(at.index(len + 1), byte),
                _ if len > 0 => {
                    bytes.remove(at.index(len));
                }
                _ => {}
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        fuzz_body::check_sdp(&bytes);
    }

    #[test]
    fn sdp_like_text_never_panics_and_reprints_stably(text in sdp_text()) {
        fuzz_body::check_sdp(text.as_bytes());
        if let Ok(sdp) = text.parse::<SessionDescription>() {
            let again: SessionDescription = sdp.to_string().parse().expect("reparses");
            prop_assert_eq!(again, sdp);
        }
    }

    #[test]
    fn mutated_real_world_sdp_never_panics(bytes in mutated_seed()) {
        fuzz_body::check_sdp(&bytes);
    }

    #[test]
    fn sessions_answer_mutated_offers_without_panicking(bytes in mutated_seed()) {
        if let Ok(offer) = SessionDescription::parse_bytes(&bytes) {
            let mut session = SdpSession::new(LocalCapabilities::new([10, 0, 0, 1].into(), 4000));
            if session.create_answer(&offer).is_ok() {
                let reoffer = session.hold();
                prop_assert!(reoffer.to_string().parse::<SessionDescription>().is_ok());
            }
        }
    }
}
