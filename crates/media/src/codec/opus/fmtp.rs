//! The Opus SDP format parameters (RFC 7587 §6.1) and what they mean for our encoder.
//!
//! The fmtp line a peer sends describes what *it* wants to receive, so these values steer our
//! encoder: `maxplaybackrate` caps the coded bandwidth, `maxaveragebitrate` caps the bitrate,
//! `stereo` says whether stereo is welcome, `useinbandfec` whether FEC is worth its bits,
//! `ptime`/`maxptime` the packet duration. `sprop-*` values describe the peer's own sending
//! side and are kept for information only.

use super::{FrameDuration, OpusConfig};

/// Parsed `a=fmtp:<pt> ...` parameters for Opus. `None` means "absent" (RFC default applies).
///
/// Parsing is lenient on purpose: the line comes from the network, and one odd parameter must
/// not cost the call, so unknown keys and unparsable values are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpusParams {
    /// Highest sample rate the receiver will play (Hz): caps our coded bandwidth.
    pub max_playback_rate: Option<u32>,
    /// Highest rate the sender captures at (Hz): a hint about the peer's stream.
    pub sprop_max_capture_rate: Option<u32>,
    /// Receiver prefers stereo (`stereo=1`).
    pub stereo: Option<bool>,
    /// Sender is likely to send stereo (`sprop-stereo=1`).
    pub sprop_stereo: Option<bool>,
    /// Receiver can use in-band FEC (`useinbandfec=1`).
    pub use_inband_fec: Option<bool>,
    /// Receiver prefers DTX (`usedtx=1`).
    pub use_dtx: Option<bool>,
    /// Receiver prefers constant bitrate (`cbr=1`).
    pub cbr: Option<bool>,
    /// Upper bound on the average bitrate the receiver wants (bit/s).
    pub max_average_bitrate: Option<u32>,
    /// Preferred packet duration (ms); properly an `a=ptime` attribute, accepted here too.
    pub ptime: Option<u32>,
    /// Shortest packet duration the receiver accepts (ms).
    pub min_ptime: Option<u32>,
    /// Longest packet duration the receiver accepts (ms).
    pub max_ptime: Option<u32>,
}

fn flag(v: &str) -> Option<bool> {
    match v {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

impl OpusParams {
    /// Parse the parameter part of an fmtp line: `"maxplaybackrate=16000;useinbandfec=1"`.
    /// A leading `a=fmtp:111 ` or `111 ` is tolerated. Keys are case-insensitive.
    pub fn from_fmtp(fmtp: &str) -> Self {
        let mut s = fmtp.trim();
        if let Some(rest) = s.strip_prefix("a=fmtp:") {
            s = rest;
        }
        // Drop a leading payload type ("111 ...").
        if let Some((pt, rest)) = s.split_once(char::is_whitespace) {
            if pt.bytes().all(|b| b.is_ascii_digit()) {
                s = rest;
            }
        }
        let mut p = Self::default();
        for item in s.split(';') {
            let Some((key, value)) = item.split_once('=') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            let num = || value.parse::<u32>().ok();
            match key.as_str() {
                "maxplaybackrate" => p.max_playback_rate = num(),
                "sprop-maxcapturerate" => p.sprop_max_capture_rate = num(),
                "stereo" => p.stereo = flag(value),
                "sprop-stereo" => p.sprop_stereo = flag(value),
                "useinbandfec" => p.use_inband_fec = flag(value),
                "usedtx" => p.use_dtx = flag(value),
                "cbr" => p.cbr = flag(value),
                "maxaveragebitrate" => p.max_average_bitrate = num(),
                "ptime" => p.ptime = num(),
                "minptime" => p.min_ptime = num(),
                "maxptime" => p.max_ptime = num(),
                _ => {}
            }
        }
        p
    }

    /// Print as an fmtp parameter list (no `a=fmtp:<pt>` prefix), in a fixed order.
    /// `from_fmtp(p.to_fmtp()) == p` for every `p`.
    pub fn to_fmtp(&self) -> String {
        let b = |v: bool| if v { "1" } else { "0" };
        let mut parts: Vec<String> = Vec::new();
        let mut num = |k: &str, v: Option<u32>| {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        };
        num("maxplaybackrate", self.max_playback_rate);
        num("sprop-maxcapturerate", self.sprop_max_capture_rate);
        num("maxaveragebitrate", self.max_average_bitrate);
        num("ptime", self.ptime);
        num("minptime", self.min_ptime);
        num("maxptime", self.max_ptime);
        for (k, v) in [
            ("stereo", self.stereo),
            ("sprop-stereo", self.sprop_stereo),
            ("useinbandfec", self.use_inband_fec),
            ("usedtx", self.use_dtx),
            ("cbr", self.cbr),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={}", b(v)));
            }
        }
        parts.join(";")
    }

    /// Our encoder settings adjusted to what the peer asked to receive.
    ///
    /// * `maxplaybackrate` lowers the coded bandwidth (we still run the codec at 48 kHz).
    /// * `maxaveragebitrate` caps the bitrate (RFC 7587 range 6000..=510000).
    /// * `stereo=1` is allowed but does not switch us to stereo: microphones are mono and a
    ///   stereo stream costs bits for nothing; `stereo=0` forces mono.
    /// * `useinbandfec=0` turns FEC off; absent keeps our default (on), since FEC is harmless to
    ///   a peer that ignores it and browsers, baresip and Yeastar all use it.
    /// * `cbr=1` turns VBR off. `usedtx` is ignored: DTX stays off so that the far end's jitter
    ///   buffer and our loss statistics always see a steady packet stream.
    /// * `ptime` picks the nearest supported frame duration within `minptime..=maxptime`.
    pub fn apply_to(&self, mut config: OpusConfig) -> OpusConfig {
        if let Some(rate) = self.max_playback_rate {
            config.max_playback_rate = config.max_playback_rate.min(rate);
        }
        if let Some(max) = self.max_average_bitrate {
            config.bitrate_bps = config.bitrate_bps.min(max.clamp(6_000, 510_000));
        }
        if self.stereo == Some(false) {
            config.stereo = false;
        }
        if self.use_inband_fec == Some(false) {
            config.inband_fec = false;
        }
        if self.cbr == Some(true) {
            config.vbr = false;
        }
        if let Some(ptime) = self.ptime {
            let lo = self.min_ptime.unwrap_or(0);
            let hi = self.max_ptime.unwrap_or(u32::MAX);
            let best = FrameDuration::ALL
                .into_iter()
                .filter(|d| (lo..=hi).contains(&d.millis()))
                .min_by_key(|d| d.millis().abs_diff(ptime));
            if let Some(d) = best {
                config.frame = d;
            }
        } else if let Some(hi) = self.max_ptime {
            if config.frame.millis() > hi {
                if let Some(d) = FrameDuration::ALL
                    .into_iter()
                    .filter(|d| d.millis() <= hi)
                    .max_by_key(|d| d.millis())
                {
                    config.frame = d;
                }
            }
        }
        config
    }
}
