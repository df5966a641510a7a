//! Arbitrary bytes into the SIP message facade: parse, every typed accessor, print→parse.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dialtone_fuzz::sip_message::check_sip_message(data);
});
