//! The packet store: a fixed ring of slots indexed by extended sequence number, with every
//! payload copied into one buffer allocated up front. Pushing and popping never allocate, and a
//! slot remembers the sequence number it last held after it was played or concealed: that tells
//! a duplicate of a played packet from a late one, and a late one after a dry buffer (underrun)
//! from a plain loss.

/// What a slot knows about the sequence number it last held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    /// The packet waits to be played.
    Waiting,
    /// The packet was played (or dropped to shrink the delay).
    Played,
    /// The frame was concealed without the packet; `dry` if nothing at all was buffered then.
    Missed {
        dry: bool,
    },
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// Extended sequence number last stored or missed here; `i64::MIN` when never used.
    seq: i64,
    /// Extended RTP timestamp.
    ts: i64,
    len: usize,
    state: State,
}

const UNUSED: Slot = Slot {
    seq: i64::MIN,
    ts: 0,
    len: 0,
    state: State::Free,
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
    /// Slots in `State::Waiting`.
    waiting: usize,
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
            waiting: 0,
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
    pub(super) fn waiting(&self) -> usize {
        self.waiting
    }

    fn index(&self, seq: i64) -> usize {
        (seq as u64 as usize) & self.mask
    }

    /// The waiting packet with this sequence number, if any.
    pub(super) fn get(&self, seq: i64) -> Option<Stored> {
        let slot = &self.slots[self.index(seq)];
        (slot.state == State::Waiting && slot.seq == seq).then_some(Stored { ts: slot.ts })
    }

    /// True if this sequence number was stored (waiting or already played) and not overwritten.
    pub(super) fn seen(&self, seq: i64) -> bool {
        let slot = &self.slots[self.index(seq)];
        slot.seq == seq && matches!(slot.state, State::Waiting | State::Played)
    }

    /// True if the frame `seq` was concealed while the buffer was dry, so its late arrival is an
    /// underrun rather than a loss.
    pub(super) fn missed_dry(&self, seq: i64) -> bool {
        let slot = &self.slots[self.index(seq)];
        slot.seq == seq && slot.state == State::Missed { dry: true }
    }

    /// Stores a packet; the caller has checked that `seq` is inside the window (so a waiting
    /// packet in the same slot can only be one the window has passed).
    pub(super) fn store(&mut self, seq: i64, ts: i64, payload: &[u8]) {
        let index = self.index(seq);
        let len = payload.len().min(self.max_payload);
        let start = index * self.max_payload;
        self.data[start..start + len].copy_from_slice(&payload[..len]);
        self.put(
            index,
            Slot {
                seq,
                ts,
                len,
                state: State::Waiting,
            },
        );
    }

    /// Moves the packet held on probation into its slot.
    pub(super) fn store_spare(&mut self, seq: i64, ts: i64) {
        let index = self.index(seq);
        let len = self.spare_len;
        let start = index * self.max_payload;
        self.data[start..start + len].copy_from_slice(&self.spare[..len]);
        self.put(
            index,
            Slot {
                seq,
                ts,
                len,
                state: State::Waiting,
            },
        );
        self.spare_len = 0;
    }

    pub(super) fn hold_spare(&mut self, payload: &[u8]) {
        let len = payload.len().min(self.max_payload);
        self.spare[..len].copy_from_slice(&payload[..len]);
        self.spare_len = len;
    }

    /// Marks a waiting packet as played (it stays known for duplicate detection).
    pub(super) fn consume(&mut self, seq: i64) {
        let index = self.index(seq);
        let slot = self.slots[index];
        if slot.state == State::Waiting && slot.seq == seq {
            self.put(
                index,
                Slot {
                    state: State::Played,
                    ..slot
                },
            );
        }
    }

    /// Records that the frame `seq` was concealed; `dry` when nothing was buffered at the time.
    pub(super) fn mark_missed(&mut self, seq: i64, dry: bool) {
        let index = self.index(seq);
        self.put(
            index,
            Slot {
                seq,
                ts: 0,
                len: 0,
                state: State::Missed { dry },
            },
        );
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

    /// Forgets every slot. The spare stays: a confirmed jump clears the pool, then stores it.
    pub(super) fn clear(&mut self) {
        self.slots.fill(UNUSED);
        self.waiting = 0;
    }

    /// Replaces a slot, keeping the count of waiting packets.
    fn put(&mut self, index: usize, slot: Slot) {
        let was_waiting = self.slots[index].state == State::Waiting;
        let is_waiting = slot.state == State::Waiting;
        self.waiting = self.waiting + usize::from(is_waiting) - usize::from(was_waiting);
        self.slots[index] = slot;
    }
}
