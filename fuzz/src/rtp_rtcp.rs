// The body of the `rtp_rtcp` fuzz target, kept as a plain function so that stable tests can run
// it too: `crates/media/tests/rtp_fuzz_corpus.rs` includes this file and calls it on every seed
// of `fuzz/corpus/rtp_rtcp/` and on proptest's random bytes. It uses only `dialtone_media`'s
// public API, and it panics exactly when the fuzzer should report a bug.

use std::time::{Duration, Instant};

use dialtone_media::dtmf::{DtmfReceiver, TelephoneEvent};
use dialtone_media::rtcp::{is_rtcp, CompoundReport, RtcpCompound, RtcpPacket};
use dialtone_media::rtp::{RtpHeader, RtpPacket};
use dialtone_media::stats::ReceiveStats;

/// Feeds `data` to every RTP/RTCP/DTMF parser; what parses as RTP must write back to the same
/// header fields and payload, and what parses as RTCP must iterate without error.
pub fn check_rtp_rtcp(data: &[u8]) {
    let _ = is_rtcp(data);
    if let Ok(packet) = RtpPacket::parse(data) {
        check_rtp(&packet);
    }
    if let Ok(compound) = RtcpCompound::parse(data) {
        check_rtcp(&compound);
    }
    let _ = TelephoneEvent::parse(data);
    let mut receiver = DtmfReceiver::new(8000);
    let start = Instant::now();
    for (i, chunk) in data.chunks(8).enumerate() {
        if let [a, b, c, d, payload @ ..] = chunk {
            let now = start + Duration::from_millis(20 * i as u64);
            let _ = receiver.handle_packet(now, u32::from_be_bytes([*a, *b, *c, *d]), payload);
            receiver.handle_timeout(now);
            while receiver.poll_event().is_some() {}
        }
    }
}

fn check_rtp(packet: &RtpPacket<'_>) {
    let csrcs: Vec<u32> = packet.csrcs().collect();
    let header = RtpHeader {
        marker: packet.marker(),
        payload_type: packet.payload_type(),
        sequence_number: packet.sequence_number(),
        timestamp: packet.timestamp(),
        ssrc: packet.ssrc(),
        csrcs: &csrcs,
        extension: packet.extension(),
    };
    let mut out = vec![0u8; packet.as_bytes().len() + 4];
    let len = header
        .write_packet(packet.payload(), &mut out)
        .expect("a parsed packet must write back");
    let again = RtpPacket::parse(&out[..len]).expect("a written packet must parse");
    assert_eq!(again.marker(), packet.marker());
    assert_eq!(again.payload_type(), packet.payload_type());
    assert_eq!(again.sequence_number(), packet.sequence_number());
    assert_eq!(again.timestamp(), packet.timestamp());
    assert_eq!(again.ssrc(), packet.ssrc());
    assert!(again.csrcs().eq(packet.csrcs()));
    assert_eq!(again.extension(), packet.extension());
    assert_eq!(again.payload(), packet.payload());
    // Without padding the written packet is the original, byte for byte.
    if !packet.has_padding() {
        assert_eq!(&out[..len], packet.as_bytes());
    }
    let mut stats = ReceiveStats::new(packet.ssrc(), 8000);
    let _ = stats.on_rtp(Instant::now(), packet);
}

fn check_rtcp(compound: &RtcpCompound<'_>) {
    let mut packets = 0;
    for packet in compound.packets() {
        packets += 1;
        match packet {
            RtcpPacket::SenderReport(sr) => {
                let blocks: Vec<_> = sr.report_blocks.collect();
                rebuild(sr.ssrc, Some(sr.sender_info), &blocks);
            }
            RtcpPacket::ReceiverReport(rr) => {
                let blocks: Vec<_> = rr.report_blocks.collect();
                rebuild(rr.ssrc, None, &blocks);
            }
            RtcpPacket::SourceDescription(chunks) => {
                for chunk in chunks {
                    let _ = chunk.cname();
                    for item in chunk.items() {
                        assert!(item.value.len() <= 255);
                    }
                }
            }
            RtcpPacket::Bye(bye) => {
                let _ = bye.sources().count();
            }
            RtcpPacket::Other { .. } => {}
        }
    }
    assert!(packets > 0, "a valid compound has at least one packet");
}

/// A report built from parsed values must parse back to the same values.
fn rebuild(
    ssrc: u32,
    sender_info: Option<dialtone_media::rtcp::SenderInfo>,
    blocks: &[dialtone_media::rtcp::ReportBlock],
) {
    let report = CompoundReport {
        ssrc,
        sender_info,
        report_blocks: blocks,
        cname: "fuzz@dialtone",
    };
    let mut out = vec![0u8; report.encoded_len()];
    let len = report
        .write(&mut out)
        .expect("a parsed report must write back");
    let compound = RtcpCompound::parse(&out[..len]).expect("a written report must parse");
    let first = compound.packets().next().expect("the report comes first");
    let (again_ssrc, again_info, again_blocks): (u32, _, Vec<_>) = match first {
        RtcpPacket::SenderReport(sr) => (sr.ssrc, Some(sr.sender_info), sr.report_blocks.collect()),
        RtcpPacket::ReceiverReport(rr) => (rr.ssrc, None, rr.report_blocks.collect()),
        other => panic!("a written report parsed as {other:?}"),
    };
    assert_eq!(again_ssrc, ssrc);
    assert_eq!(again_info, sender_info);
    assert_eq!(again_blocks, blocks);
}
