//! Arbitrary bytes into the RTP, RTCP, telephone-event and SIP INFO DTMF parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dialtone_fuzz::rtp_rtcp::check_rtp_rtcp(data);
});
