//! Parsing compound RTCP packets (RFC 3550 §6.1, §6.4–§6.6, A.2) as borrowed views.

use super::{packet_type, NtpTime, ReportBlock, RtcpError, SenderInfo, SDES_CNAME};

/// A validated compound RTCP packet borrowing its datagram.
///
/// [`RtcpCompound::parse`] checks every sub-packet (version, lengths adding up to the datagram,
/// padding, and each body against its count field), so iterating cannot fail afterwards.
/// RFC 3550 A.2 also asks that the first packet be SR or RR; that is not enforced, because
/// reduced-size RTCP (RFC 5506) and baresip's own BYE compound (BYE before SDES) do not follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpCompound<'a> {
    buf: &'a [u8],
}

/// One packet of a compound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// SR (RFC 3550 §6.4.1).
    SenderReport(SenderReport<'a>),
    /// RR (RFC 3550 §6.4.2).
    ReceiverReport(ReceiverReport<'a>),
    /// SDES (RFC 3550 §6.5): one chunk per source.
    SourceDescription(SdesChunks<'a>),
    /// BYE (RFC 3550 §6.6).
    Bye(Bye<'a>),
    /// APP and every type we do not interpret (RTPFB/PSFB feedback, XR…): kept so a caller can
    /// log it, and otherwise skipped. `body` excludes the common header and any padding.
    Other {
        packet_type: u8,
        count: u8,
        body: &'a [u8],
    },
}

/// A sender report: the sender's own counters and what it received from others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// The sender's SSRC.
    pub ssrc: u32,
    /// Wallclock, RTP timestamp and counters at the time of the report.
    pub sender_info: SenderInfo,
    /// Reception report blocks.
    pub report_blocks: ReportBlocks<'a>,
}

/// A receiver report: what a participant that is not sending received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// The reporter's SSRC.
    pub ssrc: u32,
    /// Reception report blocks.
    pub report_blocks: ReportBlocks<'a>,
}

/// The report blocks of an SR or RR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportBlocks<'a> {
    bytes: &'a [u8],
}

/// The chunks of an SDES packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunks<'a> {
    rest: &'a [u8],
    remaining: u8,
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source (SSRC or CSRC) described.
    pub ssrc: u32,
    items: &'a [u8],
}

/// The items of one SDES chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItems<'a> {
    rest: &'a [u8],
}

/// One SDES item (RFC 3550 §6.5): type and raw value (UTF-8 text for the defined types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItem<'a> {
    /// Item type: 1 CNAME, 2 NAME, … 8 PRIV.
    pub kind: u8,
    /// Value bytes (at most 255).
    pub value: &'a [u8],
}

/// A BYE: the sources leaving and an optional reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    sources: &'a [u8],
    /// The reason for leaving, if given (UTF-8 text per RFC 3550 §6.6, not checked).
    pub reason: Option<&'a [u8]>,
}

impl<'a> RtcpCompound<'a> {
    /// Parses and validates a whole compound packet.
    pub fn parse(buf: &'a [u8]) -> Result<Self, RtcpError> {
        if buf.len() < 4 {
            return Err(RtcpError::TooShort(buf.len()));
        }
        let mut rest = buf;
        while !rest.is_empty() {
            let (header, body, next) = split(rest)?;
            decode(header, body)?;
            rest = next;
        }
        Ok(Self { buf })
    }

    /// The packets in order.
    pub fn packets(&self) -> impl Iterator<Item = RtcpPacket<'a>> + 'a {
        let mut rest = self.buf;
        std::iter::from_fn(move || {
            // Validated by `parse`; an error here would end the iteration, never panic.
            let (header, body, next) = split(rest).ok()?;
            rest = next;
            decode(header, body).ok()
        })
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
}

/// The first two octets of a packet's common header.
#[derive(Clone, Copy)]
struct Header {
    count: u8,
    packet_type: u8,
}

/// Splits off the first packet: its header, its body without padding, and what follows.
fn split(buf: &[u8]) -> Result<(Header, &[u8], &[u8]), RtcpError> {
    let [first, packet_type, len_hi, len_lo, ..] = *buf else {
        return Err(RtcpError::TooShort(buf.len()));
    };
    let version = first >> 6;
    if version != 2 {
        return Err(RtcpError::BadVersion(version));
    }
    let length = (usize::from(u16::from_be_bytes([len_hi, len_lo])) + 1) * 4;
    if length > buf.len() {
        return Err(RtcpError::LengthOverrun {
            packet_type,
            length,
            available: buf.len(),
        });
    }
    let (packet, next) = buf.split_at(length);
    let mut body = &packet[4..];
    if first & 0x20 != 0 {
        let count = usize::from(body.last().copied().unwrap_or(0));
        if count == 0 || count > body.len() {
            return Err(RtcpError::BadPadding(packet_type));
        }
        body = &body[..body.len() - count];
    }
    let header = Header {
        count: first & 0x1f,
        packet_type,
    };
    Ok((header, body, next))
}

fn decode(header: Header, body: &[u8]) -> Result<RtcpPacket<'_>, RtcpError> {
    let truncated = RtcpError::Truncated(header.packet_type);
    let blocks_len = usize::from(header.count) * ReportBlock::LEN;
    match header.packet_type {
        packet_type::SR => {
            let fixed = body.get(..24).ok_or(truncated)?;
            let blocks = body.get(24..24 + blocks_len).ok_or(truncated)?;
            let word =
                |i: usize| u32::from_be_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
            Ok(RtcpPacket::SenderReport(SenderReport {
                ssrc: word(0),
                sender_info: SenderInfo {
                    ntp: NtpTime::from_parts(word(4), word(8)),
                    rtp_timestamp: word(12),
                    packet_count: word(16),
                    octet_count: word(20),
                },
                report_blocks: ReportBlocks { bytes: blocks },
            }))
        }
        packet_type::RR => {
            let ssrc = body.get(..4).ok_or(truncated)?;
            let blocks = body.get(4..4 + blocks_len).ok_or(truncated)?;
            Ok(RtcpPacket::ReceiverReport(ReceiverReport {
                ssrc: u32::from_be_bytes([ssrc[0], ssrc[1], ssrc[2], ssrc[3]]),
                report_blocks: ReportBlocks { bytes: blocks },
            }))
        }
        packet_type::SDES => {
            let mut rest = body;
            for _ in 0..header.count {
                let (_, next) = next_chunk(rest).ok_or(truncated)?;
                rest = next;
            }
            Ok(RtcpPacket::SourceDescription(SdesChunks {
                rest: body,
                remaining: header.count,
            }))
        }
        packet_type::BYE => {
            let sources_len = usize::from(header.count) * 4;
            let sources = body.get(..sources_len).ok_or(truncated)?;
            let reason = match body.get(sources_len) {
                None => None,
                Some(&len) => {
                    let start = sources_len + 1;
                    Some(body.get(start..start + usize::from(len)).ok_or(truncated)?)
                }
            };
            Ok(RtcpPacket::Bye(Bye { sources, reason }))
        }
        packet_type => Ok(RtcpPacket::Other {
            packet_type,
            count: header.count,
            body,
        }),
    }
}

/// Splits one SDES chunk off `buf`: SSRC, items up to the END item, padding to a 32-bit
/// boundary (RFC 3550 §6.5). A final chunk that ends with the packet without an END item is
/// accepted (lenient: some stacks omit the null octet when the items end on a word boundary).
fn next_chunk(buf: &[u8]) -> Option<(SdesChunk<'_>, &[u8])> {
    let ssrc = buf.get(..4)?;
    let ssrc = u32::from_be_bytes([ssrc[0], ssrc[1], ssrc[2], ssrc[3]]);
    let mut offset = 4;
    loop {
        match buf.get(offset) {
            None => {
                let chunk = SdesChunk {
                    ssrc,
                    items: &buf[4..offset],
                };
                return Some((chunk, &buf[offset..]));
            }
            Some(0) => {
                let chunk = SdesChunk {
                    ssrc,
                    items: &buf[4..offset],
                };
                // The END octet, then null octets up to the next 32-bit boundary.
                let next = (offset + 4) & !3;
                return Some((chunk, buf.get(next..).unwrap_or(&[])));
            }
            Some(_) => {
                let len = usize::from(*buf.get(offset + 1)?);
                offset += 2 + len;
                if offset > buf.len() {
                    return None;
                }
            }
        }
    }
}

impl<'a> ReportBlocks<'a> {
    /// No report blocks.
    pub const EMPTY: ReportBlocks<'static> = ReportBlocks { bytes: &[] };
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        let (block, rest) = self.bytes.split_first_chunk::<{ ReportBlock::LEN }>()?;
        self.bytes = rest;
        Some(ReportBlock::read(block))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.bytes.len() / ReportBlock::LEN;
        (n, Some(n))
    }
}

impl ExactSizeIterator for ReportBlocks<'_> {}

impl<'a> Iterator for SdesChunks<'a> {
    type Item = SdesChunk<'a>;

    fn next(&mut self) -> Option<SdesChunk<'a>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let (chunk, rest) = next_chunk(self.rest)?;
        self.rest = rest;
        Some(chunk)
    }
}

impl<'a> SdesChunk<'a> {
    /// The chunk's items in order (END excluded).
    pub fn items(&self) -> SdesItems<'a> {
        SdesItems { rest: self.items }
    }

    /// The CNAME item's value, if present (RFC 3550 §6.5.1: mandatory in every compound).
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items()
            .find(|item| item.kind == SDES_CNAME)
            .map(|item| item.value)
    }
}

impl<'a> Iterator for SdesItems<'a> {
    type Item = SdesItem<'a>;

    fn next(&mut self) -> Option<SdesItem<'a>> {
        let [kind, len, rest @ ..] = self.rest else {
            return None;
        };
        let value = rest.get(..usize::from(*len))?;
        self.rest = &rest[value.len()..];
        Some(SdesItem { kind: *kind, value })
    }
}

impl<'a> Bye<'a> {
    /// The sources leaving.
    pub fn sources(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.sources
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}
