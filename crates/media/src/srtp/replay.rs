//! Replay protection and index tracking per SSRC (RFC 3711 §3.3.1, §3.3.2, Appendix A).

/// How many indices behind the highest one are still checked. RFC 3711 §3.3.2 asks for at
/// least 64; 128 tolerates the reordering of a jittery Wi-Fi link at 50 packets/s.
pub const REPLAY_WINDOW: u64 = 128;

/// A sliding window over packet indices: the highest authenticated index and a bitmap of
/// which of the [`REPLAY_WINDOW`] indices at and below it were received.
///
/// For SRTP the highest index is also the receiver's `ROC || s_l` of §3.3.1.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReplayWindow {
    highest: Option<u64>,
    /// Bit `d` set: index `highest - d` was accepted.
    seen: u128,
}

/// Why [`ReplayWindow::check`] refused an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    Replayed,
    TooOld,
}

impl ReplayWindow {
    /// The 48-bit index of a packet with sequence number `seq` (RFC 3711 Appendix A): choose
    /// the ROC `v` in {ROC-1, ROC, ROC+1} that puts the index closest to `s_l`. `None` when
    /// that is ROC-1 of ROC 0 (a packet from before the stream began) or ROC+1 of 2^32-1.
    pub(crate) fn estimate_index(&self, seq: u16) -> Option<u64> {
        let Some(highest) = self.highest else {
            // The first packet: ROC 0, s_l = SEQ (§3.3.1).
            return Some(u64::from(seq));
        };
        let roc = highest >> 16;
        let s_l = (highest & 0xFFFF) as u16;
        let v = if s_l < 0x8000 {
            if seq > s_l && seq - s_l > 0x8000 {
                roc.checked_sub(1)?
            } else {
                roc
            }
        } else if s_l - 0x8000 > seq {
            roc + 1
        } else {
            roc
        };
        (v <= u64::from(u32::MAX)).then_some((v << 16) | u64::from(seq))
    }

    /// Whether `index` may be processed (§3.3.2, step 2 of §3.3): new or inside the window
    /// and not yet seen. Check before authenticating; [`Self::accept`] only after.
    pub(crate) fn check(&self, index: u64) -> Result<(), Refusal> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if index > highest {
            return Ok(());
        }
        let delta = highest - index;
        if delta >= REPLAY_WINDOW {
            Err(Refusal::TooOld)
        } else if (self.seen >> delta) & 1 == 1 {
            Err(Refusal::Replayed)
        } else {
            Ok(())
        }
    }

    /// Records an authenticated `index`, sliding the window (and so ROC and `s_l`) forward
    /// when it is the new highest (§3.3.1 step 6 of §3.3).
    pub(crate) fn accept(&mut self, index: u64) {
        match self.highest {
            Some(highest) if index <= highest => {
                let delta = highest - index;
                if delta < REPLAY_WINDOW {
                    self.seen |= 1 << delta;
                }
            }
            Some(highest) => {
                let shift = index - highest;
                self.seen = if shift >= REPLAY_WINDOW {
                    0
                } else {
                    self.seen << shift
                };
                self.seen |= 1;
                self.highest = Some(index);
            }
            None => {
                self.seen = 1;
                self.highest = Some(index);
            }
        }
    }

    /// The highest index accepted so far.
    #[cfg(test)]
    pub(crate) fn highest(&self) -> Option<u64> {
        self.highest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window_at(index: u64) -> ReplayWindow {
        let mut window = ReplayWindow::default();
        window.accept(index);
        window
    }

    #[test]
    fn first_packet_starts_roc_at_zero() {
        assert_eq!(ReplayWindow::default().estimate_index(0xFFF0), Some(0xFFF0));
    }

    #[test]
    fn estimates_follow_rfc3711_appendix_a() {
        // s_l in the upper half, SEQ far below: the sender wrapped, ROC + 1.
        assert_eq!(window_at(0xFFF0).estimate_index(0x0005), Some(0x1_0005));
        // s_l in the lower half, SEQ far above: a late packet from before the wrap, ROC - 1.
        assert_eq!(window_at(0x3_0005).estimate_index(0xFFF0), Some(0x2_FFF0));
        // Nearby in either direction keeps ROC.
        assert_eq!(window_at(0x3_8000).estimate_index(0x7FF0), Some(0x3_7FF0));
        assert_eq!(window_at(0x3_0010).estimate_index(0x0001), Some(0x3_0001));
        // ROC - 1 of ROC 0 does not exist.
        assert_eq!(window_at(0x0005).estimate_index(0xFFF0), None);
        // ROC + 1 beyond 2^32 - 1 does not either.
        assert_eq!(
            window_at((u64::from(u32::MAX) << 16) | 0xFFF0).estimate_index(3),
            None
        );
    }

    #[test]
    fn duplicates_are_refused_and_reordered_packets_accepted() {
        let mut window = window_at(1000);
        assert_eq!(window.check(1000), Err(Refusal::Replayed));
        assert_eq!(window.check(999), Ok(()));
        window.accept(999);
        assert_eq!(window.check(999), Err(Refusal::Replayed));
        assert_eq!(window.check(1000 - REPLAY_WINDOW + 1), Ok(()));
        assert_eq!(window.check(1000 - REPLAY_WINDOW), Err(Refusal::TooOld));
        window.accept(1200);
        assert_eq!(window.check(1000), Err(Refusal::TooOld));
        assert_eq!(window.check(1199), Ok(()));
        assert_eq!(window.check(1200), Err(Refusal::Replayed));
        assert_eq!(window.highest(), Some(1200));
    }

    #[test]
    fn a_jump_of_exactly_the_window_forgets_everything_before() {
        let mut window = window_at(10);
        window.accept(10 + REPLAY_WINDOW - 1);
        assert_eq!(window.check(10), Err(Refusal::Replayed));
        window.accept(10 + REPLAY_WINDOW + 5);
        assert_eq!(window.check(10), Err(Refusal::TooOld));
        assert_eq!(window.check(10 + REPLAY_WINDOW - 1), Err(Refusal::Replayed));
        assert_eq!(window.check(10 + REPLAY_WINDOW), Ok(()));
    }
}
