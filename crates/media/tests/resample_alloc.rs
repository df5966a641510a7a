//! The media loop must not touch the heap in steady state: count allocations made on this
//! thread while resampling (and Opus-coding) many 10 ms frames after warm-up.
//!
//! A counting global allocator needs `unsafe impl GlobalAlloc`; it only delegates to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use dialtone_media::codec::opus::{OpusConfig, OpusDecoder, OpusEncoder, MAX_PACKET_BYTES};
use dialtone_media::resample::{DriftResampler, FixedSide, Resampler};

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the thread-local counter
// is const-initialised, so touching it never allocates or recurses.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

#[test]
fn steady_state_resampling_and_opus_coding_do_not_allocate() {
    let mut fixed: Vec<Resampler> = [
        (48_000, 8_000),
        (8_000, 48_000),
        (48_000, 44_100),
        (44_100, 48_000),
        (48_000, 48_000),
    ]
    .into_iter()
    .map(|(a, b)| Resampler::new(a, b).expect("rate pair"))
    .collect();
    let mut play = DriftResampler::new(48_000, 44_100, FixedSide::Input).expect("drift");
    let mut capture = DriftResampler::new(44_100, 48_000, FixedSide::Output).expect("drift");
    let mut enc = OpusEncoder::new(OpusConfig::default()).expect("encoder");
    let mut dec = OpusDecoder::new(false).expect("decoder");

    let input = vec![0.25f32; 960];
    let mut output = vec![0.0f32; 2048];
    let pcm = vec![1000i16; 960];
    let mut packet = vec![0u8; MAX_PACKET_BYTES];
    let mut decoded = vec![0i16; 960];

    let mut tick = |i: usize| {
        for r in &mut fixed {
            let (n_in, n_out) = (r.input_len(), r.output_len());
            r.process(&input[..n_in], &mut output[..n_out])
                .expect("process");
        }
        play.set_drift(if i.is_multiple_of(2) { 0.001 } else { -0.001 })
            .expect("drift");
        let need = play.input_frames_next();
        play.process(&input[..need], &mut output).expect("play");
        let need = capture.input_frames_next();
        capture
            .process(&input[..need], &mut output)
            .expect("capture");
        if i.is_multiple_of(2) {
            let n = enc.encode(&pcm, &mut packet).expect("encode");
            if i.is_multiple_of(10) {
                dec.conceal(&mut decoded).expect("conceal");
                let _ = dec.decode_fec(&packet[..n], &mut decoded);
            }
            dec.decode(&packet[..n], &mut decoded).expect("decode");
        }
    };
    for i in 0..20 {
        tick(i); // warm-up: lazily sized internals settle
    }
    let n = allocations_during(|| (20..520).for_each(&mut tick));
    // The counter works: one boxed value is one allocation.
    assert_eq!(
        allocations_during(|| drop(std::hint::black_box(Box::new(7u64)))),
        1
    );
    assert_eq!(n, 0, "{n} heap allocations in 500 steady-state 10 ms ticks");
}
