//! dialtone-audio against real (virtual) devices: a private PulseAudio per test with
//! `TestMic` and `TestSpeaker` (see dialtone_tests::PulseAudio). Run with nextest (one process
//! per test); under `cargo test` the harness serialises them.

mod common;

use std::time::{Duration, Instant};

use common::{
    capture_audible, play_paced, pulse, rms, share, wait_playback_running, wait_running, write_wav,
};
use dialtone_audio::{
    input_devices, output_devices, AudioIo, DeviceChoice, DeviceEvent, DeviceId, DtmfKey, Ringer,
    SwitchReason, Tone, ToneGenerator, FRAME_SAMPLES, SAMPLE_RATE,
};
use dialtone_tests::audio_check::{dominant_frequency, read_mono, tone_coverage, write_tone_wav};
use dialtone_tests::ArtifactDir;

fn sine_frames(hz: f64, level: f32) -> impl FnMut(&mut [f32; FRAME_SAMPLES]) {
    let mut n = 0u64;
    move |frame| {
        for s in frame.iter_mut() {
            *s = ((std::f64::consts::TAU * hz * n as f64 / f64::from(SAMPLE_RATE)).sin() as f32)
                * level;
            n += 1;
        }
    }
}

#[test]
fn lists_test_mic_and_speaker_with_ids_that_survive_reenumeration_and_new_devices() {
    let dir = ArtifactDir::new("lists_test_mic_and_speaker_with_stable_ids");
    let pulse = pulse(&dir);
    let inputs = input_devices().expect("inputs listed");
    let outputs = output_devices().expect("outputs listed");
    let mic = inputs
        .iter()
        .find(|d| d.name == "TestMic")
        .expect("TestMic listed");
    let speaker = outputs
        .iter()
        .find(|d| d.name == "TestSpeaker")
        .expect("TestSpeaker listed");
    assert_eq!(mic.id.as_str(), "pulseaudio:mic");
    assert_eq!(speaker.id.as_str(), "pulseaudio:speaker");
    assert!(
        mic.is_default && speaker.is_default,
        "{inputs:?} {outputs:?}"
    );
    assert!(
        inputs.iter().all(|d| !d.id.as_str().ends_with(".monitor")),
        "monitors are not microphones: {inputs:?}"
    );

    // A new device appears (listed first or last, the backend decides): ids do not move.
    pulse
        .pactl(&[
            "load-module",
            "module-null-sink",
            "sink_name=headset",
            "sink_properties=device.description=Headset",
        ])
        .expect("extra sink loaded");
    let outputs2 = output_devices().expect("outputs listed again");
    let inputs2 = input_devices().expect("inputs listed again");
    assert!(outputs2.iter().any(|d| d.name == "Headset"), "{outputs2:?}");
    for (before, after) in [(&inputs, &inputs2), (&outputs, &outputs2)] {
        for device in before.iter() {
            let again = after
                .iter()
                .find(|d| d.id == device.id)
                .expect("same id again");
            assert_eq!(again.name, device.name);
        }
    }
    let parsed: DeviceId = speaker.id.to_string().parse().expect("id parses back");
    assert_eq!(parsed, speaker.id);
}

#[test]
fn capture_of_an_880_hz_tone_played_into_micfeed_yields_880_hz_frames_at_48_khz() {
    let dir = ArtifactDir::new("capture_880_hz");
    let pulse = pulse(&dir);
    let tone = dir.path().join("mic880.wav");
    write_tone_wav(&tone, 880.0, 8.0, 48_000).expect("tone written");
    let _mic = pulse.play_into_mic(&tone).expect("paplay starts");
    let mut io =
        AudioIo::open(DeviceChoice::SystemDefault, DeviceChoice::SystemDefault).expect("opens");
    let active = io.input_device().expect("an input is open");
    assert_eq!(active.device.name, "TestMic");
    let heard = capture_audible(&mut io, Duration::from_millis(1500), Duration::from_secs(6));
    let wav = write_wav(&dir.path().join("captured.wav"), &heard, SAMPLE_RATE);
    assert!(
        heard.len() >= 48_000,
        "only {} samples of audio arrived",
        heard.len()
    );
    let hz = dominant_frequency(&wav).expect("read").expect("not silent");
    assert!((hz - 880.0).abs() <= 2.0, "heard {hz} Hz");
    let coverage = tone_coverage(&wav, 880.0).expect("read");
    assert!(
        coverage > 0.9,
        "880 Hz in only {coverage:.2} of the capture"
    );
    let c = io.counters();
    assert_eq!(c.capture.device_errors, 0, "{c:?}");
}

#[test]
fn capture_through_alsa_default_routed_to_pulse_also_hears_the_mic() {
    let dir = ArtifactDir::new("capture_via_alsa_default");
    let pulse = pulse(&dir);
    let tone = dir.path().join("mic880.wav");
    write_tone_wav(&tone, 880.0, 10.0, 48_000).expect("tone written");
    let _mic = pulse.play_into_mic(&tone).expect("paplay starts");
    let alsa_default: DeviceId = "alsa:default".parse().expect("alsa id");
    let mut io = AudioIo::open(
        DeviceChoice::Id(alsa_default.clone()),
        DeviceChoice::SystemDefault,
    )
    .expect("opens");
    let active = io.input_device().expect("an input is open");
    assert_eq!(active.device.id, alsa_default, "{active:?}");
    assert!(!active.fell_back);
    let heard = capture_audible(&mut io, Duration::from_millis(1000), Duration::from_secs(8));
    let wav = write_wav(&dir.path().join("captured.wav"), &heard, SAMPLE_RATE);
    let hz = dominant_frequency(&wav).expect("read").expect("not silent");
    assert!((hz - 880.0).abs() <= 2.0, "heard {hz} Hz via {active:?}");
}

#[test]
fn a_500_hz_tone_written_as_playback_frames_is_recorded_from_the_speaker_monitor() {
    let dir = ArtifactDir::new("playback_500_hz");
    let pulse = pulse(&dir);
    let recorder = pulse
        .record_speaker(&dir.path().join("speaker.wav"))
        .expect("parecord");
    let mut io =
        AudioIo::open(DeviceChoice::SystemDefault, DeviceChoice::SystemDefault).expect("opens");
    assert_eq!(
        io.output_device().expect("output open").device.name,
        "TestSpeaker"
    );
    play_paced(&mut io, 200, sine_frames(500.0, 0.5));
    std::thread::sleep(Duration::from_millis(300));
    let counters = io.counters();
    drop(io);
    let wav = recorder.finish().expect("recording");
    let hz = dominant_frequency(&wav)
        .expect("read")
        .expect("speaker heard something");
    assert!((hz - 500.0).abs() <= 2.0, "speaker played {hz} Hz");
    let (samples, rate) = read_mono(&wav).expect("read");
    let heard_secs =
        tone_coverage(&wav, 500.0).expect("read") * samples.len() as f64 / f64::from(rate);
    assert!(
        heard_secs >= 1.6,
        "500 Hz audible for only {heard_secs:.2} s of 2 s ({counters:?})"
    );
    assert_eq!(counters.playback.device_errors, 0, "{counters:?}");
}

#[test]
fn dtmf_5_keypad_feedback_on_the_speaker_contains_770_and_1336_hz() {
    let dir = ArtifactDir::new("dtmf_5_feedback");
    let pulse = pulse(&dir);
    let recorder = pulse
        .record_speaker(&dir.path().join("speaker.wav"))
        .expect("parecord");
    let mut io =
        AudioIo::open(DeviceChoice::SystemDefault, DeviceChoice::SystemDefault).expect("opens");
    wait_playback_running(&mut io);
    let five = DtmfKey::new('5').expect("key");
    // Eight key presses, 250 ms apart, mixed into otherwise silent call audio.
    let mut keypad: Option<ToneGenerator> = None;
    let mut n = 0;
    play_paced(&mut io, 250, |frame| {
        frame.fill(0.0);
        if n % 25 == 0 && n < 200 {
            keypad = Some(ToneGenerator::new(Tone::Dtmf(five), SAMPLE_RATE));
        }
        if let Some(k) = keypad.as_mut() {
            k.mix_into(frame);
        }
        n += 1;
    });
    drop(io);
    let wav = recorder.finish().expect("recording");
    let (samples, rate) = read_mono(&wav).expect("read");
    // 25 ms blocks wholly inside a key press (near the loudest level; edge blocks are partly
    // silent): their energy is 770 + 1336 Hz and nothing else.
    let block = rate as usize / 40;
    let loudest = samples.chunks_exact(block).map(rms).fold(0.0, f64::max);
    let loud: Vec<&[f64]> = samples
        .chunks_exact(block)
        .filter(|b| rms(b) > 0.95 * loudest && loudest > 0.05)
        .collect();
    assert!(loud.len() >= 16, "only {} loud 25 ms blocks", loud.len());
    for b in &loud {
        let low = share(b, rate, 770.0);
        let high = share(b, rate, 1336.0);
        assert!(
            low > 0.3 && high > 0.3 && low + high > 0.9,
            "770 Hz {low:.2}, 1336 Hz {high:.2}"
        );
        assert!(
            share(b, rate, 697.0) < 0.1 && share(b, rate, 1209.0) < 0.1,
            "no other key's tones"
        );
    }
}

#[test]
fn ringback_on_the_ringer_device_sounds_2_s_on_4_s_off() {
    let dir = ArtifactDir::new("ringback_cadence");
    let pulse = pulse(&dir);
    let recorder = pulse
        .record_speaker(&dir.path().join("speaker.wav"))
        .expect("parecord");
    std::thread::sleep(Duration::from_millis(500)); // the recorder is live before the tone starts
    let speaker: DeviceId = "pulseaudio:speaker".parse().expect("id");
    let ringer = Ringer::open(DeviceChoice::Id(speaker)).expect("ringer opens");
    wait_running(|| ringer.counters().callbacks);
    ringer.play(Tone::Ringback);
    std::thread::sleep(Duration::from_millis(7500));
    ringer.stop();
    let wav = recorder.finish().expect("recording");
    let (samples, rate) = read_mono(&wav).expect("read");
    let block = rate as usize / 20; // 50 ms
    let on: Vec<bool> = samples.chunks_exact(block).map(|b| rms(b) > 0.02).collect();
    // Run lengths of on/off, starting at the first "on".
    let first = on.iter().position(|b| *b).expect("the ringback was heard");
    let mut runs: Vec<(bool, usize)> = Vec::new();
    for &b in &on[first..] {
        match runs.last_mut() {
            Some((state, len)) if *state == b => *len += 1,
            _ => runs.push((b, 1)),
        }
    }
    let secs = |blocks: usize| blocks as f64 * 0.05;
    assert!(runs.len() >= 3, "runs {runs:?}");
    assert!(
        (secs(runs[0].1) - 2.0).abs() <= 0.15,
        "on for {} s: {runs:?}",
        secs(runs[0].1)
    );
    assert!(
        (secs(runs[1].1) - 4.0).abs() <= 0.15,
        "off for {} s: {runs:?}",
        secs(runs[1].1)
    );
    assert!(runs[2].0, "on again after the pause: {runs:?}");
    let tone: Vec<f64> = samples[first * block..(first + 30) * block].to_vec();
    let both = share(&tone, rate, 440.0) + share(&tone, rate, 480.0);
    assert!(both > 0.9, "440+480 Hz share {both:.2}");
    assert_eq!(ringer.counters().device_errors, 0);
}

#[test]
fn a_chosen_speaker_that_disappears_falls_back_to_the_default_and_is_taken_back_when_it_returns() {
    let dir = ArtifactDir::new("speaker_unplugged_and_back");
    let pulse = pulse(&dir);
    let load = || {
        pulse
            .pactl(&[
                "load-module",
                "module-null-sink",
                "sink_name=headset",
                "sink_properties=device.description=Headset",
            ])
            .expect("headset sink loaded")
            .trim()
            .to_owned()
    };
    let module = load();
    let headset: DeviceId = "pulseaudio:headset".parse().expect("id");
    let io = AudioIo::open(
        DeviceChoice::SystemDefault,
        DeviceChoice::Id(headset.clone()),
    )
    .expect("opens");
    assert_eq!(io.output_device().expect("open").device.id, headset);

    pulse
        .pactl(&["unload-module", &module])
        .expect("headset unplugged");
    let fell_back = wait_event(
        &io,
        Duration::from_secs(10),
        |e| matches!(e, DeviceEvent::Switched { active, .. } if active.fell_back && active.device.name == "TestSpeaker"),
    );
    assert!(fell_back.is_some(), "no fall-back to TestSpeaker");
    assert!(io.counters().playback.opens >= 2);

    load();
    let back = wait_event(
        &io,
        Duration::from_secs(10),
        |e| matches!(e, DeviceEvent::Switched { active, reason: SwitchReason::DeviceReturned, .. } if active.device.id == headset),
    );
    assert!(back.is_some(), "did not switch back to the headset");
}

fn wait_event(
    io: &AudioIo,
    timeout: Duration,
    want: impl Fn(&DeviceEvent) -> bool,
) -> Option<DeviceEvent> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        while let Some(event) = io.poll_event() {
            eprintln!("device event: {event:?}");
            if want(&event) {
                return Some(event);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}
