//! The jitter buffer driven by synthetic network traces on a virtual clock: a sender makes 20 ms
//! packets (with a clock that may drift), the "network" loses, delays and reorders them, and a
//! media loop pops one frame every 20 ms of its own clock. Minutes of call run in milliseconds.

use std::time::{Duration, Instant};

use dialtone_media::jitter::{
    JitterBuffer, JitterConfig, JitterStats, Playout, PushOutcome, RtpPacket,
};

const PTIME_US: u64 = 20_000;
const TICKS: u32 = 160; // 20 ms at 8 kHz
const SSRC: u32 = 0x1234_5678;

/// xorshift64*: deterministic, dependency-free randomness for the traces.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// How the network treats packet `i` (0-based). Returns the extra one-way delay in µs, or `None`
/// to lose it.
type Network<'a> = dyn FnMut(usize, &mut Rng) -> Option<u64> + 'a;

#[derive(Clone, Copy, Debug)]
struct Arrival {
    at_us: u64,
    index: usize,
    seq: u16,
    ts: u32,
}

struct Trace {
    packets: usize,
    first_seq: u16,
    first_ts: u32,
    /// Sender clock error: +100 means the sender's 20 ms are 2 µs short (it sends faster).
    drift_ppm: f64,
    seed: u64,
}

impl Trace {
    fn new(packets: usize) -> Self {
        Self {
            packets,
            first_seq: 1000,
            first_ts: 50_000,
            drift_ppm: 0.0,
            seed: 7,
        }
    }

    /// Arrivals in arrival order: a 30 ms base path delay plus what `network` adds.
    fn arrivals(&self, network: &mut Network<'_>) -> Vec<Arrival> {
        let mut rng = Rng(self.seed | 1);
        let mut out = Vec::with_capacity(self.packets);
        for i in 0..self.packets {
            let sent = i as f64 * PTIME_US as f64 / (1.0 + self.drift_ppm * 1e-6);
            if let Some(extra) = network(i, &mut rng) {
                out.push(Arrival {
                    at_us: sent as u64 + 30_000 + extra,
                    index: i,
                    seq: self.first_seq.wrapping_add(i as u16),
                    ts: self.first_ts.wrapping_add((i as u32).wrapping_mul(TICKS)),
                });
            }
        }
        out.sort_by_key(|a| (a.at_us, a.index));
        out
    }
}

/// Random loss with probability `loss`, extra delay uniform in `0..=spread_ms`, and with
/// probability `reorder` one more frame of delay (so the packet lands behind its successor).
fn impaired(loss: f64, spread_ms: f64, reorder: f64) -> impl FnMut(usize, &mut Rng) -> Option<u64> {
    move |_, rng| {
        if rng.chance(loss) {
            return None;
        }
        let mut extra = rng.unit() * spread_ms * 1000.0;
        if rng.chance(reorder) {
            extra += PTIME_US as f64 * (1.0 + rng.unit());
        }
        Some(extra as u64)
    }
}

/// What the media loop saw.
#[derive(Default, Debug)]
struct Run {
    pops: u64,
    packets: u64,
    missing: u64,
    fec: u64,
    /// `Empty` after playout started.
    gaps_after_start: u64,
    /// Packet indexes in playout order.
    played: Vec<usize>,
    /// (virtual ms, current delay, target delay) once per second.
    delays: Vec<(u64, f32, f32)>,
    stats: JitterStats,
}

/// Plays `arrivals` through a buffer, popping every 20 ms (first pop 7 ms after time zero) until
/// `until_us` or until the trace has been played out.
fn play(config: JitterConfig, arrivals: &[Arrival], until_us: u64) -> Run {
    let zero = Instant::now();
    let mut jb = JitterBuffer::new(config);
    let mut run = Run::default();
    let mut next = 0;
    let mut started = false;
    let mut pop_at = 7_000;
    while pop_at <= until_us && (next < arrivals.len() || jb.buffered_packets() > 0) {
        while let Some(a) = arrivals.get(next).filter(|a| a.at_us <= pop_at) {
            let payload = (a.index as u32).to_be_bytes();
            let packet = RtpPacket {
                ssrc: SSRC,
                sequence: a.seq,
                timestamp: a.ts,
                payload: &payload,
            };
            jb.push(zero + Duration::from_micros(a.at_us), packet);
            next += 1;
        }
        run.pops += 1;
        match jb.pop(zero + Duration::from_micros(pop_at)) {
            Playout::Packet(p) => {
                started = true;
                run.packets += 1;
                run.played.push(index_of(p));
            }
            Playout::Missing => run.missing += 1,
            Playout::MissingWithFec(_) => run.fec += 1,
            Playout::Empty if started => run.gaps_after_start += 1,
            Playout::Empty => {}
        }
        if pop_at % 1_000_000 == 7_000 {
            let s = jb.stats();
            run.delays
                .push((pop_at / 1000, s.current_delay_ms, s.target_delay_ms));
        }
        pop_at += PTIME_US;
    }
    run.stats = jb.stats();
    run
}

fn index_of(payload: &[u8]) -> usize {
    let bytes: [u8; 4] = payload.try_into().unwrap_or_default();
    u32::from_be_bytes(bytes) as usize
}

fn config() -> JitterConfig {
    JitterConfig::new(8000, Duration::from_millis(20))
}

fn assert_in_order(run: &Run) {
    assert!(
        run.played.windows(2).all(|w| w[0] < w[1]),
        "played out of order"
    );
}

#[test]
fn five_percent_random_loss_is_concealed_frame_for_frame_without_gaps() {
    let trace = Trace::new(3000); // one minute
    let arrivals = trace.arrivals(&mut impaired(0.05, 10.0, 0.0));
    let run = play(config(), &arrivals, 60_500_000);
    let s = run.stats;
    let lost = 3000 - arrivals.len() as u64;
    assert!((120..=180).contains(&lost), "trace lost {lost}");
    assert_eq!(s.lost, lost);
    assert_eq!(s.late, 0);
    assert_eq!(s.underruns, 0, "{s:?}");
    assert_eq!(run.gaps_after_start, 0);
    // Every received packet is played, except any dropped while the initial 40 ms target came down.
    assert!(s.compressed <= 1, "{s:?}");
    assert_eq!(run.packets + s.compressed, arrivals.len() as u64);
    // Concealment replaces exactly the lost frames (none inserted, none from underruns).
    assert_eq!(s.concealed - s.expanded, lost, "{s:?}");
    assert!(s.expanded <= 2, "{s:?}");
    let fraction = s.concealed as f64 / run.pops as f64;
    assert!(
        (fraction - 0.05).abs() < 0.012,
        "concealed fraction {fraction}"
    );
    assert_in_order(&run);
}

#[test]
fn forty_ms_jitter_with_reordering_grows_the_delay_and_keeps_late_drops_under_1_percent() {
    let trace = Trace::new(3000);
    let arrivals = trace.arrivals(&mut impaired(0.0, 80.0, 0.05)); // ±40 ms around the mean
    let run = play(config(), &arrivals, 60_500_000);
    let s = run.stats;
    assert!(s.target_delay_ms >= 80.0, "target {s:?}");
    assert!(s.target_delay_ms <= 200.0);
    assert!(
        (s.late as f64) < 0.01 * s.received as f64,
        "late {} of {}",
        s.late,
        s.received
    );
    assert_eq!(s.underruns, 0, "{s:?}");
    assert_eq!(run.gaps_after_start, 0);
    assert_in_order(&run);
    // The playout delay follows the target: after the first seconds it never sits far below it.
    for &(ms, current, target) in run.delays.iter().skip(5) {
        assert!(
            current >= target - 1.0,
            "at {ms} ms: delay {current} below target {target}"
        );
    }
}

#[test]
fn delay_shrinks_back_after_the_jitter_calms() {
    let trace = Trace::new(6000); // 40 s of jitter, then 80 s calm
    let mut rough = impaired(0.0, 80.0, 0.05);
    let arrivals = trace.arrivals(&mut |i, rng| {
        if i < 2000 {
            rough(i, rng)
        } else {
            Some((rng.unit() * 2_000.0) as u64)
        }
    });
    let run = play(config(), &arrivals, 120_500_000);
    let peak = run.delays.iter().map(|d| d.2).fold(0.0, f32::max);
    assert!(peak >= 80.0, "grew during the jitter: {peak}");
    let s = run.stats;
    assert!(
        s.target_delay_ms <= 25.0,
        "target back near the floor: {s:?}"
    );
    assert!(s.current_delay_ms <= s.target_delay_ms + 25.0, "{s:?}");
    assert!(s.compressed >= 3, "frames were dropped to shrink: {s:?}");
    assert_eq!(run.gaps_after_start, 0);
    assert_in_order(&run);
}

fn drift_run(ppm: f64) -> Run {
    let mut trace = Trace::new(30_000); // 10 minutes
    trace.drift_ppm = ppm;
    let arrivals = trace.arrivals(&mut impaired(0.0, 5.0, 0.0));
    play(config(), &arrivals, 590_000_000)
}

#[test]
fn a_fast_sender_clock_over_10_minutes_is_absorbed_by_rare_frame_drops() {
    let run = drift_run(100.0); // 60 ms more audio than the sound card plays
    let s = run.stats;
    // Three 20 ms frames for the drift, plus at most one while the initial 40 ms target settles.
    assert!((3..=4).contains(&s.compressed), "{s:?}");
    assert_eq!(s.expanded, 0, "{s:?}");
    assert_eq!(s.late, 0);
    for &(ms, current, target) in &run.delays[5..] {
        assert!(
            current >= target - 1.0 && current <= target + 26.0,
            "at {ms} ms: {current} vs {target}"
        );
    }
    assert_eq!(run.gaps_after_start, 0);
    assert_in_order(&run);
}

#[test]
fn a_slow_sender_clock_over_10_minutes_is_absorbed_by_rare_insertions() {
    let run = drift_run(-100.0);
    let s = run.stats;
    assert_eq!(
        s.expanded, 3,
        "60 ms less audio than the sound card plays: {s:?}"
    );
    assert!(
        s.compressed <= 1,
        "only while the initial target settles: {s:?}"
    );
    assert_eq!(
        s.concealed, s.expanded,
        "no loss in the trace, so only insertions: {s:?}"
    );
    assert_eq!(s.underruns, 0);
    for &(ms, current, target) in &run.delays[5..] {
        assert!(
            current >= target - 1.0 && current <= target + 26.0,
            "at {ms} ms: {current} vs {target}"
        );
    }
    assert_in_order(&run);
}

#[test]
fn sequence_and_timestamp_wraparound_is_seamless() {
    let mut trace = Trace::new(500);
    trace.first_seq = 65_400;
    trace.first_ts = u32::MAX - 100 * TICKS + 7;
    let arrivals = trace.arrivals(&mut impaired(0.0, 30.0, 0.1));
    let run = play(config(), &arrivals, 10_500_000);
    let s = run.stats;
    assert_eq!((s.resets, s.lost, s.late), (0, 0, 0), "{s:?}");
    assert_eq!(run.packets, 500);
    assert_in_order(&run);
}

#[test]
fn burst_loss_is_concealed_and_the_next_packet_is_offered_for_fec() {
    let trace = Trace::new(500);
    let arrivals = trace.arrivals(&mut |i, _| {
        if (200..203).contains(&i) {
            None
        } else {
            Some(0)
        }
    });
    let mut fec = config();
    fec.fec = true;
    let run = play(fec, &arrivals, 10_500_000);
    let s = run.stats;
    assert_eq!(s.lost, 3);
    assert_eq!(
        (run.missing, run.fec),
        (2, 1),
        "the last lost frame is rebuilt from its successor"
    );
    assert_eq!(s.fec_recovered, 1);
    assert_eq!(s.underruns, 0);
    assert_eq!(run.packets + s.compressed, 497);
}

#[test]
fn a_burst_of_duplicates_is_ignored() {
    let trace = Trace::new(500);
    let mut arrivals = trace.arrivals(&mut impaired(0.0, 10.0, 0.0));
    // Packets 100..150 arrive five times: at once, and again up to half a second later
    // (after they were played).
    let copies: Vec<Arrival> = arrivals
        .iter()
        .filter(|a| (100..150).contains(&a.index))
        .flat_map(|a| {
            (1..5u64).map(move |k| Arrival {
                at_us: a.at_us + k * 120_000,
                ..*a
            })
        })
        .collect();
    arrivals.extend(copies);
    arrivals.sort_by_key(|a| (a.at_us, a.index));
    let run = play(config(), &arrivals, 10_500_000);
    let s = run.stats;
    assert_eq!(s.duplicates, 200, "{s:?}");
    assert_eq!((s.late, s.lost, s.concealed), (0, 0, 0), "{s:?}");
    assert_eq!(run.packets + s.compressed, 500);
    assert_in_order(&run);
}

fn packet(ssrc: u32, sequence: u16, timestamp: u32, payload: &[u8]) -> RtpPacket<'_> {
    RtpPacket {
        ssrc,
        sequence,
        timestamp,
        payload,
    }
}

/// Pushes 20 ms packets `seqs` (timestamps follow the sequence numbers) of one SSRC at 20 ms
/// spacing from `start_ms`, popping after each; returns what was played.
fn feed(
    jb: &mut JitterBuffer,
    zero: Instant,
    start_ms: u64,
    ssrc: u32,
    seqs: std::ops::Range<u32>,
) -> Vec<u8> {
    let mut played = Vec::new();
    for (k, seq) in seqs.enumerate() {
        let at = zero + Duration::from_millis(start_ms + 20 * k as u64);
        let tag = [ssrc as u8];
        jb.push(at, packet(ssrc, seq as u16, seq.wrapping_mul(TICKS), &tag));
        if let Playout::Packet(p) = jb.pop(at + Duration::from_millis(1)) {
            played.extend_from_slice(p);
        }
    }
    played
}

#[test]
fn a_new_ssrc_resets_the_stream() {
    let zero = Instant::now();
    let mut jb = JitterBuffer::new(config());
    let old = feed(&mut jb, zero, 0, 0xA, 100..200);
    assert!(old.iter().all(|&t| t == 0xA) && old.len() > 90);
    let at = zero + Duration::from_millis(2000);
    assert_eq!(
        jb.push(at, packet(0xB, 7, 7 * TICKS, &[0xB])),
        PushOutcome::Reset
    );
    // A straggler of the old stream, reordered across the switch, does not switch back.
    let at = at + Duration::from_millis(5);
    assert_eq!(
        jb.push(at, packet(0xA, 190, 190 * TICKS, &[0xA])),
        PushOutcome::Late
    );
    let new = feed(&mut jb, zero, 2020, 0xB, 8..100);
    assert!(
        new.iter().all(|&t| t == 0xB),
        "nothing of the old stream plays after the reset"
    );
    assert!(new.len() > 85);
    let s = jb.stats();
    assert_eq!((s.resets, s.lost, s.late), (1, 0, 1), "{s:?}");
}

#[test]
fn a_stray_sequence_jump_is_ignored_but_a_confirmed_one_resets() {
    let zero = Instant::now();
    let mut jb = JitterBuffer::new(config());
    feed(&mut jb, zero, 0, 0xA, 100..200);
    let at = zero + Duration::from_millis(2000);
    // One packet from nowhere: held, then refuted by the stream continuing.
    assert_eq!(
        jb.push(at, packet(0xA, 40_000, 123, &[1])),
        PushOutcome::Probation
    );
    feed(&mut jb, zero, 2000, 0xA, 200..250);
    assert_eq!(jb.stats().resets, 0);
    // The sender restarts its numbering: two in a row confirm it.
    let at = zero + Duration::from_millis(3000);
    assert_eq!(
        jb.push(at, packet(0xA, 9_000, 9_000 * TICKS, &[2])),
        PushOutcome::Probation
    );
    let at = at + Duration::from_millis(20);
    assert_eq!(
        jb.push(at, packet(0xA, 9_001, 9_001 * TICKS, &[3])),
        PushOutcome::Reset
    );
    let played = feed(&mut jb, zero, 3040, 0xA, 9_002..9_050);
    assert_eq!(&played[..2], &[2, 3], "the held packet plays first");
    let s = jb.stats();
    assert_eq!((s.resets, s.late), (1, 0), "{s:?}");
}

#[test]
fn a_timestamp_gap_without_a_sequence_gap_is_played_as_concealment_not_squeezed() {
    let zero = Instant::now();
    let mut jb = JitterBuffer::new(config());
    for seq in 0..20u16 {
        let at = zero + Duration::from_millis(20 * u64::from(seq));
        jb.push(at, packet(1, seq, u32::from(seq) * TICKS, &[0]));
    }
    // DTX: the sender is silent for 200 ms, then continues with the next sequence number.
    for k in 0..20u16 {
        let at = zero + Duration::from_millis(600 + 20 * u64::from(k));
        jb.push(at, packet(1, 20 + k, (30 + u32::from(k)) * TICKS, &[1]));
    }
    let mut kinds = String::new();
    for pop in 0..45u64 {
        let c = match jb.pop(zero + Duration::from_millis(45 + 20 * pop)) {
            Playout::Packet(p) if p == [0] => 'a',
            Playout::Packet(_) => 'b',
            Playout::Missing => '-',
            Playout::MissingWithFec(_) => 'f',
            Playout::Empty => '.',
        };
        kinds.push(c);
    }
    assert!(kinds.contains(&format!("a{}b", "-".repeat(10))), "{kinds}");
    assert_eq!(jb.stats().lost, 0);
}

#[test]
fn oversized_payloads_are_dropped_and_counted() {
    let mut jb = JitterBuffer::new(config());
    let big = vec![0u8; 1501];
    assert_eq!(
        jb.push(Instant::now(), packet(1, 1, 1, &big)),
        PushOutcome::Oversized
    );
    assert_eq!(jb.stats().oversized, 1);
    assert_eq!(jb.pop(Instant::now()), Playout::Empty);
}
