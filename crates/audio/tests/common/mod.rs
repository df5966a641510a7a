//! Shared pieces of the real-device tests: a private PulseAudio, frame pacing, WAV output and
//! frequency checks.
#![allow(dead_code)] // each test binary uses a different subset

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dialtone_audio::{AudioIo, FRAME_SAMPLES, SAMPLE_RATE};
use dialtone_tests::{ArtifactDir, PulseAudio};

/// Starts the private PulseAudio and points this process at it.
pub fn pulse(dir: &ArtifactDir) -> PulseAudio {
    let pulse = PulseAudio::start(&dir.subdir("pulse")).expect("private pulseaudio starts");
    pulse.use_in_this_process();
    pulse
}

/// Reads capture frames for up to `timeout`, returning once `want` of audible audio arrived
/// (the first frames are silence while the stream starts up: wait for sound, don't assume it).
pub fn capture_audible(io: &mut AudioIo, want: Duration, timeout: Duration) -> Vec<f32> {
    let want_samples = (want.as_secs_f64() * f64::from(SAMPLE_RATE)) as usize;
    let deadline = Instant::now() + timeout;
    let mut heard = Vec::new();
    let mut frame = [0.0f32; FRAME_SAMPLES];
    while heard.len() < want_samples && Instant::now() < deadline {
        if io.read_capture_frame(&mut frame) {
            if !heard.is_empty() || rms(&frame) > 0.01 {
                heard.extend_from_slice(&frame);
            }
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    heard
}

/// Feeds silence until the playback stream is pulling audio steadily. The first playback
/// stream on a fresh PulseAudio null sink is asked for nothing for up to ~2 s (the start-up
/// latency the testbed also saw): wait for the device rather than assume it started at once.
pub fn wait_playback_running(io: &mut AudioIo) {
    let deadline = Instant::now() + Duration::from_secs(6);
    let silence = [0.0f32; FRAME_SAMPLES];
    loop {
        let before = io.counters().playback.callbacks;
        play_paced(io, 10, |f| *f = silence);
        let pulled = io.counters().playback.callbacks - before;
        if pulled >= 5 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "playback never started: {:?}",
            io.counters()
        );
    }
}

/// Waits until a counter of callbacks grows steadily (≥ 5 callbacks in 100 ms).
pub fn wait_running(callbacks: impl Fn() -> u64) {
    let deadline = Instant::now() + Duration::from_secs(6);
    loop {
        let before = callbacks();
        std::thread::sleep(Duration::from_millis(100));
        if callbacks() - before >= 5 {
            return;
        }
        assert!(Instant::now() < deadline, "stream never started");
    }
}

/// Writes `frames` frames from `next` to playback at the real-time pace of the media loop.
pub fn play_paced(
    io: &mut AudioIo,
    frames: usize,
    mut next: impl FnMut(&mut [f32; FRAME_SAMPLES]),
) {
    let start = Instant::now();
    let mut frame = [0.0f32; FRAME_SAMPLES];
    for n in 0..frames {
        next(&mut frame);
        io.write_playback_frame(&frame);
        let due = start + Duration::from_millis(10 * (n as u64 + 1));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

pub fn write_wav(path: &Path, samples: &[f32], rate: u32) -> PathBuf {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for s in samples {
        w.write_sample(*s).expect("write sample");
    }
    w.finalize().expect("finalize wav");
    path.to_path_buf()
}

pub fn rms<T: Copy + Into<f64>>(x: &[T]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|v| (*v).into().powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Share (0..=1) of the block's energy at `hz` (Goertzel).
pub fn share(x: &[f64], rate: u32, hz: f64) -> f64 {
    let coeff = 2.0 * (TAU * hz / f64::from(rate)).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s0 = v + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let energy: f64 = x.iter().map(|v| v * v).sum();
    if energy <= 0.0 {
        return 0.0;
    }
    (2.0 * power / (x.len() as f64 * energy)).min(1.0)
}
