//! The lock-free rings between device callbacks and the media side, and their latency policy.
//!
//! Each direction has one `rtrb` SPSC ring of mono `f32` samples at the *device* rate (the
//! media side resamples, see `resample.rs`). rtrb is wait-free for both ends and never
//! allocates after construction, which is what a device callback needs.
//!
//! Overrun policy ("drop oldest"): an SPSC producer cannot remove items, so the *consumer*
//! enforces the bound: before reading it checks the backlog and, when it exceeds
//! [`Backlog::limit`], skips the oldest samples down to [`Backlog::keep`]. A phone wants the
//! newest audio with bounded delay, not a complete but ever later stream. Only if the consumer
//! stalls long enough for the ring to fill completely does the producer drop the newest
//! samples (counted the same way). Underrun policy: the playback callback plays silence and
//! re-primes (waits for [`Backlog::prime`] samples) before it resumes, so one late frame
//! produces one gap instead of a series of crackles.

use rtrb::{Consumer, Producer, RingBuffer};

/// Ring capacity: one second at the device rate, far above any normal backlog.
pub(crate) fn new_ring(device_rate: u32) -> (Producer<f32>, Consumer<f32>) {
    RingBuffer::new(device_rate.max(8_000) as usize)
}

/// Backlog bounds in device samples, derived from the device rate and the largest callback
/// buffer seen (a device that delivers 100 ms chunks legitimately holds 100 ms at times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backlog {
    /// Playback starts (again) once this much is buffered.
    pub prime: usize,
    /// What is left after dropping the oldest audio.
    pub keep: usize,
    /// Above this the oldest audio is dropped.
    pub limit: usize,
}

impl Backlog {
    pub fn new(device_rate: u32, largest_chunk: usize) -> Self {
        let ms = |n: u32| (device_rate as usize * n as usize) / 1000;
        Self {
            prime: largest_chunk + ms(20),
            keep: largest_chunk + ms(40),
            limit: 2 * largest_chunk + ms(80),
        }
    }
}

/// Consumer side: drops the oldest samples when the backlog is over the limit.
/// Returns how many samples were dropped (0 normally).
pub(crate) fn trim_oldest(consumer: &mut Consumer<f32>, backlog: Backlog) -> usize {
    let available = consumer.slots();
    if available <= backlog.limit {
        return 0;
    }
    let drop = available - backlog.keep;
    match consumer.read_chunk(drop) {
        Ok(chunk) => {
            chunk.commit_all();
            drop
        }
        Err(_) => 0,
    }
}

/// Producer side: pushes what fits and returns how many samples did *not* fit (dropped newest).
pub(crate) fn push_iter(
    producer: &mut Producer<f32>,
    len: usize,
    samples: impl Iterator<Item = f32>,
) -> usize {
    let fit = len.min(producer.slots());
    if fit > 0 {
        if let Ok(chunk) = producer.write_chunk_uninit(fit) {
            chunk.fill_from_iter(samples.take(fit));
        }
    }
    len - fit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_reports_what_did_not_fit() {
        let (mut p, c) = RingBuffer::<f32>::new(10);
        assert_eq!(push_iter(&mut p, 6, std::iter::repeat(1.0)), 0);
        assert_eq!(push_iter(&mut p, 6, std::iter::repeat(2.0)), 2);
        assert_eq!(c.slots(), 10);
    }

    #[test]
    fn trimming_keeps_the_newest_samples() {
        let (mut p, mut c) = RingBuffer::<f32>::new(100);
        push_iter(&mut p, 90, (0..90).map(|i| i as f32));
        let backlog = Backlog {
            prime: 5,
            keep: 10,
            limit: 50,
        };
        assert_eq!(trim_oldest(&mut c, backlog), 80);
        assert_eq!(c.pop().ok(), Some(80.0), "the oldest were dropped");
        assert_eq!(
            trim_oldest(&mut c, backlog),
            0,
            "under the limit: nothing dropped"
        );
    }

    #[test]
    fn bounds_grow_with_the_device_chunk() {
        let small = Backlog::new(48_000, 480);
        assert_eq!((small.prime, small.keep, small.limit), (1440, 2400, 4800));
        let big = Backlog::new(48_000, 4800);
        assert!(big.limit > 2 * 4800 && big.keep > 4800 && big.prime > 4800);
    }
}
