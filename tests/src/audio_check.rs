//! Audio assertions by frequency: tests check that the far end *heard* the tone we sent, which
//! "RTP packets flowed" cannot show (wrong codec, muted path, or garbage still produce packets).

use std::f64::consts::PI;
use std::path::Path;

use crate::{HarnessError, Result};

/// Analysis block: 100 ms gives 10 Hz Goertzel resolution and tolerates short dropouts.
const BLOCK_SECONDS: f64 = 0.1;
/// Blocks quieter than this RMS (full scale = 1.0, about -50 dBFS) count as silence.
const SILENCE_RMS: f64 = 0.003;
/// Share of a block's energy the tone must hold to count as present in that block.
const TONE_ENERGY_SHARE: f64 = 0.5;

/// Mono samples (first channel) scaled to -1.0..1.0, and the sample rate.
pub fn read_mono(path: &Path) -> Result<(Vec<f64>, u32)> {
    let wav_err = |detail: String| HarnessError::Wav {
        path: path.to_path_buf(),
        detail,
    };
    let reader = hound::WavReader::open(path).map_err(|e| wav_err(e.to_string()))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let samples: Vec<f64> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .into_samples::<f32>()
            .step_by(channels)
            .map(|s| s.map(f64::from))
            .collect::<std::result::Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = f64::from(1u32 << (spec.bits_per_sample.clamp(1, 32) - 1));
            reader
                .into_samples::<i32>()
                .step_by(channels)
                .map(|s| s.map(|v| f64::from(v) / scale))
                .collect::<std::result::Result<_, _>>()
        }
    }
    .map_err(|e| wav_err(e.to_string()))?;
    Ok((samples, spec.sample_rate))
}

/// Goertzel power of `hz` in `samples`, normalised so that a pure full-block sine of that
/// frequency gives its energy share ≈ 1.0 when divided by the block energy (see [`tone_share`]).
fn goertzel_power(samples: &[f64], rate: u32, hz: f64) -> f64 {
    let w = 2.0 * PI * hz / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

/// Share (0..=1) of the block's energy at `hz`.
fn tone_share(block: &[f64], rate: u32, hz: f64) -> f64 {
    let energy: f64 = block.iter().map(|x| x * x).sum();
    if energy <= 0.0 || block.is_empty() {
        return 0.0;
    }
    // |X(f)|² of a sine with amplitude A over N samples is (A·N/2)², its energy A²·N/2.
    let n = block.len() as f64;
    (2.0 * goertzel_power(block, rate, hz) / (n * energy)).min(1.0)
}

fn rms(block: &[f64]) -> f64 {
    if block.is_empty() {
        return 0.0;
    }
    (block.iter().map(|x| x * x).sum::<f64>() / block.len() as f64).sqrt()
}

fn blocks(samples: &[f64], rate: u32) -> impl Iterator<Item = &[f64]> {
    let len = ((f64::from(rate) * BLOCK_SECONDS) as usize).max(1);
    samples.chunks_exact(len)
}

/// The strongest frequency (Hz, ±1) in the loudest non-silent part of the recording, or `None`
/// when the whole file is silence. Coarse 10 Hz sweep, then 1 Hz refinement.
pub fn dominant_frequency(path: &Path) -> Result<Option<f64>> {
    let (samples, rate) = read_mono(path)?;
    // Up to one second of the loudest blocks keeps the sweep cheap in unoptimised test builds.
    let mut loud: Vec<&[f64]> = blocks(&samples, rate)
        .filter(|b| rms(b) >= SILENCE_RMS)
        .collect();
    if loud.is_empty() {
        return Ok(None);
    }
    let mid = loud.len() / 2;
    let lo = mid.saturating_sub(5);
    loud = loud[lo..(lo + 10).min(loud.len())].to_vec();
    let power = |hz: f64| -> f64 { loud.iter().map(|b| goertzel_power(b, rate, hz)).sum() };
    let nyquist = f64::from(rate) / 2.0;
    let best_of = |candidates: &mut dyn Iterator<Item = f64>| {
        candidates
            .map(|hz| (hz, power(hz)))
            .fold(
                (0.0, f64::MIN),
                |best, c| if c.1 > best.1 { c } else { best },
            )
            .0
    };
    let coarse = best_of(&mut (2..(nyquist / 10.0) as u32).map(|k| f64::from(k) * 10.0));
    let fine = best_of(
        &mut (-10..=10)
            .map(|d| coarse + f64::from(d))
            .filter(|hz| *hz > 0.0),
    );
    Ok(Some(fine))
}

/// Fraction (0..=1) of the recording's 100 ms blocks in which `hz` carries most of the energy.
/// Silent blocks count against it, so 0.9 means "heard the tone for 90% of the file".
pub fn tone_coverage(path: &Path, hz: f64) -> Result<f64> {
    let (samples, rate) = read_mono(path)?;
    let (mut total, mut with_tone) = (0usize, 0usize);
    for block in blocks(&samples, rate) {
        total += 1;
        if rms(block) >= SILENCE_RMS && tone_share(block, rate, hz) >= TONE_ENERGY_SHARE {
            with_tone += 1;
        }
    }
    Ok(if total == 0 {
        0.0
    } else {
        with_tone as f64 / total as f64
    })
}

/// True when `hz` dominates at least half of the recording (see [`tone_coverage`]).
pub fn tone_present(path: &Path, hz: f64) -> Result<bool> {
    Ok(tone_coverage(path, hz)? >= 0.5)
}

/// Writes a mono 16-bit sine at half scale: a far end's "microphone" for [`crate::AudioSource::Tone`].
pub fn write_tone_wav(path: &Path, hz: f32, seconds: f64, sample_rate: u32) -> Result<()> {
    let wav_err = |e: hound::Error| HarnessError::Wav {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(wav_err)?;
    let count = (seconds * f64::from(sample_rate)) as u64;
    for n in 0..count {
        let phase = 2.0 * PI * f64::from(hz) * n as f64 / f64::from(sample_rate);
        writer
            .write_sample((phase.sin() * 16_384.0) as i16)
            .map_err(wav_err)?;
    }
    writer.finalize().map_err(wav_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("dialtone-audio-{}-{name}", std::process::id()))
    }

    #[test]
    fn finds_the_frequency_of_a_generated_tone() {
        for (hz, rate) in [(440.0, 8000), (1000.0, 8000), (660.0, 48000)] {
            let path = temp(&format!("{hz}-{rate}.wav"));
            write_tone_wav(&path, hz, 1.0, rate).expect("write wav");
            let found = dominant_frequency(&path)
                .expect("read wav")
                .expect("not silent");
            assert!(
                (found - f64::from(hz)).abs() <= 2.0,
                "{hz} Hz tone measured as {found}"
            );
            assert!(tone_present(&path, f64::from(hz)).expect("read"));
            assert!(!tone_present(&path, f64::from(hz) * 2.0).expect("read"));
            let _ = std::fs::remove_file(&path);
        }
    }

    #[test]
    fn silence_has_no_dominant_frequency_and_no_tone() {
        let path = temp("silence.wav");
        write_tone_wav(&path, 0.0, 0.5, 8000).expect("write wav");
        assert_eq!(dominant_frequency(&path).expect("read"), None);
        assert_eq!(tone_coverage(&path, 440.0).expect("read"), 0.0);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn half_silent_recording_has_half_coverage() {
        let path = temp("half.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).expect("create");
        for n in 0..16_000u32 {
            let s = if n < 8000 {
                (2.0 * PI * 440.0 * f64::from(n) / 8000.0).sin() * 16_000.0
            } else {
                0.0
            };
            w.write_sample(s as i16).expect("sample");
        }
        w.finalize().expect("finalize");
        let coverage = tone_coverage(&path, 440.0).expect("read");
        assert!((coverage - 0.5).abs() < 0.06, "coverage {coverage}");
        let _ = std::fs::remove_file(&path);
    }
}
