//! Packet loss concealment for codecs without their own (G.711; G.722 can reuse it): a
//! simplified ITU-T G.711 Appendix I.
//!
//! What it keeps from Appendix I, and why:
//! * **Repeat the last pitch period**, found by normalised autocorrelation over 5–15 ms lags
//!   (66–200 Hz): repeating whole periods keeps voiced speech sounding like the talker instead of
//!   a buzz or a click at every frame boundary.
//! * **Seamless repetition**: the tail of the copied period is overlap-added with the samples
//!   that precede it, so every wrap-around joins smoothly.
//! * **Fade**: full level for the first 10 ms, then −20 % per 10 ms, silent after 60 ms. Longer
//!   repetition sounds synthetic; silence is the honest answer to a long gap.
//! * **Cross-fade on resume**: the first real frame after a loss is blended with the continued
//!   synthetic signal over ¼ period + 4 ms per extra 10 ms concealed (at most 10 ms), so the join
//!   does not click.
//!
//! What it leaves out: Appendix I's 3.75 ms output delay (used to smooth the *start* of a loss)
//! — our audio path adds no latency for it, and the period is chosen where the waveform matches,
//! so the first join is already close; and the switch to 2–3 periods after 10 ms, which matters
//! little because the signal fades out by 60 ms.
//!
//! Allocation happens only in [`Plc::new`].

/// Repeat-and-fade concealment state for one mono stream.
#[derive(Clone, Debug)]
pub struct Plc {
    /// Newest samples at the end; length `history_len`.
    history: Vec<i16>,
    /// Valid samples in `history` (less than its length right after start or a reset).
    filled: usize,
    /// One pitch period prepared for cycling (tail already overlap-added); capacity `max_pitch`.
    period: Vec<f32>,
    /// Length of the period in use; 0 when concealing from too little history (silence).
    pitch: usize,
    /// Read position inside `period`.
    pos: usize,
    /// Samples synthesised in the current loss; `None` while real audio flows.
    concealed: Option<usize>,
    min_pitch: usize,
    max_pitch: usize,
    /// Correlation window for the pitch search.
    window: usize,
    /// Samples per 10 ms.
    ten_ms: usize,
}

impl Plc {
    /// Concealment for a mono stream at `sample_rate` Hz (8000 for G.711).
    pub fn new(sample_rate: u32) -> Self {
        let ten_ms = (sample_rate as usize / 100).max(1);
        let min_pitch = ten_ms / 2; // 5 ms
        let max_pitch = ten_ms * 3 / 2; // 15 ms
        let window = ten_ms * 2; // 20 ms
        let history_len = max_pitch + window;
        Self {
            history: vec![0; history_len],
            filled: 0,
            period: vec![0.0; max_pitch],
            pitch: 0,
            pos: 0,
            concealed: None,
            min_pitch,
            max_pitch,
            window,
            ten_ms,
        }
    }

    /// Forgets the stream: the next loss conceals with silence until enough audio was seen.
    pub fn reset(&mut self) {
        self.history.fill(0);
        self.filled = 0;
        self.pitch = 0;
        self.pos = 0;
        self.concealed = None;
    }

    /// True while frames are being synthesised (between a loss and the next good frame).
    pub fn is_concealing(&self) -> bool {
        self.concealed.is_some()
    }

    /// Takes a decoded frame: cross-fades it in place if it ends a loss, then remembers it.
    pub fn good_frame(&mut self, frame: &mut [i16]) {
        if let Some(concealed) = self.concealed.take() {
            self.fade_in(frame, concealed);
        }
        self.remember(frame);
    }

    /// Writes one frame of concealment into `out`.
    pub fn conceal(&mut self, out: &mut [i16]) {
        let concealed = match self.concealed {
            Some(n) => n,
            None => {
                self.start_loss();
                0
            }
        };
        for (i, o) in out.iter_mut().enumerate() {
            *o = to_i16(self.next_synthetic(concealed + i));
        }
        self.concealed = Some(concealed + out.len());
    }

    /// Blends the continued synthetic signal into the first real frame after a loss.
    fn fade_in(&mut self, frame: &mut [i16], concealed: usize) {
        let extra_tens = (concealed / self.ten_ms).saturating_sub(1);
        let len = (self.pitch / 4 + extra_tens * self.ten_ms * 2 / 5)
            .max(self.ten_ms / 4)
            .min(self.ten_ms)
            .min(frame.len());
        for (i, sample) in frame.iter_mut().take(len).enumerate() {
            let w = (i as f32 + 0.5) / len as f32;
            let synthetic = self.next_synthetic(concealed + i);
            *sample = to_i16(synthetic * (1.0 - w) + f32::from(*sample) * w);
        }
    }

    /// The next sample of the repeated period at the gain for `n` samples into the loss.
    fn next_synthetic(&mut self, n: usize) -> f32 {
        if self.pitch == 0 {
            return 0.0;
        }
        let value = self.period[self.pos] * self.gain(n);
        self.pos = (self.pos + 1) % self.pitch;
        value
    }

    /// 1.0 for the first 10 ms, then linearly to 0 at 60 ms (−20 % per 10 ms).
    fn gain(&self, n: usize) -> f32 {
        let hold = self.ten_ms;
        let end = self.ten_ms * 6;
        if n < hold {
            1.0
        } else if n >= end {
            0.0
        } else {
            (end - n) as f32 / (end - hold) as f32
        }
    }

    fn start_loss(&mut self) {
        self.pos = 0;
        if self.filled < self.history.len() {
            self.pitch = 0; // too little audio to repeat: conceal with silence
            return;
        }
        let pitch = self.find_pitch();
        let h = &self.history;
        let end = h.len();
        for (dst, &src) in self.period.iter_mut().zip(&h[end - pitch..]) {
            *dst = f32::from(src);
        }
        // Overlap-add the period's tail with what preceded the period, so that cycling from its
        // last sample back to its first continues the waveform.
        let overlap = (pitch / 4).max(1);
        for i in 0..overlap {
            let w = (i as f32 + 0.5) / overlap as f32;
            let tail = f32::from(h[end - overlap + i]);
            let before = f32::from(h[end - pitch - overlap + i]);
            self.period[pitch - overlap + i] = tail * (1.0 - w) + before * w;
        }
        self.pitch = pitch;
    }

    /// The lag in `min_pitch..=max_pitch` whose past best predicts the last `window` samples
    /// (normalised cross-correlation; coarse search on even lags, then ±1).
    fn find_pitch(&self) -> usize {
        let score = |lag: usize| -> f32 {
            let end = self.history.len();
            let recent = &self.history[end - self.window..];
            let past = &self.history[end - self.window - lag..end - lag];
            let (mut corr, mut energy) = (0.0f32, 0.0f32);
            for (&a, &b) in recent.iter().zip(past) {
                let (a, b) = (f32::from(a), f32::from(b));
                corr += a * b;
                energy += b * b;
            }
            if corr <= 0.0 || energy <= 0.0 {
                0.0
            } else {
                corr / energy.sqrt()
            }
        };
        let mut best = (self.max_pitch, 0.0f32);
        for lag in (self.min_pitch..=self.max_pitch).step_by(2) {
            let s = score(lag);
            if s > best.1 {
                best = (lag, s);
            }
        }
        let coarse = best.0;
        for lag in [coarse.saturating_sub(1), coarse + 1] {
            if (self.min_pitch..=self.max_pitch).contains(&lag) {
                let s = score(lag);
                if s > best.1 {
                    best = (lag, s);
                }
            }
        }
        best.0
    }

    fn remember(&mut self, frame: &[i16]) {
        let len = self.history.len();
        if frame.len() >= len {
            self.history.copy_from_slice(&frame[frame.len() - len..]);
        } else {
            self.history.copy_within(frame.len().., 0);
            self.history[len - frame.len()..].copy_from_slice(frame);
        }
        self.filled = (self.filled + frame.len()).min(len);
    }
}

fn to_i16(x: f32) -> i16 {
    x.round().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
}
