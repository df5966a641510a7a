//! RFC 3264 offer/answer for one audio stream, as pure functions.
//!
//! The `build_*` functions take every varying input (origin ids, our keys, payload type numbers
//! already in use) as arguments, so that [`super::SdpSession`] can keep them stable across
//! re-offers and tests can compare whole descriptions. The public free functions draw fresh ids
//! and keys.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use super::attribute::{Direction, RtpMap};
use super::caps::{LocalCapabilities, SrtpPolicy};
use super::codec::{Codec, CodecSpec, TELEPHONE_EVENT};
use super::crypto::{CryptoAttribute, Mki, SrtpKey, SrtpSuite};
use super::error::SdpError;
use super::model::{Attribute, Connection, MediaDescription, Origin, SessionDescription, Timing};

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

    fn get(&self, suite: &SrtpSuite) -> Option<&SrtpKey> {
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
/// those. The profile follows [`SrtpPolicy`]: Off → RTP/AVP; Optional → RTP/AVP with `a=crypto`
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

/// Checks the answer to our offer and says what was agreed. The answer must mirror our m-lines,
/// pick its codec from our offer, and accept one of our crypto tags (or none, only when our
/// offer was best-effort RTP/AVP).
pub fn process_answer(
    offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<Negotiated, SdpError> {
    if offer.media.len() != answer.media.len() {
        return Err(SdpError::AnswerMismatch(format!(
            "it has {} media lines, our offer had {}",
            answer.media.len(),
            offer.media.len()
        )));
    }
    let (index, ours) = offer
        .media
        .iter()
        .enumerate()
        .find(|(_, m)| m.is_audio() && !m.is_rejected())
        .ok_or(SdpError::NoAudio)?;
    let theirs = &answer.media[index];
    if !theirs.is_audio() {
        return Err(SdpError::AnswerMismatch(format!(
            "media line {} is `{}`, our offer had audio",
            index + 1,
            theirs.media
        )));
    }
    if theirs.is_rejected() {
        return Err(SdpError::AudioRejected);
    }

    // Their codecs, as far as they are ours: same number and same codec.
    let offered: Vec<Codec> = ours.codecs();
    let accepted: Vec<Codec> = theirs
        .payload_types()
        .filter_map(|pt| {
            let mine = offered.iter().find(|c| c.payload_type == pt)?;
            let codec = theirs.codec(pt).unwrap_or_else(|| mine.clone());
            let same =
                codec.name.eq_ignore_ascii_case(&mine.name) && codec.clock_rate == mine.clock_rate;
            if !same {
                tracing::debug!(pt, "SDP answer maps a payload type differently, ignored");
            }
            same.then_some((codec, mine))
        })
        .map(|(codec, _)| codec)
        .collect();
    let send_codec = accepted
        .iter()
        .find(|c| !c.is_telephone_event())
        .cloned()
        .ok_or_else(|| SdpError::NoCommonCodec {
            offered: theirs.codecs().iter().map(Codec::label).collect(),
            supported: offered
                .iter()
                .filter(|c| !c.is_telephone_event())
                .map(Codec::label)
                .collect(),
        })?;
    let recv_codecs = offered
        .iter()
        .filter(|c| accepted.iter().any(|a| a.payload_type == c.payload_type))
        .map(|c| (c.payload_type, c.clone()))
        .collect();
    let dtmf = pick_dtmf(&accepted, send_codec.clock_rate);

    let srtp = answer_srtp(offer, ours, answer, theirs)?;
    let rtcp_mux = ours.rtcp_mux() && answer.media_rtcp_mux(theirs);
    let (remote_rtp, remote_rtcp, hold_address) = remote_addresses(answer, theirs, rtcp_mux)?;
    let our_direction = offer.media_direction(ours);
    let remote_direction = effective_direction(answer.media_direction(theirs), hold_address);
    Ok(Negotiated {
        media_index: index,
        remote_rtp,
        remote_rtcp,
        ptime: send_ptime(theirs, ours.ptime().unwrap_or(DEFAULT_PTIME)),
        send_codec,
        recv_codecs,
        dtmf_send_pt: dtmf,
        dtmf_recv_pt: dtmf,
        local_direction: Direction::answer_to(remote_direction, our_direction),
        held_by_remote: our_direction.sends() && !remote_direction.receives(),
        remote_direction,
        srtp,
        rtcp_mux,
    })
}

const DEFAULT_PTIME: u32 = 20;
/// RFC 4733 events 0–15 (DTMF) and 16 (flash), what phones offer.
const DTMF_EVENTS: &str = "0-16";
const FIRST_DYNAMIC_PT: u8 = 96;
const LAST_DYNAMIC_PT: u8 = 127;

pub(crate) fn build_offer(
    caps: &LocalCapabilities,
    ids: &OriginIds,
    keys: &LocalKeys,
    direction: Direction,
    previous_codecs: &[Codec],
) -> SessionDescription {
    let mut used: Vec<u8> = caps.codecs.iter().filter_map(|c| c.static_pt).collect();
    let mut codecs: Vec<Codec> = Vec::new();
    let mut wanted: Vec<CodecSpec> = caps.codecs.clone();
    if caps.dtmf {
        if caps.codecs.iter().any(|c| c.clock_rate == 48000) {
            wanted.push(telephone_event(48000));
        }
        wanted.push(telephone_event(8000));
    }
    for spec in &wanted {
        let pt = spec.static_pt.or_else(|| {
            let hinted = previous_codecs
                .iter()
                .find(|c| spec.matches(c) && c.payload_type >= FIRST_DYNAMIC_PT)
                .map(|c| c.payload_type)
                .filter(|pt| !used.contains(pt));
            hinted.or_else(|| (FIRST_DYNAMIC_PT..=LAST_DYNAMIC_PT).find(|pt| !used.contains(pt)))
        });
        let Some(pt) = pt else {
            tracing::debug!(codec = %spec.label(), "no dynamic payload type left, codec not offered");
            continue;
        };
        used.push(pt);
        codecs.push(Codec {
            payload_type: pt,
            name: spec.name.clone(),
            clock_rate: spec.clock_rate,
            channels: spec.channels,
            fmtp: spec.fmtp.clone(),
        });
    }

    let proto = if caps.srtp == SrtpPolicy::Mandatory {
        "RTP/SAVP"
    } else {
        "RTP/AVP"
    };
    let mut media = media_section(caps, proto, &codecs, caps.rtcp_mux);
    if caps.srtp != SrtpPolicy::Off {
        for (tag, suite) in (1..).zip(SrtpSuite::SUPPORTED.iter()) {
            if let Some(key) = keys.get(suite) {
                let crypto = CryptoAttribute::new(tag, suite.clone(), key);
                media
                    .attributes
                    .push(Attribute::value("crypto", crypto.to_value()));
            }
        }
    }
    media.attributes.push(direction.attribute());
    session(caps, ids, vec![media])
}

pub(crate) fn build_answer(
    offer: &SessionDescription,
    caps: &LocalCapabilities,
    ids: &OriginIds,
    keys: &LocalKeys,
    wanted: Direction,
) -> Result<(SessionDescription, Negotiated), SdpError> {
    let mut first_error = None;
    let mut chosen = None;
    for (index, media) in offer.media.iter().enumerate() {
        if !media.is_audio() || media.is_rejected() {
            continue;
        }
        match answer_audio(offer, index, caps, keys, wanted) {
            Ok(result) => {
                chosen = Some(result);
                break;
            }
            Err(error) => {
                tracing::debug!(index, %error, "SDP offer: audio stream not usable");
                first_error.get_or_insert(error);
            }
        }
    }
    let Some((audio, negotiated)) = chosen else {
        return Err(first_error.unwrap_or(SdpError::NoAudio));
    };
    let mut audio = Some(audio);
    let media = offer
        .media
        .iter()
        .enumerate()
        .map(
            |(index, offered)| match audio.take_if(|_| index == negotiated.media_index) {
                Some(answered) => answered,
                None => rejected(offered),
            },
        )
        .collect();
    Ok((session(caps, ids, media), negotiated))
}

/// Answers the audio m-line `index` of `offer`, or says why it cannot be used.
fn answer_audio(
    offer: &SessionDescription,
    index: usize,
    caps: &LocalCapabilities,
    keys: &LocalKeys,
    wanted: Direction,
) -> Result<(MediaDescription, Negotiated), SdpError> {
    let theirs = offer.media.get(index).ok_or(SdpError::NoAudio)?;
    let proto = theirs.proto.to_ascii_uppercase();
    if !matches!(
        proto.as_str(),
        "RTP/AVP" | "RTP/AVPF" | "RTP/SAVP" | "RTP/SAVPF"
    ) {
        return Err(SdpError::UnsupportedTransport {
            proto: theirs.proto.clone(),
        });
    }
    let offered = theirs.codecs();
    let send_codec = caps
        .codecs
        .iter()
        .find_map(|spec| {
            let codec = offered.iter().find(|c| spec.matches(c))?;
            Some((spec, codec.clone()))
        })
        .ok_or_else(|| no_common_codec(theirs, caps))?;
    let (spec, send_codec) = send_codec;
    let dtmf = if caps.dtmf {
        pick_dtmf(&offered, send_codec.clock_rate)
    } else {
        None
    };
    let crypto = choose_crypto(offer, theirs, caps.srtp, proto.contains("SAVP"))?;
    let rtcp_mux = caps.rtcp_mux && offer.media_rtcp_mux(theirs);
    let (remote_rtp, remote_rtcp, hold_address) = remote_addresses(offer, theirs, rtcp_mux)?;
    let remote_direction = effective_direction(offer.media_direction(theirs), hold_address);
    let local_direction = Direction::answer_to(remote_direction, wanted);

    let ours = Codec {
        fmtp: spec.fmtp.clone(),
        ..send_codec.clone()
    };
    let mut our_codecs = vec![ours];
    if let Some(pt) = dtmf {
        our_codecs.push(Codec {
            payload_type: pt,
            fmtp: Some(DTMF_EVENTS.to_owned()),
            ..offered
                .iter()
                .find(|c| c.payload_type == pt)
                .cloned()
                .unwrap_or_else(|| telephone_event(8000).bind(pt))
        });
    }
    let mut media = media_section(caps, &theirs.proto, &our_codecs, rtcp_mux);
    media.media = theirs.media.clone();
    let srtp = match crypto {
        Some(theirs) => {
            let local_key = keys
                .get(&theirs.suite)
                .cloned()
                .unwrap_or_else(SrtpKey::random);
            let answer = CryptoAttribute::new(theirs.tag, theirs.suite.clone(), &local_key);
            media
                .attributes
                .push(Attribute::value("crypto", answer.to_value()));
            Some(SrtpParams {
                suite: theirs.suite.clone(),
                remote_key: theirs.key().ok_or(SdpError::SrtpRequired)?,
                remote_mki: theirs.mki(),
                local_key,
            })
        }
        None => None,
    };
    media.attributes.push(local_direction.attribute());

    let negotiated = Negotiated {
        media_index: index,
        remote_rtp,
        remote_rtcp,
        ptime: send_ptime(theirs, caps.ptime),
        recv_codecs: our_codecs
            .iter()
            .map(|c| (c.payload_type, c.clone()))
            .collect(),
        send_codec,
        dtmf_send_pt: dtmf,
        dtmf_recv_pt: dtmf,
        local_direction,
        remote_direction,
        held_by_remote: !remote_direction.receives(),
        srtp,
        rtcp_mux,
    };
    Ok((media, negotiated))
}

/// The crypto line to accept, per policy; `None` means plain RTP.
fn choose_crypto(
    offer: &SessionDescription,
    theirs: &MediaDescription,
    policy: SrtpPolicy,
    secure_profile: bool,
) -> Result<Option<CryptoAttribute>, SdpError> {
    if policy == SrtpPolicy::Off {
        return if secure_profile {
            Err(SdpError::SrtpDisabled)
        } else {
            Ok(None)
        };
    }
    let usable = offer
        .media_cryptos(theirs)
        .into_iter()
        .find(|c| c.suite.is_supported() && c.key().is_some());
    if usable.is_some() {
        return Ok(usable);
    }
    let offered_suites: Vec<String> = theirs
        .attributes("crypto")
        .chain(offer.attributes("crypto"))
        .filter_map(|a| {
            a.value
                .as_deref()?
                .split_whitespace()
                .nth(1)
                .map(str::to_owned)
        })
        .collect();
    if secure_profile || (policy == SrtpPolicy::Mandatory && !offered_suites.is_empty()) {
        Err(SdpError::NoCommonCryptoSuite {
            offered: offered_suites,
        })
    } else if policy == SrtpPolicy::Mandatory {
        Err(SdpError::SrtpRequired)
    } else {
        Ok(None)
    }
}

/// Validates the crypto line of an answer against our offer.
fn answer_srtp(
    offer: &SessionDescription,
    ours: &MediaDescription,
    answer: &SessionDescription,
    theirs: &MediaDescription,
) -> Result<Option<SrtpParams>, SdpError> {
    let offered = offer.media_cryptos(ours);
    let secure_profile = ours.proto.to_ascii_uppercase().contains("SAVP");
    let Some(accepted) = answer.media_cryptos(theirs).into_iter().next() else {
        if secure_profile {
            return Err(SdpError::SrtpRequired);
        }
        return Ok(None);
    };
    if offered.is_empty() {
        tracing::debug!("SDP answer has a=crypto but we offered none; ignored");
        return Ok(None);
    }
    let mine = offered
        .iter()
        .find(|c| c.tag == accepted.tag)
        .ok_or_else(|| {
            SdpError::AnswerMismatch(format!(
                "it accepts crypto tag {}, which our offer does not have",
                accepted.tag
            ))
        })?;
    if mine.suite != accepted.suite {
        return Err(SdpError::AnswerMismatch(format!(
            "crypto tag {} is {} in our offer but {} in the answer",
            accepted.tag, mine.suite, accepted.suite
        )));
    }
    let (Some(local_key), Some(remote_key)) = (mine.key(), accepted.key()) else {
        return Err(SdpError::NoCommonCryptoSuite {
            offered: vec![accepted.suite.to_string()],
        });
    };
    Ok(Some(SrtpParams {
        suite: accepted.suite.clone(),
        local_key,
        remote_key,
        remote_mki: accepted.mki(),
    }))
}

/// RFC 2543 hold (`c=0.0.0.0`): the peer receives nothing, whatever its attribute says.
fn effective_direction(declared: Direction, hold_address: bool) -> Direction {
    if hold_address {
        Direction::from_flags(declared.sends(), false)
    } else {
        declared
    }
}

/// Where to send RTP and RTCP, and whether the address is the RFC 2543 hold address.
fn remote_addresses(
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
fn pick_dtmf(codecs: &[Codec], clock_rate: u32) -> Option<u8> {
    let events = || codecs.iter().filter(|c| c.is_telephone_event());
    events()
        .find(|c| c.clock_rate == clock_rate)
        .or_else(|| events().next())
        .map(|c| c.payload_type)
}

fn send_ptime(theirs: &MediaDescription, ours: u32) -> u32 {
    let ptime = theirs
        .ptime()
        .filter(|p| (10..=120).contains(p))
        .unwrap_or(ours);
    theirs
        .maxptime()
        .filter(|max| *max >= 10)
        .map_or(ptime, |max| ptime.min(max))
}

fn no_common_codec(theirs: &MediaDescription, caps: &LocalCapabilities) -> SdpError {
    let offered = theirs
        .payload_types()
        .map(|pt| match theirs.codec(pt) {
            Some(codec) => codec.label(),
            None => format!("payload type {pt} (no a=rtpmap)"),
        })
        .filter(|label| !label.starts_with(TELEPHONE_EVENT))
        .collect();
    SdpError::NoCommonCodec {
        offered,
        supported: caps.codecs.iter().map(CodecSpec::label).collect(),
    }
}

fn telephone_event(clock_rate: u32) -> CodecSpec {
    CodecSpec {
        name: TELEPHONE_EVENT.to_owned(),
        clock_rate,
        channels: 1,
        fmtp: Some(DTMF_EVENTS.to_owned()),
        static_pt: None,
    }
}

impl CodecSpec {
    fn bind(&self, payload_type: u8) -> Codec {
        Codec {
            payload_type,
            name: self.name.clone(),
            clock_rate: self.clock_rate,
            channels: self.channels,
            fmtp: self.fmtp.clone(),
        }
    }
}

/// Our audio m-line without crypto and direction: formats, rtpmaps, fmtps, ptime, RTCP.
fn media_section(
    caps: &LocalCapabilities,
    proto: &str,
    codecs: &[Codec],
    rtcp_mux: bool,
) -> MediaDescription {
    let mut attributes = Vec::new();
    for codec in codecs {
        let map = RtpMap {
            payload_type: codec.payload_type,
            encoding: codec.name.clone(),
            clock_rate: codec.clock_rate,
            channels: codec.channels,
        };
        attributes.push(Attribute::value("rtpmap", map.to_value()));
        if let Some(fmtp) = &codec.fmtp {
            attributes.push(Attribute::value(
                "fmtp",
                format!("{} {fmtp}", codec.payload_type),
            ));
        }
    }
    attributes.push(Attribute::value("ptime", caps.ptime.to_string()));
    if let Some(port) = caps.rtcp_port.filter(|_| !rtcp_mux) {
        attributes.push(Attribute::value("rtcp", port.to_string()));
    }
    if rtcp_mux {
        attributes.push(Attribute::flag("rtcp-mux"));
    }
    MediaDescription {
        media: "audio".to_owned(),
        port: caps.rtp_port,
        port_count: None,
        proto: proto.to_owned(),
        formats: codecs.iter().map(|c| c.payload_type.to_string()).collect(),
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        attributes,
    }
}

/// An m-line we decline: same media, proto and formats, port 0, nothing else (RFC 3264 §6).
fn rejected(offered: &MediaDescription) -> MediaDescription {
    MediaDescription {
        media: offered.media.clone(),
        port: 0,
        port_count: None,
        proto: offered.proto.clone(),
        formats: offered.formats.clone(),
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        attributes: Vec::new(),
    }
}

fn session(
    caps: &LocalCapabilities,
    ids: &OriginIds,
    media: Vec<MediaDescription>,
) -> SessionDescription {
    let connection = Connection::new(caps.address);
    SessionDescription {
        origin: Origin {
            username: "-".to_owned(),
            session_id: ids.session_id.to_string(),
            session_version: ids.version,
            net_type: connection.net_type.clone(),
            addr_type: connection.addr_type.clone(),
            address: connection.address.clone(),
        },
        session_name: "-".to_owned(),
        information: None,
        uri: None,
        emails: Vec::new(),
        phones: Vec::new(),
        connection: Some(connection),
        bandwidths: Vec::new(),
        timings: vec![Timing::default()],
        time_zones: None,
        key: None,
        attributes: Vec::new(),
        media,
    }
}
