//! The answerer's side: choosing codec, keys, direction and RTCP from a remote offer.

use super::attribute::Direction;
use super::caps::{LocalCapabilities, SrtpPolicy};
use super::codec::{Codec, CodecSpec, TELEPHONE_EVENT};
use super::crypto::{CryptoAttribute, SrtpKey};
use super::error::SdpError;
use super::model::{Attribute, MediaDescription, SessionDescription};
use super::negotiate::{
    effective_direction, pick_dtmf, remote_addresses, send_ptime, LocalKeys, Negotiated, OriginIds,
    SrtpParams, DTMF_EVENTS,
};
use super::offer::{media_section, session, telephone_event};

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
        .find(CryptoAttribute::is_usable);
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
