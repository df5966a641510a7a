//! Network delay statistics for one stream: RFC 3550 interarrival jitter (for the quality
//! report) and a percentile of the *relative* delay (for choosing the playout delay).
//!
//! Every packet's transit is `r = arrival − timestamp` (both in µs, constant offsets cancel).
//! The fastest recent transit is the **baseline**: a packet that took it needs no buffering.
//! Each packet's *spread* `r − baseline` is how much later than the fastest it came, and a packet
//! is on time exactly when the playout delay (measured against the same baseline) is at least its
//! spread. So the target delay is a high percentile of the spread.
//!
//! * The baseline is a sliding minimum over ~5 s (ten 500 ms buckets, O(1) per packet): long
//!   enough to span jitter, short enough to follow clock drift (100 ppm is 0.5 ms per 5 s) and
//!   route changes.
//! * The spread histogram forgets exponentially per packet (NetEQ's approach), so a burst of
//!   jitter shows up within a few packets while calm periods take seconds to erase it. Instead
//!   of decaying every bin per packet, each new packet weighs `1/FORGET` times more than the one
//!   before (same proportions, O(1) per packet); the bins are renormalised now and then.

/// 1 ms bins up to 255 ms (beyond the 200 ms delay ceiling); larger spreads land in the last bin.
const BINS: usize = 256;
const BIN_US: i64 = 1_000;
/// Per-packet forgetting factor: the histogram remembers roughly the last 200 packets.
const FORGET: f64 = 0.995;
/// Renormalise the histogram before the growing packet weight loses f64 precision.
const RENORMALISE_AT: f64 = 1e9;
const BUCKETS: usize = 10;
const BUCKET_US: i64 = 500_000;

#[derive(Clone, Debug)]
pub(super) struct DelayEstimator {
    /// RFC 3550 §6.4.1 interarrival jitter, µs.
    jitter_us: f64,
    last_transit: Option<i64>,
    bucket_min: [i64; BUCKETS],
    /// Bucket number (arrival / BUCKET_US) of the newest bucket; `None` before any packet.
    newest_bucket: Option<i64>,
    baseline: Option<i64>,
    histogram: [f64; BINS],
    /// Weight of the next packet; grows by `1/FORGET` per packet.
    weight: f64,
    total: f64,
}

impl DelayEstimator {
    pub(super) fn new() -> Self {
        Self {
            jitter_us: 0.0,
            last_transit: None,
            bucket_min: [i64::MAX; BUCKETS],
            newest_bucket: None,
            baseline: None,
            histogram: [0.0; BINS],
            weight: 1.0,
            total: 0.0,
        }
    }

    /// A new timeline (new SSRC, or timestamps jumped): transits are no longer comparable. The
    /// spread histogram stays: the network path, and so the jitter, is most likely the same.
    pub(super) fn restart_timeline(&mut self) {
        self.last_transit = None;
        self.bucket_min = [i64::MAX; BUCKETS];
        self.newest_bucket = None;
        self.baseline = None;
    }

    /// The fastest recent transit, µs; `None` before the first packet of a timeline.
    pub(super) fn baseline(&self) -> Option<i64> {
        self.baseline
    }

    pub(super) fn jitter_us(&self) -> f64 {
        self.jitter_us
    }

    /// Records one packet (in arrival order, including late ones: they are exactly the evidence
    /// that the delay must grow).
    pub(super) fn on_arrival(&mut self, arrival_us: i64, transit_us: i64) {
        if let Some(last) = self.last_transit {
            let d = (transit_us - last).abs() as f64;
            self.jitter_us += (d - self.jitter_us) / 16.0;
        }
        self.last_transit = Some(transit_us);

        self.update_baseline(arrival_us, transit_us);
        let spread = transit_us - self.baseline.unwrap_or(transit_us);
        let bin = usize::try_from(spread / BIN_US).unwrap_or(0).min(BINS - 1);
        self.histogram[bin] += self.weight;
        self.total += self.weight;
        self.weight /= FORGET;
        if self.weight > RENORMALISE_AT {
            for h in &mut self.histogram {
                *h /= self.weight;
            }
            self.total = self.histogram.iter().sum();
            self.weight = 1.0;
        }
    }

    /// The spread (µs) that `quantile` of recent packets did not exceed (upper bin edge).
    pub(super) fn spread_percentile_us(&self, quantile: f64) -> i64 {
        if self.total <= 0.0 {
            return 0;
        }
        // Walk up from 0 ms: the walk stops at the answer, a few bins on a calm link.
        let wanted = self.total * quantile;
        let mut cumulative = 0.0;
        for (i, h) in self.histogram.iter().enumerate() {
            cumulative += h;
            if cumulative >= wanted {
                return (i as i64 + 1) * BIN_US;
            }
        }
        BINS as i64 * BIN_US
    }

    fn update_baseline(&mut self, arrival_us: i64, transit_us: i64) {
        let bucket = arrival_us.div_euclid(BUCKET_US);
        match self.newest_bucket {
            Some(newest) if bucket > newest => {
                // Expire the buckets that slid out of the window.
                let stale = (bucket - newest).min(BUCKETS as i64);
                for k in 1..=stale {
                    self.bucket_min[slot(newest + k)] = i64::MAX;
                }
                self.newest_bucket = Some(bucket);
            }
            Some(_) => {} // same bucket (or a stale clock value): fold into its bucket
            None => self.newest_bucket = Some(bucket),
        }
        let current = self.newest_bucket.map_or(0, slot);
        let entry = &mut self.bucket_min[current];
        *entry = (*entry).min(transit_us);
        self.baseline = self.bucket_min.iter().copied().min();
    }
}

fn slot(bucket: i64) -> usize {
    bucket.rem_euclid(BUCKETS as i64) as usize
}

#[cfg(test)]
mod tests {
    use super::DelayEstimator;

    #[test]
    fn percentile_grows_at_once_and_forgets_gradually() {
        let mut d = DelayEstimator::new();
        // 20 ms packets arriving with 0–9 ms extra transit.
        for i in 0..500i64 {
            d.on_arrival(i * 20_000, (i % 10) * 1_000);
        }
        assert_eq!(d.spread_percentile_us(0.99), 10_000);
        // Ten packets 60 ms late are 2 % of recent traffic: covered at once.
        for i in 500..510i64 {
            d.on_arrival(i * 20_000, 60_000);
        }
        assert_eq!(d.spread_percentile_us(0.99), 61_000);
        // Calm again: after ~10 s the spike is forgotten.
        for i in 510..1010i64 {
            d.on_arrival(i * 20_000, (i % 10) * 1_000);
        }
        assert_eq!(d.spread_percentile_us(0.99), 10_000);
    }

    #[test]
    fn rfc3550_jitter_of_alternating_transit() {
        let mut d = DelayEstimator::new();
        for i in 0..2000i64 {
            d.on_arrival(i * 20_000, (i % 2) * 4_000);
        }
        // |D| is always 4 ms, so J converges to 4 ms.
        assert!((d.jitter_us() - 4_000.0).abs() < 1.0, "{}", d.jitter_us());
    }
}
