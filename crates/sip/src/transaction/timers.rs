//! Timer values (RFC 3261 §17 and Table 4, RFC 6026 §8) and the retransmission back-off.
//!
//! Nothing here reads a clock: a machine asks for a deadline relative to the `now` it was given.

use std::time::{Duration, Instant};

use crate::flow::TransportKind;

/// The three base values every transaction timer derives from (RFC 3261 §17.1.1.1, Table 4).
/// The defaults are the RFC's; tests and high-latency links may set others (§17.1.1.1 allows a
/// larger T1 "on private networks" or when RTT estimates say so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// Round-trip estimate: the first retransmission interval (500 ms).
    pub t1: Duration,
    /// Cap on the non-INVITE request and INVITE response retransmission interval (4 s).
    pub t2: Duration,
    /// How long a message may linger in the network (5 s): timers I and K on UDP.
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

/// How long an INVITE server transaction waits for the TU before sending 100 Trying itself
/// (RFC 3261 §17.2.1: "unless it knows that the TU will generate a provisional or final response
/// within 200 ms"). Not derived from T1 in the RFC, so not configurable here either.
pub const TRYING_DELAY: Duration = Duration::from_millis(200);

/// Timer D on unreliable transports: "at least 32 seconds" (RFC 3261 §17.1.1.2, Table 4), the
/// longest a server may keep retransmitting its final response (64*T1 with the default T1).
const TIMER_D_UNRELIABLE: Duration = Duration::from_secs(32);

impl TimerConfig {
    /// 64*T1: timers B, F, H, J (on UDP), and RFC 6026's L and M.
    pub fn timeout(&self) -> Duration {
        self.t1 * 64
    }

    /// Timer D: how long a completed client INVITE transaction absorbs retransmitted final responses.
    pub fn timer_d(&self, transport: TransportKind) -> Duration {
        if transport.is_reliable() {
            Duration::ZERO
        } else {
            TIMER_D_UNRELIABLE
        }
    }

    /// Timers I and K: T4 on UDP, zero on reliable transports (no retransmissions to absorb).
    pub fn linger(&self, transport: TransportKind) -> Duration {
        if transport.is_reliable() {
            Duration::ZERO
        } else {
            self.t4
        }
    }

    /// Timer J: 64*T1 on UDP (the client may retransmit that long), zero on reliable transports.
    pub fn timer_j(&self, transport: TransportKind) -> Duration {
        if transport.is_reliable() {
            Duration::ZERO
        } else {
            self.timeout()
        }
    }
}

/// One retransmission timer (A, E or G): when it fires next and the interval it was armed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retransmit {
    pub(crate) at: Instant,
    pub(crate) interval: Duration,
}

impl Retransmit {
    /// Armed for the first time: fires T1 after `now`.
    pub(crate) fn start(now: Instant, config: &TimerConfig) -> Retransmit {
        Retransmit {
            at: now + config.t1,
            interval: config.t1,
        }
    }

    /// Re-armed after firing, doubling the interval (timer A, RFC 3261 §17.1.1.2: no cap).
    pub(crate) fn doubled(self, now: Instant) -> Retransmit {
        let interval = self.interval * 2;
        Retransmit {
            at: now + interval,
            interval,
        }
    }

    /// Re-armed after firing, doubling up to T2 (timers E and G, §17.1.2.2 and §17.2.1).
    pub(crate) fn doubled_up_to(self, now: Instant, cap: Duration) -> Retransmit {
        let interval = (self.interval * 2).min(cap);
        Retransmit {
            at: now + interval,
            interval,
        }
    }

    /// Re-armed with a fixed interval (timer E in Proceeding: T2, §17.1.2.2).
    pub(crate) fn fixed(now: Instant, interval: Duration) -> Retransmit {
        Retransmit {
            at: now + interval,
            interval,
        }
    }
}

/// The earliest of a machine's armed deadlines.
pub(crate) fn earliest(deadlines: &[Option<Instant>]) -> Option<Instant> {
    deadlines.iter().flatten().min().copied()
}

/// True when a deadline is armed and has passed.
pub(crate) fn fired(deadline: Option<Instant>, now: Instant) -> bool {
    deadline.is_some_and(|at| at <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_values_are_rfc_3261_table_4() {
        let config = TimerConfig::default();
        assert_eq!(config.timeout(), Duration::from_secs(32));
        assert_eq!(config.timer_d(TransportKind::Udp), Duration::from_secs(32));
        assert_eq!(config.timer_d(TransportKind::Tcp), Duration::ZERO);
        assert_eq!(config.linger(TransportKind::Udp), Duration::from_secs(5));
        assert_eq!(config.linger(TransportKind::Wss), Duration::ZERO);
        assert_eq!(config.timer_j(TransportKind::Udp), Duration::from_secs(32));
        assert_eq!(config.timer_j(TransportKind::Tls), Duration::ZERO);
    }

    #[test]
    fn capped_backoff_doubles_until_t2() {
        let config = TimerConfig::default();
        let base = Instant::now();
        let mut timer = Retransmit::start(base, &config);
        let mut intervals = vec![timer.interval];
        for _ in 0..5 {
            timer = timer.doubled_up_to(timer.at, config.t2);
            intervals.push(timer.interval);
        }
        let ms: Vec<u128> = intervals.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [500, 1000, 2000, 4000, 4000, 4000]);
    }
}
