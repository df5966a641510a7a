//! Arbitrary bytes into the SDP parser: parse, every typed accessor, print→parse, answer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dialtone_fuzz::sdp::check_sdp(data);
});
