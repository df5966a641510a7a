//! RTCP for the stream: our compound SR/RR + SDES CNAME on the scheduler's timer, and the
//! peer's reports feeding loss, jitter and RTT (RFC 3550 §6).

use std::time::Instant;

use crate::rtcp::{CompoundReport, NtpTime, RtcpCompound, RtcpPacket};
use crate::srtp::SRTCP_OVERHEAD;

use super::{MediaEvent, MediaStream, TransmitKind};

impl MediaStream {
    /// Wallclock at `now`, from the anchor the config gave (the core never reads a clock).
    pub(super) fn ntp_at(&self, now: Instant) -> NtpTime {
        NtpTime::from_unix(self.wallclock_unix + now.saturating_duration_since(self.epoch))
    }

    /// Builds and queues one compound report.
    pub(super) fn send_report(&mut self, now: Instant) {
        let ntp = self.ntp_at(now);
        let sender_info = self.send.stats.sender_info(now, ntp);
        let block = self.recv.stats.as_mut().map(|rx| rx.report_block(now));
        let blocks = block.as_slice();
        let report = CompoundReport {
            ssrc: self.send.ssrc,
            sender_info,
            report_blocks: blocks,
            cname: &self.config.cname,
        };
        let mut buf = self.outbox.buffer();
        buf.resize(report.encoded_len() + SRTCP_OVERHEAD, 0);
        let Ok(len) = report.write(&mut buf) else {
            tracing::warn!("RTCP report did not fit its buffer");
            self.outbox.recycle(buf);
            return;
        };
        let len = match &mut self.send.srtp {
            Some(ctx) => match ctx.protect_rtcp(&mut buf, len) {
                Ok(len) => len,
                Err(e) => {
                    tracing::warn!(error = %e, "SRTCP protect failed");
                    self.outbox.recycle(buf);
                    return;
                }
            },
            None => len,
        };
        buf.truncate(len);
        let to = self.negotiated.remote_rtcp;
        self.outbox.push(to, buf, TransmitKind::Rtcp);
    }

    /// An RTCP compound (already unprotected) from the peer.
    pub(super) fn handle_rtcp(&mut self, now: Instant, len: usize) {
        let arrival = self.ntp_at(now);
        let Ok(compound) = RtcpCompound::parse(&self.rx_scratch[..len]) else {
            self.counters.malformed += 1;
            return;
        };
        self.counters.rtcp_received += 1;
        for packet in compound.packets() {
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    if let Some(rx) = self.recv.stats.as_mut().filter(|rx| rx.ssrc() == sr.ssrc) {
                        rx.on_sender_report(now, sr.sender_info.ntp);
                    }
                    for block in sr.report_blocks {
                        self.send.stats.on_report_block(arrival, &block);
                    }
                }
                RtcpPacket::ReceiverReport(rr) => {
                    for block in rr.report_blocks {
                        self.send.stats.on_report_block(arrival, &block);
                    }
                }
                RtcpPacket::Bye(_) => self.events.push_back(MediaEvent::RemoteBye),
                RtcpPacket::SourceDescription(_) | RtcpPacket::Other { .. } => {}
            }
        }
    }
}
