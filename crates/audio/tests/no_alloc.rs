//! Principle 3, checked: device callbacks never allocate. A counting global allocator counts
//! allocations (and frees) made on a thread while it is inside one of dialtone-audio's data
//! callbacks (`dialtone_audio::realtime::in_device_callback`), while real streams run on a
//! private PulseAudio: capture, playback with resampled frames, and the ringer.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{play_paced, pulse, wait_playback_running, wait_running};
use dialtone_audio::realtime::in_device_callback;
use dialtone_audio::{AudioIo, DeviceChoice, Ringer, Tone, FRAME_SAMPLES};
use dialtone_tests::ArtifactDir;

static IN_CALLBACK_ALLOCS: AtomicU64 = AtomicU64::new(0);

struct Counting;

// SAFETY: forwards to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if in_device_callback() {
            IN_CALLBACK_ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if in_device_callback() {
            IN_CALLBACK_ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if in_device_callback() {
            IN_CALLBACK_ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn device_callbacks_never_allocate_while_streams_run() {
    let dir = ArtifactDir::new("device_callbacks_never_allocate");
    let _pulse = pulse(&dir);
    let mut io =
        AudioIo::open(DeviceChoice::SystemDefault, DeviceChoice::SystemDefault).expect("opens");
    let ringer = Ringer::open(DeviceChoice::SystemDefault).expect("ringer opens");
    wait_playback_running(&mut io);
    wait_running(|| ringer.counters().callbacks);
    ringer.play(Tone::Ringing);
    let mut mic = [0.0f32; FRAME_SAMPLES];
    let mut n = 0u32;
    play_paced(&mut io, 150, |frame| {
        frame.fill(((n % 48) as f32 / 48.0) - 0.5);
        n += 1;
    });
    while io.read_capture_frame(&mut mic) {}
    std::thread::sleep(Duration::from_millis(200));
    let counters = io.counters();
    let ringer_counters = ringer.counters();
    drop(ringer);
    drop(io);
    assert!(
        counters.capture.callbacks > 10
            && counters.playback.callbacks > 10
            && ringer_counters.callbacks > 10,
        "streams did not run: {counters:?} {ringer_counters:?}"
    );
    assert_eq!(
        IN_CALLBACK_ALLOCS.load(Ordering::Relaxed),
        0,
        "allocations inside device callbacks"
    );
}
