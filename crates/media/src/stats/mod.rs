//! Call-quality statistics (RFC 3550 §6.4, A.1, A.3, A.8): per-source reception state
//! ([`ReceiveStats`]), our sender's counters and what the far end reports about them
//! ([`SendStats`], [`round_trip_time`]), and the Linkus SDK's quality `Report`
//! ([`CallQuality`], filled by [`QualityMeter`]).

mod quality;
mod receive;
mod send;
mod window;

pub use quality::{CallQuality, QualityMeter};
pub use receive::{ReceiveStats, SequenceVerdict};
pub use send::{round_trip_time, RemoteReception, SendStats};
