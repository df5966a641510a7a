//! Which recent extended sequence numbers have arrived, to tell duplicates from reordering.

/// A bitmap of the last [`SeenWindow::SPAN`] extended sequence numbers up to the highest.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SeenWindow {
    top: i64,
    bits: u128,
}

impl SeenWindow {
    /// How far back duplicates are recognised.
    pub(super) const SPAN: i64 = 128;

    /// Forgets everything and marks `ext` as seen and highest.
    pub(super) fn reset(&mut self, ext: i64) {
        self.top = ext;
        self.bits = 1;
    }

    /// Marks `ext` as seen; returns false if it already was (a duplicate). Numbers older than
    /// the window cannot be judged and count as new.
    pub(super) fn mark(&mut self, ext: i64) -> bool {
        if ext > self.top {
            let shift = ext - self.top;
            self.bits = if shift >= Self::SPAN {
                0
            } else {
                self.bits << shift
            };
            self.bits |= 1;
            self.top = ext;
            return true;
        }
        let age = self.top - ext;
        if age >= Self::SPAN {
            return true;
        }
        let bit = 1u128 << age;
        let new = self.bits & bit == 0;
        self.bits |= bit;
        new
    }
}
