//! `dialtone-cli devices` against real (virtual) devices in a private PulseAudio.

use std::process::Command;

use dialtone_tests::{ArtifactDir, DialtoneCli, PulseAudio};
use serde_json::Value;

#[test]
fn devices_lists_microphones_and_speakers_with_stable_ids() {
    let dir = ArtifactDir::new("devices_lists_microphones_and_speakers_with_stable_ids");
    let pulse = PulseAudio::start(&dir.subdir("pulse")).expect("pulseaudio starts");
    let profile = dir.subdir("profile").display().to_string();
    let output = Command::new(DialtoneCli::binary_path())
        .args(["--profile", &profile, "devices"])
        .envs(pulse.env().iter().map(|(k, v)| (*k, v)))
        .output()
        .expect("dialtone-cli runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let devices: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let find = |name: &str| devices.iter().find(|d| d["name"] == name).cloned();
    let mic = find("TestMic").unwrap_or_else(|| panic!("TestMic listed: {devices:?}"));
    let speaker = find("TestSpeaker").unwrap_or_else(|| panic!("TestSpeaker listed: {devices:?}"));
    assert_eq!(
        (mic["id"].as_str(), mic["kind"].as_str()),
        (Some("pulseaudio:mic"), Some("input"))
    );
    assert_eq!(
        (speaker["id"].as_str(), speaker["kind"].as_str()),
        (Some("pulseaudio:speaker"), Some("output"))
    );
    assert_eq!(mic["isDefault"], true);
}
