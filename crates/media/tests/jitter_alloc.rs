//! The receive path allocates nothing after construction: a counting global allocator watches
//! this thread while the jitter buffer and the G.711 decoder run through loss, reordering,
//! duplicates, an SSRC change, a sequence jump and concealment.

// A global allocator needs `unsafe impl`; it only forwards to the system allocator and counts.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use dialtone_media::codec::g711::{G711Decoder, G711Encoder, Law};
use dialtone_media::codec::{AudioDecoder, AudioEncoder};
use dialtone_media::jitter::{JitterBuffer, JitterConfig, Playout, RtpPacket};

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator that allocated it.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator that allocated it.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn push_pop_decode_and_conceal_never_allocate_after_construction() {
    let zero = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig {
        fec: true,
        ..JitterConfig::new(8000, Duration::from_millis(20))
    });
    let mut encoder = G711Encoder::new(Law::Mu, 160);
    let mut decoder = G711Decoder::new(Law::Mu, 160);
    let pcm: [i16; 160] = std::array::from_fn(|i| ((i as f32 * 0.2).sin() * 8000.0) as i16);
    let mut payload = [0u8; 160];
    let mut out = [0i16; 160];
    let mut played = 0u64;

    let before = allocations();
    let mut ssrc = 1u32;
    let mut seq = 65_000u16;
    for i in 0..6_000u64 {
        if i == 2_000 {
            ssrc = 2; // new stream
        }
        if i == 4_000 {
            seq = seq.wrapping_add(20_000); // sequence jump: probation, then reset
        }
        let arrival = zero + Duration::from_millis(20 * i + (i * 7919 % 60));
        assert!(encoder.encode(&pcm, &mut payload).is_ok());
        if i % 17 != 3 {
            let packet = RtpPacket {
                ssrc,
                sequence: seq,
                timestamp: (i as u32).wrapping_mul(160),
                payload: &payload,
            };
            jb.push(arrival, packet);
            if i % 50 == 0 {
                jb.push(arrival, packet); // duplicate
            }
        }
        seq = seq.wrapping_add(1);
        let decoded = match jb.pop(zero + Duration::from_millis(20 * i + 5)) {
            Playout::Packet(p) => {
                played += 1;
                decoder.decode(p, &mut out)
            }
            Playout::MissingWithFec(next) => match decoder.decode_fec(next, &mut out) {
                Some(result) => result,
                None => {
                    jb.fec_unusable();
                    decoder.conceal(&mut out)
                }
            },
            Playout::Missing => decoder.conceal(&mut out),
            Playout::Empty => Ok(0),
        };
        assert!(decoded.is_ok());
        let _ = jb.stats();
    }
    let after = allocations();
    assert_eq!(after - before, 0, "allocations on the receive path");
    // Positive control: the counter does see this thread's allocations.
    let control = std::hint::black_box(vec![0u8; 64]);
    assert!(allocations() > after && control.len() == 64);
    assert!(played > 5_000, "the scenario really played audio: {played}");
    let s = jb.stats();
    assert!(
        s.resets >= 2 && s.duplicates > 0 && s.concealed > 0,
        "{s:?}"
    );
}
