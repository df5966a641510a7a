//! The `rtp_rtcp` fuzz target's checks on stable Rust: over every seed in
//! `fuzz/corpus/rtp_rtcp/` and over proptest's arbitrary bytes, so the target's invariants
//! (no panic; RTP and SR/RR written back parse to the same fields) run in every test run.

use std::fs;
use std::path::Path;

use proptest::prelude::*;

/// The fuzz target's body, shared as source so that this crate does not depend on the fuzz crate.
mod fuzz_body {
    #![allow(clippy::unwrap_used)]
    include!("../../../fuzz/src/rtp_rtcp.rs");
}

#[test]
fn every_seed_of_the_fuzz_corpus_passes_the_target_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/rtp_rtcp");
    let mut seeds = 0;
    for entry in fs::read_dir(&dir).expect("the corpus directory exists") {
        let path = entry.expect("a readable directory entry").path();
        let data = fs::read(&path).expect("a readable seed");
        fuzz_body::check_rtp_rtcp(&data);
        seeds += 1;
    }
    assert!(seeds >= 8, "only {seeds} seeds in {}", dir.display());
}

proptest! {
    #[test]
    fn arbitrary_bytes_pass_the_target_checks(data in prop::collection::vec(any::<u8>(), 0..300)) {
        fuzz_body::check_rtp_rtcp(&data);
    }

    #[test]
    fn rtp_shaped_bytes_pass_the_target_checks(mut data in prop::collection::vec(any::<u8>(), 12..200)) {
        // Version 2 in the first octet so that most inputs get past the first check.
        data[0] = 0x80 | (data[0] & 0x3f);
        fuzz_body::check_rtp_rtcp(&data);
    }
}
