//! Our sender's counters (the SR's sender info) and what the far end reports about our stream
//! (its report block about us: loss, jitter, and the RTT that LSR/DLSR give, RFC 3550 §6.4.1).

use std::time::{Duration, Instant};

use crate::rtcp::{ntp_short_to_duration, NtpTime, ReportBlock, SenderInfo};

/// Counters for the stream we send, plus the latest reception report about it.
#[derive(Debug, Clone)]
pub struct SendStats {
    ssrc: u32,
    clock_rate: u32,
    packets: u64,
    octets: u64,
    /// When the last packet went out and its RTP timestamp, to place "now" on the RTP clock.
    last_sent: Option<(Instant, u32)>,
    /// Reports made since we last sent (RFC 3550 §6.3.8 `we_sent`: SR only while sending).
    reports_since_sent: u8,
    remote: Option<RemoteReception>,
    remote_max_jitter: u32,
    rtt: Option<Duration>,
}

/// What the far end last reported about our stream (its report block about our SSRC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteReception {
    /// Loss in its last interval, ×256.
    pub fraction_lost: u8,
    /// Packets of ours it lost since the start.
    pub cumulative_lost: i32,
    /// Its interarrival jitter for our stream, in our timestamp units.
    pub jitter: u32,
}

impl SendStats {
    /// Counters for our stream `ssrc`, whose RTP clock runs at `clock_rate` Hz.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate,
            packets: 0,
            octets: 0,
            last_sent: None,
            reports_since_sent: u8::MAX,
            remote: None,
            remote_max_jitter: 0,
            rtt: None,
        }
    }

    /// Accounts for a packet sent at `now`. Do not count intentional duplicates such as the
    /// repeated RFC 4733 end packets (RFC 4733 §2.5.1.4 leaves them out of the SR counts).
    pub fn on_packet_sent(&mut self, now: Instant, rtp_timestamp: u32, payload_len: usize) {
        self.packets += 1;
        self.octets += payload_len as u64;
        self.last_sent = Some((now, rtp_timestamp));
        self.reports_since_sent = 0;
    }

    /// The sender info for a report made at `now` with wallclock `ntp`, or `None` when we have
    /// not sent during the last two report intervals (then the report is an RR, §6.4).
    /// Call once per report.
    pub fn sender_info(&mut self, now: Instant, ntp: NtpTime) -> Option<SenderInfo> {
        let active = self.reports_since_sent < 2;
        self.reports_since_sent = self.reports_since_sent.saturating_add(1);
        let (sent_at, timestamp) = self.last_sent?;
        if !active {
            return None;
        }
        let since = now.saturating_duration_since(sent_at);
        let advance = (since.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as u32;
        Some(SenderInfo {
            ntp,
            rtp_timestamp: timestamp.wrapping_add(advance),
            // The SR fields are 32-bit counters that wrap (RFC 3550 §6.4.1).
            packet_count: self.packets as u32,
            octet_count: self.octets as u32,
        })
    }

    /// Takes in a report block that arrived at wallclock `arrival`. Blocks about other sources
    /// are ignored. Returns the RTT it yields, if any (see [`round_trip_time`]).
    pub fn on_report_block(&mut self, arrival: NtpTime, block: &ReportBlock) -> Option<Duration> {
        if block.ssrc != self.ssrc {
            return None;
        }
        self.remote = Some(RemoteReception {
            fraction_lost: block.fraction_lost,
            cumulative_lost: block.cumulative_lost,
            jitter: block.jitter,
        });
        self.remote_max_jitter = self.remote_max_jitter.max(block.jitter);
        let rtt = round_trip_time(arrival, block.last_sr, block.delay_since_last_sr)?;
        self.rtt = Some(rtt);
        Some(rtt)
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Packets sent.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Payload octets sent.
    pub fn octets(&self) -> u64 {
        self.octets
    }

    /// The latest RTT, once a report answered one of our SRs.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// The far end's latest report about our stream.
    pub fn remote(&self) -> Option<RemoteReception> {
        self.remote
    }

    /// The far end's latest jitter for our stream, in milliseconds.
    pub fn remote_jitter_ms(&self) -> f64 {
        self.units_to_ms(self.remote.map_or(0, |r| r.jitter))
    }

    /// The largest jitter the far end reported, in milliseconds.
    pub fn remote_max_jitter_ms(&self) -> f64 {
        self.units_to_ms(self.remote_max_jitter)
    }

    fn units_to_ms(&self, units: u32) -> f64 {
        if self.clock_rate == 0 {
            return 0.0;
        }
        f64::from(units) * 1000.0 / f64::from(self.clock_rate)
    }
}

/// RTT from a report block (RFC 3550 §6.4.1): `A − LSR − DLSR`, all in the 16.16 "middle 32
/// bits" NTP format, where `A` is when the block arrived.
///
/// `None` when the reporter has not had an SR from us yet (LSR = 0), or when the result would
/// be negative (clock steps, a stale block). Wrapping arithmetic keeps it right across the NTP
/// short-format rollover every ~18 h.
pub fn round_trip_time(arrival: NtpTime, last_sr: u32, dlsr: u32) -> Option<Duration> {
    if last_sr == 0 {
        return None;
    }
    let rtt = arrival.middle32().wrapping_sub(last_sr).wrapping_sub(dlsr);
    if (rtt as i32) < 0 {
        return None;
    }
    Some(ntp_short_to_duration(rtt))
}
