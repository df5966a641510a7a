//! RFC 3264 offer/answer for one audio stream: what was agreed ([`Negotiated`]), the public
//! entry points, and the rules both sides share (addresses, direction, DTMF, ptime).
//!
//! The builders (`offer::build_offer`, `answer::build_answer`) take every varying input
//! (origin ids, our keys, payload numbers already in use) as arguments, so that
//! [`super::SdpSession`] can keep them stable across re-offers and tests can compare whole
//! descriptions; the public free functions here draw fresh ids and keys.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use super::answer::build_answer;
use super::attribute::Direction;
use super::caps::LocalCapabilities;
use super::codec::Codec;
use super::crypto::{Mki, SrtpKey, SrtpSuite};
use super::error::SdpError;
use super::model::{Connection, MediaDescription, SessionDescription};
use super::offer::build_offer;
pub use super::offer::process_answer;

/// What one completed offer/answer exchange decided: everything the RTP/SRTP layer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Index of the audio `m=` line in the offer and answer.
    pub media_index: usize,
    pub remote_rtp: SocketAddr,
    /// Same as `remote_rtp` with rtcp-mux; else `a=rtcp` (RFC 3605); else RTP port + 1.
    pub remote_rtcp: SocketAddr,
    /// What we encode: the peer's payload type number and the peer's `fmtp` (what it wants to
    /// receive, e.g. Opus `maxaveragebitrate`).
    pub send_codec: Codec,
    /// What we may receive, by payload type (our `fmtp`), telephone-event included.
    pub recv_codecs: BTreeMap<u8, Codec>,
    /// RFC 4733 payload type to send DTMF with; `None` means the peer cannot take RFC 4733.
    pub dtmf_send_pt: Option<u8>,
    pub dtmf_recv_pt: Option<u8>,
    /// Packet duration to send, in ms: the peer's `a=ptime` when sane, else ours, capped by its
    /// `a=maxptime`.
    pub ptime: u32,
    /// What we do: `sends()` = we should send, `receives()` = we should expect media.
    pub local_direction: Direction,
    /// What the peer declared (after RFC 2543 `c=0.0.0.0` hold removes its receiving).
    pub remote_direction: Direction,
    /// The peer put us on hold: it declared sendonly/inactive or `c=0.0.0.0` while we were
    /// willing to send. Show "held" in the UI.
    pub held_by_remote: bool,
    pub srtp: Option<SrtpParams>,
    pub rtcp_mux: bool,
}

impl Negotiated {
    /// Should we send RTP (not on hold by either side)?
    pub fn should_send(&self) -> bool {
        self.local_direction.sends()
    }

    /// Should we expect RTP from the peer?
    pub fn should_receive(&self) -> bool {
        self.local_direction.receives()
    }
}

/// The SDES keys of a call: ours protects what we send, the peer's what it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpParams {
    pub suite: SrtpSuite,
    pub local_key: SrtpKey,
    pub remote_key: SrtpKey,
    /// The peer's MKI, when it puts one in its packets.
    pub remote_mki: Option<Mki>,
}

/// Our SDES keys, one per supported suite, kept for the whole call so that re-offers (hold,
/// resume) do not rekey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalKeys {
    keys: Vec<(SrtpSuite, SrtpKey)>,
}

impl LocalKeys {
    /// Fresh random keys for every supported suite.
    pub fn random() -> Self {
        Self {
            keys: SrtpSuite::SUPPORTED
                .iter()
                .map(|suite| (suite.clone(), SrtpKey::random()))
                .collect(),
        }
    }

    pub(super) fn get(&self, suite: &SrtpSuite) -> Option<&SrtpKey> {
        self.keys.iter().find(|(s, _)| s == suite).map(|(_, k)| k)
    }
}

/// `o=` session id and version of our descriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OriginIds {
    pub(crate) session_id: u64,
    pub(crate) version: u64,
}

impl OriginIds {
    pub(crate) fn random(version: u64) -> Self {
        // Below 2^62 so that a peer storing it in a signed 64-bit integer copes (RFC 8866 §5.2
        // recommends an NTP timestamp; any unique number works).
        Self {
            session_id: rand::random::<u64>() >> 2,
            version,
        }
    }
}

/// Creates an offer from our capabilities, with a fresh session id and fresh SDES keys.
///
/// Used for the INVITE, for a late offer (our 200 OK to an INVITE without SDP, answered in the
/// ACK) and for re-offers; [`super::SdpSession`] keeps ids, keys and payload numbers stable across
/// those. The profile follows [`super::SrtpPolicy`]: Off → RTP/AVP; Optional → RTP/AVP with `a=crypto`
/// (best-effort SDES); Mandatory → RTP/SAVP with `a=crypto`. Both suites are offered, _80 first.
pub fn create_offer(caps: &LocalCapabilities, session_version: u64) -> SessionDescription {
    build_offer(
        caps,
        &OriginIds::random(session_version),
        &LocalKeys::random(),
        caps.direction,
        &[],
    )
}

/// Answers a remote offer (initial or re-offer) with a fresh session id and key.
///
/// The codec is the first one in *our* preference order that the offer also has — not the
/// offerer's first — so the account's codec setting decides on incoming calls too (RFC 3264 lets
/// the answerer choose). The answer keeps the offer's payload type numbers and lists only that
/// codec plus telephone-event (if offered), so both directions use the same codec.
pub fn create_answer(
    offer: &SessionDescription,
    caps: &LocalCapabilities,
) -> Result<(SessionDescription, Negotiated), SdpError> {
    build_answer(
        offer,
        caps,
        &OriginIds::random(1),
        &LocalKeys::random(),
        caps.direction,
    )
}

pub(super) const DEFAULT_PTIME: u32 = 20;

/// RFC 4733 events 0–15 (DTMF) and 16 (flash), what phones offer.
pub(super) const DTMF_EVENTS: &str = "0-16";

pub(super) const FIRST_DYNAMIC_PT: u8 = 96;

pub(super) const LAST_DYNAMIC_PT: u8 = 127;

/// RFC 2543 hold (`c=0.0.0.0`): the peer receives nothing, whatever its attribute says.
pub(super) fn effective_direction(declared: Direction, hold_address: bool) -> Direction {
    if hold_address {
        Direction::from_flags(declared.sends(), false)
    } else {
        declared
    }
}

/// Where to send RTP and RTCP, and whether the address is the RFC 2543 hold address.
pub(super) fn remote_addresses(
    sdp: &SessionDescription,
    media: &MediaDescription,
    rtcp_mux: bool,
) -> Result<(SocketAddr, SocketAddr, bool), SdpError> {
    let connection = sdp
        .media_connection(media)
        .ok_or_else(|| SdpError::NoAddress("there is no c= line".to_owned()))?;
    let ip = connection.ip().ok_or_else(|| {
        SdpError::NoAddress(format!(
            "`{}` is not an IP address (host names in SDP are not supported)",
            connection.address
        ))
    })?;
    let rtp = SocketAddr::new(ip, media.port);
    let rtcp = if rtcp_mux {
        rtp
    } else if let Some(attr) = media.rtcp() {
        // `a=rtcp:9 IN IP4 0.0.0.0` (browsers) names no address: keep the RTP one.
        let rtcp_ip: IpAddr = attr
            .connection
            .as_ref()
            .and_then(Connection::ip)
            .filter(|ip| !ip.is_unspecified())
            .unwrap_or(ip);
        SocketAddr::new(rtcp_ip, attr.port)
    } else {
        SocketAddr::new(ip, media.port.checked_add(1).unwrap_or(media.port))
    };
    Ok((rtp, rtcp, connection.is_hold_address()))
}

/// The telephone-event to use: same clock rate as the voice codec (RFC 4733 §2.1), else any.
pub(super) fn pick_dtmf(codecs: &[Codec], clock_rate: u32) -> Option<u8> {
    let events = || codecs.iter().filter(|c| c.is_telephone_event());
    events()
        .find(|c| c.clock_rate == clock_rate)
        .or_else(|| events().next())
        .map(|c| c.payload_type)
}

pub(super) fn send_ptime(theirs: &MediaDescription, ours: u32) -> u32 {
    let ptime = theirs
        .ptime()
        .filter(|p| (10..=120).contains(p))
        .unwrap_or(ours);
    theirs
        .maxptime()
        .filter(|max| *max >= 10)
        .map_or(ptime, |max| ptime.min(max))
}
