//! Call-progress and keypad tones, generated here as plain sample generators.
//!
//! Why not rodio: every tone we need is one or two sines switched by a cadence. Generating
//! them is a few lines, allocation-free and deterministic, so the same generator can
//! (a) be mixed into the call's playback frames on the media side (keypad feedback, call
//! waiting — where the echo canceller's far-end reference must include them) and (b) run
//! inside the ringer's device callback (see `ringer.rs`) without a second audio stack
//! opening its own streams. rodio would add a mixer thread and its own cpal streams, and
//! tones played through it would be invisible to the echo canceller.
//!
//! The tone plan is a table ([`Tone::plan`]); frequencies and cadences follow the North
//! American plan (ITU-T E.180 supplement 2 lists national variants); DTMF follows ITU-T Q.23.

use std::f64::consts::TAU;

/// One step of a cadence: the tone sounds (`on`) or is silent for `ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub on: bool,
    pub ms: u32,
}

const fn on(ms: u32) -> Step {
    Step { on: true, ms }
}
const fn off(ms: u32) -> Step {
    Step { on: false, ms }
}

/// How a tone sounds: up to two frequencies summed, at `level` (peak of each component,
/// full scale 1.0), switched by `cadence`, repeated or played once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TonePlan {
    pub frequencies: [f32; 2],
    pub level: f32,
    pub cadence: &'static [Step],
    pub repeat: bool,
}

/// A DTMF key: `0-9`, `*`, `#`, `A-D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DtmfKey(char);

impl DtmfKey {
    /// `None` for characters that are not on a DTMF keypad.
    pub fn new(key: char) -> Option<Self> {
        let key = key.to_ascii_uppercase();
        Self::row_col(key).map(|_| Self(key))
    }

    pub fn as_char(self) -> char {
        self.0
    }

    /// ITU-T Q.23 frequency table: (low group, high group) in Hz.
    pub fn frequencies(self) -> (f32, f32) {
        const LOW: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
        const HIGH: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
        let (r, c) = Self::row_col(self.0).unwrap_or((0, 0));
        (LOW[r], HIGH[c])
    }

    fn row_col(key: char) -> Option<(usize, usize)> {
        const KEYPAD: [[char; 4]; 4] = [
            ['1', '2', '3', 'A'],
            ['4', '5', '6', 'B'],
            ['7', '8', '9', 'C'],
            ['*', '0', '#', 'D'],
        ];
        KEYPAD
            .iter()
            .enumerate()
            .find_map(|(r, row)| row.iter().position(|&k| k == key).map(|c| (r, c)))
    }
}

/// The tones a softphone plays locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tone {
    /// Incoming call, on the ringer device: a double ring, distinct from ringback.
    Ringing,
    /// Outgoing call is ringing at the far end (when the network sends no early media).
    Ringback,
    /// Far end busy (486/600), repeating.
    Busy,
    /// The call ended (BYE from the far end): three busy cycles, then quiet.
    CallEnded,
    /// A second call arrives during a call: two short beeps every 10 s, mixed into the call.
    CallWaiting,
    /// Keypad feedback for a DTMF key press: 150 ms of the key's dual tone.
    Dtmf(DtmfKey),
}

/// The cadence tables, in one place so a national plan can be swapped in later.
mod plan {
    use super::{off, on, Step};
    pub const RINGING: &[Step] = &[on(400), off(200), on(400), off(2000)];
    pub const RINGBACK: &[Step] = &[on(2000), off(4000)];
    pub const BUSY: &[Step] = &[on(500), off(500)];
    pub const CALL_ENDED: &[Step] = &[on(500), off(500), on(500), off(500), on(500), off(500)];
    pub const CALL_WAITING: &[Step] = &[on(300), off(200), on(300), off(9200)];
    pub const DTMF_FEEDBACK: &[Step] = &[on(150)];
}

impl Tone {
    /// The tone's frequencies, level and cadence.
    pub fn plan(self) -> TonePlan {
        let two = |a: f32, b: f32, level: f32, cadence, repeat| TonePlan {
            frequencies: [a, b],
            level,
            cadence,
            repeat,
        };
        match self {
            Tone::Ringing => two(440.0, 480.0, 0.25, plan::RINGING, true),
            Tone::Ringback => two(440.0, 480.0, 0.15, plan::RINGBACK, true),
            Tone::Busy => two(480.0, 620.0, 0.15, plan::BUSY, true),
            Tone::CallEnded => two(480.0, 620.0, 0.15, plan::CALL_ENDED, false),
            Tone::CallWaiting => two(440.0, 0.0, 0.2, plan::CALL_WAITING, true),
            Tone::Dtmf(key) => {
                let (low, high) = key.frequencies();
                two(low, high, 0.15, plan::DTMF_FEEDBACK, false)
            }
        }
    }

    /// A compact code for passing a tone through an atomic (0 means "no tone").
    pub(crate) fn code(self) -> u32 {
        match self {
            Tone::Ringing => 1,
            Tone::Ringback => 2,
            Tone::Busy => 3,
            Tone::CallEnded => 4,
            Tone::CallWaiting => 5,
            Tone::Dtmf(key) => 0x100 | key.as_char() as u32,
        }
    }

    pub(crate) fn from_code(code: u32) -> Option<Tone> {
        Some(match code {
            1 => Tone::Ringing,
            2 => Tone::Ringback,
            3 => Tone::Busy,
            4 => Tone::CallEnded,
            5 => Tone::CallWaiting,
            c if c & 0x100 != 0 => Tone::Dtmf(DtmfKey::new(char::from_u32(c & 0xff)?)?),
            _ => return None,
        })
    }
}

/// Ramp at every on/off edge: switching a sine on at full level clicks audibly.
const RAMP_MS: u32 = 5;

/// Generates a [`Tone`] at a given sample rate, sample by sample. Fixed-size state, no
/// allocation: safe to run in a device callback.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    plan: TonePlan,
    rate: f64,
    phase: [f64; 2],
    step: usize,
    /// Samples already played of the current step.
    pos: u64,
    step_len: u64,
    ramp: u64,
    finished: bool,
}

impl ToneGenerator {
    pub fn new(tone: Tone, sample_rate: u32) -> Self {
        let plan = tone.plan();
        let rate = f64::from(sample_rate.max(1));
        let mut generator = Self {
            plan,
            rate,
            phase: [0.0; 2],
            step: 0,
            pos: 0,
            step_len: 0,
            ramp: (u64::from(sample_rate) * u64::from(RAMP_MS) / 1000).max(1),
            finished: plan.cadence.is_empty(),
        };
        generator.step_len = generator.len_of(0);
        generator
    }

    /// True once a non-repeating tone has played its whole cadence.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Overwrites `out` with the next samples (silence once finished).
    pub fn fill(&mut self, out: &mut [f32]) {
        for s in out {
            *s = self.next_sample();
        }
    }

    /// Adds the next samples to `out` (mixing over call audio; clamps to ±1).
    pub fn mix_into(&mut self, out: &mut [f32]) {
        for s in out {
            *s = (*s + self.next_sample()).clamp(-1.0, 1.0);
        }
    }

    pub fn next_sample(&mut self) -> f32 {
        if self.finished {
            return 0.0;
        }
        let Some(&step) = self.plan.cadence.get(self.step) else {
            self.finished = true;
            return 0.0;
        };
        let mut value = 0.0;
        if step.on {
            let edge = self.pos.min(self.step_len.saturating_sub(self.pos + 1));
            let gain = (edge as f64 / self.ramp as f64).min(1.0);
            for (k, &hz) in self.plan.frequencies.iter().enumerate() {
                if hz > 0.0 {
                    value += self.phase[k].sin() * gain;
                }
            }
        }
        for (k, &hz) in self.plan.frequencies.iter().enumerate() {
            // Phases run during the silent steps too, and wrap to keep f64 precision.
            self.phase[k] = (self.phase[k] + TAU * f64::from(hz) / self.rate) % TAU;
        }
        self.pos += 1;
        if self.pos >= self.step_len {
            self.pos = 0;
            self.step += 1;
            if self.step >= self.plan.cadence.len() {
                if self.plan.repeat {
                    self.step = 0;
                } else {
                    self.finished = true;
                }
            }
            self.step_len = self.len_of(self.step);
        }
        (value * f64::from(self.plan.level)) as f32
    }

    fn len_of(&self, step: usize) -> u64 {
        self.plan
            .cadence
            .get(step)
            .map_or(0, |s| (self.rate as u64 * u64::from(s.ms) / 1000).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Share of the signal's energy at `hz` (Goertzel), 0..=1.
    fn share(x: &[f32], rate: f64, hz: f64) -> f64 {
        let coeff = 2.0 * (TAU * hz / rate).cos();
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &v in x {
            let s0 = f64::from(v) + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        let energy: f64 = x.iter().map(|v| f64::from(*v).powi(2)).sum();
        2.0 * power / (x.len() as f64 * energy)
    }

    #[test]
    fn dtmf_table_follows_q23() {
        let f = |c| DtmfKey::new(c).map(DtmfKey::frequencies);
        assert_eq!(f('1'), Some((697.0, 1209.0)));
        assert_eq!(f('5'), Some((770.0, 1336.0)));
        assert_eq!(f('9'), Some((852.0, 1477.0)));
        assert_eq!(f('0'), Some((941.0, 1336.0)));
        assert_eq!(f('#'), Some((941.0, 1477.0)));
        assert_eq!(f('d'), Some((941.0, 1633.0)));
        assert_eq!(f('x'), None);
    }

    #[test]
    fn dtmf_5_holds_770_and_1336_hz_for_150_ms() {
        let key = DtmfKey::new('5').expect("key");
        let mut g = ToneGenerator::new(Tone::Dtmf(key), 48_000);
        let mut buf = vec![0.0f32; 9600];
        g.fill(&mut buf);
        assert!(g.is_finished());
        let tone = &buf[240..7000];
        let both = share(tone, 48_000.0, 770.0) + share(tone, 48_000.0, 1336.0);
        assert!(both > 0.95, "770+1336 Hz share {both}");
        assert!(share(tone, 48_000.0, 697.0) < 0.05);
        assert!(buf[7300..].iter().all(|s| *s == 0.0), "silent after 150 ms");
    }

    #[test]
    fn ringback_is_2s_on_4s_off() {
        let rate = 8000u32;
        let mut g = ToneGenerator::new(Tone::Ringback, rate);
        let mut buf = vec![0.0f32; rate as usize * 12];
        g.fill(&mut buf);
        let loud = |sec: f64| {
            let i = (sec * f64::from(rate)) as usize;
            buf[i..i + 400]
                .iter()
                .map(|s| s.abs())
                .fold(0.0f32, f32::max)
                > 0.1
        };
        for (t, expect) in [
            (0.5, true),
            (1.8, true),
            (2.2, false),
            (5.8, false),
            (6.3, true),
            (8.5, false),
        ] {
            assert_eq!(loud(t), expect, "at {t} s");
        }
    }

    #[test]
    fn codes_round_trip() {
        let key = DtmfKey::new('#').expect("key");
        for t in [
            Tone::Ringing,
            Tone::Ringback,
            Tone::Busy,
            Tone::CallEnded,
            Tone::CallWaiting,
            Tone::Dtmf(key),
        ] {
            assert_eq!(Tone::from_code(t.code()), Some(t));
        }
        assert_eq!(Tone::from_code(0), None);
    }

    #[test]
    fn edges_are_ramped_not_clicked() {
        let mut g = ToneGenerator::new(Tone::Busy, 48_000);
        let mut buf = vec![0.0f32; 48_000];
        g.fill(&mut buf);
        let biggest_step = buf
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max);
        // A 620 Hz sine at 0.3 peak changes by at most ~0.025 per sample at 48 kHz.
        assert!(biggest_step < 0.03, "step {biggest_step}");
    }
}
