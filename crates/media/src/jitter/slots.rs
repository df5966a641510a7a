//! The packet store: a fixed ring of slots indexed by extended sequence number, with every
//! payload copied into one buffer allocated up front. Pushing and popping never allocate, and a
//! slot keeps the sequence number it last held after being played, which is how a duplicate of
//! an already played packet is told apart from a late one.

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// Extended sequence number last stored here; `i64::MIN` when never used.
    seq: i64,
    /// Extended RTP timestamp.
    ts: i64,
    len: usize,
    /// True while the packet waits to be played.
    filled: bool,
}

const UNUSED: Slot = Slot {
    seq: i64::MIN,
    ts: 0,
    len: 0,
    filled: false,
};

/// A stored packet's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stored {
    pub(super) ts: i64,
}

#[derive(Clone, Debug)]
pub(super) struct SlotPool {
    slots: Vec<Slot>,
    data: Vec<u8>,
    max_payload: usize,
    mask: usize,
    filled: usize,
    /// One extra payload buffer for a packet held on probation (a suspected stream jump).
    spare: Vec<u8>,
    spare_len: usize,
}

impl SlotPool {
    /// `count` is rounded up to a power of two.
    pub(super) fn new(count: usize, max_payload: usize) -> Self {
        let count = count.max(2).next_power_of_two();
        Self {
            slots: vec![UNUSED; count],
            data: vec![0; count * max_payload],
            max_payload,
            mask: count - 1,
            filled: 0,
            spare: vec![0; max_payload],
            spare_len: 0,
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// Packets waiting to be played.
    pub(super) fn filled(&self) -> usize {
        self.filled
    }

    fn index(&self, seq: i64) -> usize {
        (seq as u64 as usize) & self.mask
    }

    /// The waiting packet with this sequence number, if any.
    pub(super) fn get(&self, seq: i64) -> Option<Stored> {
        let slot = &self.slots[self.index(seq)];
        (slot.filled && slot.seq == seq).then_some(Stored { ts: slot.ts })
    }

    /// True if this sequence number was stored (waiting or already played) and not overwritten.
    pub(super) fn seen(&self, seq: i64) -> bool {
        self.slots[self.index(seq)].seq == seq
    }

    /// Stores a packet; the caller has checked that `seq` is inside the window and
    /// `payload.len() <= max_payload`. A still-waiting packet in the same slot is overwritten
    /// (it can only be one the window has passed).
    pub(super) fn store(&mut self, seq: i64, ts: i64, payload: &[u8]) {
        let index = self.index(seq);
        let len = payload.len().min(self.max_payload);
        let start = index * self.max_payload;
        self.data[start..start + len].copy_from_slice(&payload[..len]);
        let slot = &mut self.slots[index];
        if !slot.filled {
            self.filled += 1;
        }
        *slot = Slot {
            seq,
            ts,
            len,
            filled: true,
        };
    }

    /// Marks a waiting packet as played (it stays known for duplicate detection).
    pub(super) fn consume(&mut self, seq: i64) {
        let index = self.index(seq);
        let slot = &mut self.slots[index];
        if slot.filled && slot.seq == seq {
            slot.filled = false;
            self.filled -= 1;
        }
    }

    /// The payload of a stored packet (waiting or played); empty if the slot holds another.
    pub(super) fn payload(&self, seq: i64) -> &[u8] {
        let index = self.index(seq);
        let slot = &self.slots[index];
        if slot.seq != seq {
            return &[];
        }
        let start = index * self.max_payload;
        &self.data[start..start + slot.len]
    }

    pub(super) fn clear(&mut self) {
        self.slots.fill(UNUSED);
        self.filled = 0;
        self.spare_len = 0;
    }

    pub(super) fn hold_spare(&mut self, payload: &[u8]) {
        let len = payload.len().min(self.max_payload);
        self.spare[..len].copy_from_slice(&payload[..len]);
        self.spare_len = len;
    }

    /// Moves the held packet into its slot.
    pub(super) fn store_spare(&mut self, seq: i64, ts: i64) {
        let index = self.index(seq);
        let len = self.spare_len;
        let start = index * self.max_payload;
        self.data[start..start + len].copy_from_slice(&self.spare[..len]);
        let slot = &mut self.slots[index];
        if !slot.filled {
            self.filled += 1;
        }
        *slot = Slot {
            seq,
            ts,
            len,
            filled: true,
        };
        self.spare_len = 0;
    }
}
