//! Just enough of the Opus packet layout (RFC 6716 §3) to answer "does this packet carry in-band
//! FEC for the one before it?" without calling into C.
//!
//! libopus has `opus_packet_has_lbrr`, but opusic-c exposes it only through unsafe FFI and this
//! workspace denies `unsafe`. The logic is short: SILK and hybrid frames start with one VAD flag
//! per 20 ms SILK frame followed by the LBRR (redundancy) flag, as raw top bits of the first byte.

/// True when `packet` is a SILK or hybrid packet whose first frame carries LBRR data, i.e. when
/// decoding it with FEC recovers the previous packet better than concealment would. Malformed
/// packets answer false.
pub(crate) fn has_lbrr(packet: &[u8]) -> bool {
    let Some(&toc) = packet.first() else {
        return false;
    };
    let config = toc >> 3;
    if config >= 16 {
        return false; // CELT-only: no SILK layer, no LBRR.
    }
    // SILK-only configs 0..=11 cycle 10/20/40/60 ms; hybrid 12..=15 cycle 10/20 ms.
    let frame_ms = if config < 12 {
        [10, 20, 40, 60][usize::from(config & 3)]
    } else {
        [10, 20][usize::from(config & 1)]
    };
    let silk_frames: u32 = if frame_ms > 20 { frame_ms / 20 } else { 1 };
    let stereo = toc & 0x04 != 0;
    let Some(first) = first_frame(packet) else {
        return false;
    };
    let Some(&b) = first.first() else {
        return false;
    };
    let mut lbrr = (b >> (7 - silk_frames)) & 1 == 1;
    if stereo {
        lbrr |= (b >> (6 - 2 * silk_frames)) & 1 == 1;
    }
    lbrr
}

/// The bytes of the first frame of `packet` (RFC 6716 §3.2), or `None` if the packet is malformed.
fn first_frame(packet: &[u8]) -> Option<&[u8]> {
    let toc = *packet.first()?;
    let rest = &packet[1..];
    match toc & 3 {
        // One frame, or two equal frames: the first frame starts right after the TOC.
        0 | 1 => Some(rest),
        // Two frames, the first one's length coded in 1 or 2 bytes.
        2 => {
            let (len, used) = frame_length(rest)?;
            rest.get(used..used + len)
        }
        // Arbitrary number of frames, with optional padding and optional VBR lengths.
        _ => {
            let count_byte = *rest.first()?;
            let vbr = count_byte & 0x80 != 0;
            let padded = count_byte & 0x40 != 0;
            let frames = usize::from(count_byte & 0x3f);
            if frames == 0 {
                return None;
            }
            let mut pos = 1;
            let mut padding = 0usize;
            if padded {
                loop {
                    let p = *rest.get(pos)?;
                    pos += 1;
                    padding += if p == 255 { 254 } else { usize::from(p) };
                    if p != 255 {
                        break;
                    }
                }
            }
            let data_end = rest.len().checked_sub(padding)?;
            if vbr && frames > 1 {
                // frames-1 length fields follow; the first is frame 0's, its data after them all.
                let (len, used) = frame_length(rest.get(pos..)?)?;
                let mut p = pos + used;
                for _ in 2..frames {
                    let (_, u) = frame_length(rest.get(p..)?)?;
                    p += u;
                }
                rest.get(p..(p + len).min(data_end))
            } else {
                let total = data_end.checked_sub(pos)?;
                let len = total / frames;
                rest.get(pos..pos + len)
            }
        }
    }
}

/// RFC 6716 §3.2.1 frame length: one byte below 252, else two bytes.
fn frame_length(b: &[u8]) -> Option<(usize, usize)> {
    let first = usize::from(*b.first()?);
    if first < 252 {
        Some((first, 1))
    } else {
        let second = usize::from(*b.get(1)?);
        Some((second * 4 + first, 2))
    }
}

#[cfg(test)]
mod tests {
    use super::has_lbrr;

    // TOC bytes: config 9 = SILK wideband 20 ms, config 10 = SILK wideband 40 ms,
    // config 31 = CELT fullband 20 ms; the low two bits are the frame-count code.
    const SILK_20: u8 = 9 << 3;
    const SILK_40: u8 = 10 << 3;
    const CELT_20: u8 = 31 << 3;

    #[test]
    fn reads_the_lbrr_flag_after_one_vad_flag_per_silk_frame() {
        assert!(has_lbrr(&[SILK_20, 0b0100_0000, 0]));
        assert!(!has_lbrr(&[SILK_20, 0b1000_0000, 0]), "VAD set, LBRR clear");
        assert!(has_lbrr(&[SILK_40, 0b0010_0000]));
        assert!(
            !has_lbrr(&[SILK_40, 0b1100_0000]),
            "two VAD flags, LBRR clear"
        );
        assert!(
            has_lbrr(&[SILK_20 | 0x04, 0b0001_0000]),
            "stereo side channel LBRR"
        );
    }

    #[test]
    fn finds_the_first_frame_for_every_frame_count_code() {
        assert!(
            has_lbrr(&[SILK_20 | 1, 0x40, 0x00]),
            "code 1: two equal frames"
        );
        assert!(has_lbrr(&[SILK_20 | 2, 2, 0x40, 0x00, 0x00]), "code 2");
        assert!(has_lbrr(&[SILK_20 | 3, 0x02, 0x40, 0x00]), "code 3 CBR");
        // code 3, VBR + padding: 2 frames, 1 padding byte, frame 0 is 1 byte long.
        assert!(has_lbrr(&[SILK_20 | 3, 0xc2, 0x01, 0x01, 0x40, 0x00, 0x00]));
    }

    #[test]
    fn celt_empty_and_malformed_packets_have_no_lbrr() {
        assert!(!has_lbrr(&[CELT_20, 0xff, 0xff]));
        assert!(!has_lbrr(&[]));
        assert!(!has_lbrr(&[SILK_20]));
        assert!(
            !has_lbrr(&[SILK_20 | 2, 200, 0x40]),
            "code 2 length past the end"
        );
        assert!(!has_lbrr(&[SILK_20 | 3, 0x00]), "code 3 with zero frames");
        assert!(
            !has_lbrr(&[SILK_20 | 3, 0x42, 0xff]),
            "padding past the end"
        );
    }
}
