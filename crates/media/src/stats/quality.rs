//! The call-quality snapshot the Linkus SDK calls `Report` (`callReport`, every 3 s).

use std::fmt::Display;
use std::time::Instant;

use serde::{Serialize, Serializer};

use super::{ReceiveStats, SendStats};

/// One call's quality, shaped like the Linkus SDK's `Report` so a Linkus user recognises it:
/// the same camelCase keys, and — as in the SDK — every value serialised as a string.
///
/// Units (the SDK leaves some unstated): loss values are ratios `lost / (lost + received)` with
/// six decimals; jitter values are milliseconds (the SDK's "jitter × 1000" of a WebRTC jitter
/// in seconds); `lksDuration` is seconds. Video fields stay zero (Dialtone is audio-only).
///
/// Dialtone adds three keys the SDK lacks, in the same style: `lksAudioRtt` (ms, empty until
/// RTCP has measured one) and `lksAudioRxBitrate` / `lksAudioTxBitrate` (payload kbit/s over the
/// last interval).
///
/// The media engine fills the audio fields through [`QualityMeter::fill`]; `core` fills the
/// call's identity (`callId`, `extension`, dates, codec name, ICE result, network type).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallQuality {
    /// Call start, Unix milliseconds.
    #[serde(serialize_with = "display")]
    pub lks_timestamp: u64,
    /// Call start, local "YYYY-MM-DD hh:mm:ss".
    pub lks_date: String,
    pub call_id: String,
    /// Our own extension.
    pub extension: String,
    /// "local" (host), "public" (srflx/prflx) or "turn" (relay); "local" for plain RTP.
    pub ice_result: String,
    pub lks_network_type: String,
    /// Client kind; the SDK only knows "Web".
    pub lks_device_type: String,
    /// Media duration in seconds.
    #[serde(serialize_with = "display")]
    pub lks_duration: f64,
    pub lks_audio_codec: String,
    pub lks_video_codec: String,
    /// Packets received.
    #[serde(serialize_with = "display")]
    pub lks_audio_rx: u64,
    /// Receive loss ratio.
    #[serde(serialize_with = "ratio")]
    pub lks_audio_rx_lost: f64,
    /// Largest receive jitter, ms.
    #[serde(serialize_with = "millis")]
    pub lks_audio_rx_maxjitter: f64,
    /// Current receive jitter, ms.
    #[serde(serialize_with = "millis")]
    pub lks_audio_rx_avgjitter: f64,
    /// Packets sent.
    #[serde(serialize_with = "display")]
    pub lks_audio_tx: u64,
    /// Send loss ratio, as the far end reported it.
    #[serde(serialize_with = "ratio")]
    pub lks_audio_tx_lost: f64,
    /// Largest jitter the far end reported, ms.
    #[serde(serialize_with = "millis")]
    pub lks_audio_tx_maxjitter: f64,
    /// The far end's latest jitter, ms.
    #[serde(serialize_with = "millis")]
    pub lks_audio_tx_avgjitter: f64,
    #[serde(serialize_with = "display")]
    pub lks_video_rx: u64,
    #[serde(serialize_with = "ratio")]
    pub lks_video_rx_lost: f64,
    #[serde(serialize_with = "millis")]
    pub lks_video_rx_maxjitter: f64,
    #[serde(serialize_with = "millis")]
    pub lks_video_rx_avgjitter: f64,
    #[serde(serialize_with = "display")]
    pub lks_video_tx: u64,
    #[serde(serialize_with = "ratio")]
    pub lks_video_tx_lost: f64,
    #[serde(serialize_with = "millis")]
    pub lks_video_tx_maxjitter: f64,
    #[serde(serialize_with = "millis")]
    pub lks_video_tx_avgjitter: f64,
    /// Dialtone addition: round-trip time from RTCP, ms.
    #[serde(serialize_with = "optional_millis")]
    pub lks_audio_rtt: Option<f64>,
    /// Dialtone addition: received payload bitrate, kbit/s.
    #[serde(serialize_with = "kbps")]
    pub lks_audio_rx_bitrate: f64,
    /// Dialtone addition: sent payload bitrate, kbit/s.
    #[serde(serialize_with = "kbps")]
    pub lks_audio_tx_bitrate: f64,
}

/// Turns the RTP statistics of one call into the audio fields of a [`CallQuality`]; keeps the
/// previous octet counts so bitrates cover the interval since the last snapshot.
#[derive(Debug, Clone, Default)]
pub struct QualityMeter {
    previous: Option<(Instant, u64, u64)>,
}

impl QualityMeter {
    /// Fills the audio fields of `report` from the stats at `now`. `rx` is `None` until the far
    /// end's stream has been heard.
    pub fn fill(
        &mut self,
        now: Instant,
        rx: Option<&ReceiveStats>,
        tx: &SendStats,
        report: &mut CallQuality,
    ) {
        let rx_octets = rx.map_or(0, ReceiveStats::octets);
        if let Some(rx) = rx {
            report.lks_audio_rx = rx.packets();
            let lost = rx.cumulative_lost().max(0) as u64;
            report.lks_audio_rx_lost = ratio_of(lost, lost + u64::from(rx.received()));
            report.lks_audio_rx_maxjitter = rx.max_jitter_ms();
            report.lks_audio_rx_avgjitter = rx.jitter_ms();
        }
        report.lks_audio_tx = tx.packets();
        if let Some(remote) = tx.remote() {
            // What the far end received of ours is what we sent minus what it lost.
            let lost = u64::try_from(remote.cumulative_lost).unwrap_or(0);
            report.lks_audio_tx_lost = ratio_of(lost, tx.packets().max(lost));
            report.lks_audio_tx_maxjitter = tx.remote_max_jitter_ms();
            report.lks_audio_tx_avgjitter = tx.remote_jitter_ms();
        }
        report.lks_audio_rtt = tx.rtt().map(|rtt| rtt.as_secs_f64() * 1000.0);
        if let Some((then, rx_before, tx_before)) = self.previous {
            let seconds = now.saturating_duration_since(then).as_secs_f64();
            if seconds > 0.0 {
                let kbps = |octets: u64| octets as f64 * 8.0 / seconds / 1000.0;
                report.lks_audio_rx_bitrate = kbps(rx_octets.saturating_sub(rx_before));
                report.lks_audio_tx_bitrate = kbps(tx.octets().saturating_sub(tx_before));
            }
        }
        self.previous = Some((now, rx_octets, tx.octets()));
    }
}

fn ratio_of(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn display<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Six decimals, as the SDK's loss ratios.
fn ratio<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{value:.6}"))
}

/// Milliseconds to 0.001 ms, printed like a JavaScript number ("12.5", "20").
fn millis<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&((value * 1000.0).round() / 1000.0))
}

fn optional_millis<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => millis(value, serializer),
        None => serializer.serialize_str(""),
    }
}

/// kbit/s to one decimal.
fn kbps<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&format_args!("{value:.1}"))
}
