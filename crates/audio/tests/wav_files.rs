//! WAV files as microphone and speaker: any rate and channel count in, 48 kHz frames out.

use std::path::PathBuf;

use dialtone_audio::{WavSink, WavSource, FRAME_SAMPLES};
use dialtone_tests::audio_check::{dominant_frequency, write_tone_wav};
use dialtone_tests::ArtifactDir;

fn path(dir: &ArtifactDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn an_8_khz_tone_file_plays_as_48_khz_frames_and_records_back_at_the_same_pitch() {
    let dir = ArtifactDir::new(
        "an_8_khz_tone_file_plays_as_48_khz_frames_and_records_back_at_the_same_pitch",
    );
    let input = path(&dir, "tone8k.wav");
    write_tone_wav(&input, 440.0, 1.0, 8000).expect("tone written");
    let mut source = WavSource::open(&input, false).expect("readable");
    let seconds = source.duration().as_secs_f64();
    assert!((seconds - 1.0).abs() < 0.01, "{seconds}");
    let output = path(&dir, "recorded.wav");
    let mut sink = WavSink::create(&output).expect("writable");
    let mut frame = [0.0; FRAME_SAMPLES];
    let mut frames = 0;
    while source.read_frame(&mut frame) {
        sink.write_frame(&frame).expect("written");
        frames += 1;
    }
    sink.finish().expect("finished");
    assert!((99..=101).contains(&frames), "{frames} frames of 10 ms");
    let heard = dominant_frequency(&output)
        .expect("readable")
        .expect("a tone");
    assert!((heard - 440.0).abs() < 5.0, "{heard} Hz");
}

#[test]
fn a_looping_source_never_runs_out_and_a_plain_one_ends_in_silence() {
    let dir = ArtifactDir::new("a_looping_source_never_runs_out_and_a_plain_one_ends_in_silence");
    let input = path(&dir, "short.wav");
    write_tone_wav(&input, 1000.0, 0.05, 48000).expect("tone written");
    let mut looping = WavSource::open(&input, true).expect("readable");
    let mut frame = [0.0; FRAME_SAMPLES];
    for _ in 0..50 {
        assert!(looping.read_frame(&mut frame));
        assert!(frame.iter().any(|s| s.abs() > 0.1));
    }
    let mut once = WavSource::open(&input, false).expect("readable");
    for _ in 0..5 {
        assert!(once.read_frame(&mut frame));
    }
    assert!(!once.read_frame(&mut frame));
    assert!(frame.iter().all(|s| *s == 0.0));
}

#[test]
fn a_file_that_is_not_wav_gets_a_message_that_says_what_to_give() {
    let dir = ArtifactDir::new("a_file_that_is_not_wav_gets_a_message_that_says_what_to_give");
    let bogus = path(&dir, "notes.txt");
    std::fs::write(&bogus, "not audio").expect("written");
    let message = WavSource::open(&bogus, false)
        .expect_err("refused")
        .to_string();
    assert!(
        message.contains("notes.txt") && message.contains("WAV"),
        "{message}"
    );
}
