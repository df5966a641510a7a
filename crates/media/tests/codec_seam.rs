//! Every codec is usable through the seam's traits, so the media engine can hold any of them.

use dialtone_media::codec::g711::{G711Decoder, G711Encoder, Law};
use dialtone_media::codec::g722::{G722Decoder, G722Encoder};
use dialtone_media::codec::opus::{OpusConfig, OpusDecoder, OpusEncoder};
use dialtone_media::codec::{AudioDecoder, AudioEncoder};

/// A codec's name with its encoder and decoder, as the engine would hold them.
type Pair = (&'static str, Box<dyn AudioEncoder>, Box<dyn AudioDecoder>);

fn pairs() -> Vec<Pair> {
    vec![
        (
            "PCMU",
            Box::new(G711Encoder::new(Law::Mu, 160)),
            Box::new(G711Decoder::new(Law::Mu, 160)),
        ),
        (
            "G722",
            Box::new(G722Encoder::new(320)),
            Box::new(G722Decoder::new(320)),
        ),
        (
            "opus",
            Box::new(OpusEncoder::new(OpusConfig::default()).expect("opus encoder")),
            Box::new(OpusDecoder::new(false).expect("opus decoder")),
        ),
    ]
}

#[test]
fn each_codec_round_trips_a_frame_through_the_traits() {
    for (name, mut encoder, mut decoder) in pairs() {
        let format = encoder.format();
        let pcm: Vec<i16> = (0..format.frame_len())
            .map(|i| ((i as f32 * 0.05).sin() * 8000.0) as i16)
            .collect();
        let mut payload = [0u8; 1500];
        let len = encoder.encode(&pcm, &mut payload).expect(name);
        assert!(len > 0, "{name} produced a payload");
        let mut out = vec![0i16; 5760];
        let samples = decoder.decode(&payload[..len], &mut out).expect(name);
        assert_eq!(samples, format.frame_samples, "{name} decodes one frame");
        assert_eq!(decoder.format().clock_rate, format.clock_rate, "{name}");
        assert!(
            decoder.conceal(&mut out).expect(name) > 0,
            "{name} conceals"
        );
    }
}

#[test]
fn g722_keeps_its_8000_hz_rtp_clock_through_the_seam() {
    let encoder = G722Encoder::new(320);
    let format = AudioEncoder::format(&encoder);
    assert_eq!((format.clock_rate, format.sample_rate), (8000, 16000));
}
