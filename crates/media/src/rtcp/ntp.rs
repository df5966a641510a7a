//! NTP timestamps as RTCP uses them (RFC 3550 §4): 64-bit 32.32 fixed point seconds since
//! 1900, and the 32-bit "middle" 16.16 form used by LSR/DLSR (RFC 3550 §6.4.1).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// A 64-bit NTP timestamp: seconds since 1900 in the high 32 bits, fraction in the low 32.
///
/// Wallclock is passed in by the caller (sans-IO); [`NtpTime::from_system_time`] converts a
/// value the caller read, it does not read the clock itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// Converts a wallclock reading (times before 1970 read as 1970).
    pub fn from_system_time(time: SystemTime) -> Self {
        let since_unix = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Self::from_unix(since_unix)
    }

    /// Converts a duration since the Unix epoch (NTP era 0 wraps in 2036; the value wraps with it,
    /// as every RTCP implementation does).
    pub fn from_unix(since_unix: Duration) -> Self {
        let seconds = since_unix.as_secs().wrapping_add(NTP_UNIX_OFFSET);
        let fraction = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
        Self(seconds << 32 | fraction)
    }

    /// The middle 32 bits (16.16 seconds): the LSR field and RTT arithmetic (RFC 3550 §6.4.1).
    pub fn middle32(self) -> u32 {
        (self.0 >> 16) as u32
    }

    /// Whole seconds since 1900 (high word).
    pub fn seconds(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// Fraction of a second in 1/2^32 units (low word).
    pub fn fraction(self) -> u32 {
        self.0 as u32
    }

    /// Builds a timestamp from its two words.
    pub fn from_parts(seconds: u32, fraction: u32) -> Self {
        Self(u64::from(seconds) << 32 | u64::from(fraction))
    }
}

/// A duration in 1/65536 s units (the DLSR field), saturating at `u32::MAX` (~18 h).
pub fn ntp_short_from_duration(duration: Duration) -> u32 {
    let units = duration.as_nanos() * 65_536 / 1_000_000_000;
    u32::try_from(units).unwrap_or(u32::MAX)
}

/// 1/65536 s units (LSR/DLSR arithmetic) as a duration.
pub fn ntp_short_to_duration(units: u32) -> Duration {
    Duration::from_nanos(u64::from(units) * 1_000_000_000 / 65_536)
}
