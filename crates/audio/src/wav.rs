//! WAV files as a microphone and a speaker, for `dialtone-cli call --play/--record`, scripts and
//! tests: the same 10 ms, 48 kHz mono frames a sound card gives and takes.
//!
//! The source reads and converts the whole file when it is opened (a prompt or test tone is
//! small), so reading a frame later is a copy; the sink writes 16-bit PCM at 48 kHz mono.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::resample::Resampler;
use crate::stream::{FRAME_SAMPLES, SAMPLE_RATE};

/// Why a WAV file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("Cannot read the WAV file {}: {detail}. Give a PCM or float WAV file (sox and most recorders write one).", .path.display())]
    Read { path: PathBuf, detail: String },
    #[error("Cannot write the WAV file {}: {detail}. Check that the folder exists and is writable.", .path.display())]
    Write { path: PathBuf, detail: String },
}

/// A WAV file played as the microphone: 10 ms frames at 48 kHz mono.
#[derive(Debug)]
pub struct WavSource {
    samples: Vec<f32>,
    position: usize,
    looping: bool,
}

impl WavSource {
    /// Reads `path` (any rate, any channel count: channels are averaged). With `looping` the file
    /// starts over at its end; without, silence follows it.
    pub fn open(path: &Path, looping: bool) -> Result<WavSource, WavError> {
        let error = |detail: String| WavError::Read {
            path: path.to_owned(),
            detail,
        };
        let mut reader = hound::WavReader::open(path).map_err(|e| error(e.to_string()))?;
        let spec = reader.spec();
        let channels = usize::from(spec.channels.max(1));
        let interleaved: Vec<f32> = match spec.sample_format {
            hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
            hound::SampleFormat::Int => {
                let scale =
                    1.0 / (1u64 << spec.bits_per_sample.clamp(1, 32).saturating_sub(1)) as f32;
                reader
                    .samples::<i32>()
                    .map(|s| s.map(|v| v as f32 * scale))
                    .collect::<Result<_, _>>()
            }
        }
        .map_err(|e| error(e.to_string()))?;
        let mono: Vec<f32> = interleaved
            .chunks(channels)
            .map(|frame| frame.iter().sum::<f32>() / frame.len() as f32)
            .collect();
        if mono.is_empty() {
            return Err(error("it holds no audio".to_owned()));
        }
        let samples = if spec.sample_rate == SAMPLE_RATE {
            mono
        } else {
            let mut resampler = Resampler::new(spec.sample_rate, SAMPLE_RATE);
            let mut out = vec![0.0; resampler.output_count(mono.len())];
            let (_, produced) = resampler.process(&mono, &mut out);
            out.truncate(produced);
            out
        };
        Ok(WavSource {
            samples,
            position: 0,
            looping,
        })
    }

    /// The next 10 ms; `false` once a non-looping file is over (the frame is then silence).
    pub fn read_frame(&mut self, frame: &mut [f32; FRAME_SAMPLES]) -> bool {
        let mut filled = 0;
        while filled < FRAME_SAMPLES {
            if self.position >= self.samples.len() {
                if !self.looping {
                    frame[filled..].fill(0.0);
                    return filled > 0;
                }
                self.position = 0;
            }
            let take = (FRAME_SAMPLES - filled).min(self.samples.len() - self.position);
            frame[filled..filled + take]
                .copy_from_slice(&self.samples[self.position..self.position + take]);
            self.position += take;
            filled += take;
        }
        true
    }

    /// Length of the file's audio.
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.samples.len() as f64 / f64::from(SAMPLE_RATE))
    }
}

/// A WAV file recorded as the speaker: 48 kHz mono 16-bit PCM.
pub struct WavSink {
    path: PathBuf,
    writer: hound::WavWriter<BufWriter<File>>,
}

impl WavSink {
    pub fn create(path: &Path) -> Result<WavSink, WavError> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(path, spec).map_err(|e| WavError::Write {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        Ok(WavSink {
            path: path.to_owned(),
            writer,
        })
    }

    pub fn write_frame(&mut self, frame: &[f32; FRAME_SAMPLES]) -> Result<(), WavError> {
        for sample in frame {
            let value = (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
            self.writer
                .write_sample(value)
                .map_err(|e| WavError::Write {
                    path: self.path.clone(),
                    detail: e.to_string(),
                })?;
        }
        Ok(())
    }

    /// Writes the header's final lengths; a sink dropped without this still leaves a readable
    /// file (hound finalises on drop), but errors would go unseen.
    pub fn finish(self) -> Result<(), WavError> {
        let path = self.path;
        self.writer.finalize().map_err(|e| WavError::Write {
            path,
            detail: e.to_string(),
        })
    }
}

impl std::fmt::Debug for WavSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSink")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}
