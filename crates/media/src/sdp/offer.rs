//! The offerer's side: building our offer and checking the answer to it.

use super::attribute::{Direction, RtpMap};
use super::caps::{LocalCapabilities, SrtpPolicy};
use super::codec::{Codec, CodecSpec, TELEPHONE_EVENT};
use super::crypto::{CryptoAttribute, SrtpSuite};
use super::error::SdpError;
use super::model::{Attribute, Connection, MediaDescription, Origin, SessionDescription, Timing};
use super::negotiate::{
    effective_direction, pick_dtmf, remote_addresses, send_ptime, LocalKeys, Negotiated, OriginIds,
    SrtpParams, DEFAULT_PTIME, DTMF_EVENTS, FIRST_DYNAMIC_PT, LAST_DYNAMIC_PT,
};

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
            same.then_some(codec)
        })
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
    let (Some(local_key), Some(remote_key), true) =
        (mine.key(), accepted.key(), accepted.is_usable())
    else {
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

pub(super) fn telephone_event(clock_rate: u32) -> CodecSpec {
    CodecSpec {
        name: TELEPHONE_EVENT.to_owned(),
        clock_rate,
        channels: 1,
        fmtp: Some(DTMF_EVENTS.to_owned()),
        static_pt: None,
    }
}

impl CodecSpec {
    pub(super) fn bind(&self, payload_type: u8) -> Codec {
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
pub(super) fn media_section(
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

pub(super) fn session(
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
