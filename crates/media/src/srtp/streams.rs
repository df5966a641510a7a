//! Per-SSRC state, created on first use (RFC 3711 §3.2.3: one cryptographic context per SSRC
//! under a shared master key).

use std::collections::HashMap;

/// How many SSRCs one direction of a context remembers. A call has one or two; PBXs that
/// switch media sources add a few over a long call. Beyond this the least recently used
/// stream is forgotten. Only authenticated packets create receive streams, so only the key
/// holder can cause that; the cost is that a forgotten stream's old packets would pass the
/// replay check once more if replayed.
pub const MAX_STREAMS: usize = 64;

/// State of type `S` per SSRC with least-recently-used eviction.
#[derive(Debug)]
pub(crate) struct Streams<S> {
    entries: HashMap<u32, Entry<S>>,
    clock: u64,
}

#[derive(Debug)]
struct Entry<S> {
    state: S,
    last_used: u64,
}

impl<S: Default> Streams<S> {
    pub(crate) fn new() -> Self {
        Self {
            entries: HashMap::new(),
            clock: 0,
        }
    }

    /// The state of `ssrc`, if it has any yet.
    pub(crate) fn get(&self, ssrc: u32) -> Option<&S> {
        self.entries.get(&ssrc).map(|entry| &entry.state)
    }

    /// The state of `ssrc`, created (evicting the least recently used stream when full) if new.
    pub(crate) fn get_or_create(&mut self, ssrc: u32) -> &mut S {
        self.clock += 1;
        if !self.entries.contains_key(&ssrc) && self.entries.len() >= MAX_STREAMS {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(ssrc, _)| *ssrc);
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        let entry = self.entries.entry(ssrc).or_insert_with(|| Entry {
            state: S::default(),
            last_used: 0,
        });
        entry.last_used = self.clock;
        &mut entry.state
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used_stream_when_full() {
        let mut streams = Streams::<u32>::new();
        for ssrc in 0..MAX_STREAMS as u32 {
            *streams.get_or_create(ssrc) = ssrc + 100;
        }
        streams.get_or_create(0); // 0 is now the most recent; 1 the oldest
        streams.get_or_create(1000);
        assert_eq!(streams.len(), MAX_STREAMS);
        assert_eq!(streams.get(0), Some(&100));
        assert_eq!(streams.get(1), None);
        assert_eq!(streams.get(1000), Some(&0));
    }
}
