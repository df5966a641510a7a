//! One call's side of offer/answer over its whole life: initial exchange, hold/resume,
//! re-INVITEs from either side.
//!
//! What must stay stable between exchanges lives here (RFC 3264 §8): the `o=` session id, the
//! version (incremented only when our description changes), our SDES keys, and the payload type
//! numbers already agreed. Everything else is recomputed from [`LocalCapabilities`] each time,
//! so changing the codec list between exchanges renegotiates in the next offer.

use super::answer::build_answer;
use super::attribute::Direction;
use super::caps::LocalCapabilities;
use super::codec::Codec;
use super::error::SdpError;
use super::model::SessionDescription;
use super::negotiate::{process_answer, LocalKeys, Negotiated, OriginIds};
use super::offer::build_offer;

/// Sans-IO offer/answer state for one call. It never sends anything: the SIP layer carries the
/// descriptions it returns and feeds it what arrives.
///
/// Late offer works with the same calls: an INVITE without SDP makes us offer in the 2xx
/// ([`Self::create_offer`]) and the ACK carries the answer ([`Self::process_answer`]); when we
/// send an INVITE without SDP, the 2xx carries the peer's offer ([`Self::create_answer`]) and
/// the ACK ours.
#[derive(Debug, Clone)]
pub struct SdpSession {
    caps: LocalCapabilities,
    ids: OriginIds,
    keys: LocalKeys,
    /// The last description we produced (offer or answer), to decide whether the version moves.
    last_local: Option<SessionDescription>,
    /// Our offer waiting for its answer.
    pending_offer: Option<SessionDescription>,
    negotiated: Option<Negotiated>,
    on_hold: bool,
}

impl SdpSession {
    /// A new call: random session id, version 1, fresh keys.
    pub fn new(caps: LocalCapabilities) -> Self {
        Self {
            caps,
            ids: OriginIds::random(1),
            keys: LocalKeys::random(),
            last_local: None,
            pending_offer: None,
            negotiated: None,
            on_hold: false,
        }
    }

    pub fn capabilities(&self) -> &LocalCapabilities {
        &self.caps
    }

    /// Changes what we offer next (e.g. the codec preference); takes effect at the next
    /// offer or answer. Keys and session id are kept.
    pub fn set_capabilities(&mut self, caps: LocalCapabilities) {
        self.caps = caps;
    }

    /// What the last completed exchange decided.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// Did we put the call on hold?
    pub fn is_on_hold(&self) -> bool {
        self.on_hold
    }

    /// Did the peer put us on hold (as of the last exchange)?
    pub fn is_held_by_remote(&self) -> bool {
        self.negotiated.as_ref().is_some_and(|n| n.held_by_remote)
    }

    /// Puts the call on hold and returns the re-offer: `sendonly`, or `inactive` when the peer
    /// holds us too (RFC 6337 §5.3).
    pub fn hold(&mut self) -> SessionDescription {
        self.on_hold = true;
        self.create_offer()
    }

    /// Takes the call off hold and returns the re-offer (`sendrecv`, or whatever the
    /// capabilities say); a peer still holding us answers `sendonly`.
    pub fn resume(&mut self) -> SessionDescription {
        self.on_hold = false;
        self.create_offer()
    }

    /// An offer: the initial INVITE's, a late offer, or a re-offer with the current hold state.
    pub fn create_offer(&mut self) -> SessionDescription {
        let direction = if self.on_hold {
            if self.is_held_by_remote() {
                Direction::Inactive
            } else {
                Direction::SendOnly
            }
        } else {
            self.caps.direction
        };
        let known = self.known_codecs();
        let offer = build_offer(&self.caps, &self.ids, &self.keys, direction, &known);
        let offer = self.versioned(offer);
        self.pending_offer = Some(offer.clone());
        offer
    }

    /// Applies the answer to our pending offer. Without a pending offer (e.g. a stray answer)
    /// this is an [`SdpError::AnswerMismatch`].
    pub fn process_answer(&mut self, answer: &SessionDescription) -> Result<Negotiated, SdpError> {
        let offer = self
            .pending_offer
            .take()
            .ok_or_else(|| SdpError::AnswerMismatch("we have no offer outstanding".to_owned()))?;
        let mut negotiated = process_answer(&offer, answer)?;
        // Our inactive offer leaves the peer no choice but inactive: that tells nothing about
        // its own hold, so keep what we knew.
        if !offer_direction(&offer).sends() {
            negotiated.held_by_remote = self.is_held_by_remote();
        }
        self.negotiated = Some(negotiated.clone());
        Ok(negotiated)
    }

    /// Answers the peer's offer (initial or re-offer). An offer that cannot be accepted leaves
    /// the session as it was (the SIP layer answers 488 and the call goes on for re-offers).
    pub fn create_answer(
        &mut self,
        offer: &SessionDescription,
    ) -> Result<(SessionDescription, Negotiated), SdpError> {
        let wanted = if self.on_hold {
            Direction::SendOnly
        } else {
            self.caps.direction
        };
        let (answer, negotiated) = build_answer(offer, &self.caps, &self.ids, &self.keys, wanted)?;
        let answer = self.versioned(answer);
        self.pending_offer = None;
        self.negotiated = Some(negotiated.clone());
        Ok((answer, negotiated))
    }

    /// Stamps `sdp` (built with the current version) and moves the version on when its content
    /// differs from the last description we sent (RFC 3264 §8: same version iff unchanged).
    fn versioned(&mut self, mut sdp: SessionDescription) -> SessionDescription {
        if let Some(last) = &self.last_local {
            if !same_content(last, &sdp) {
                self.ids.version = self.ids.version.saturating_add(1);
            }
        }
        sdp.origin.session_version = self.ids.version;
        self.last_local = Some(sdp.clone());
        sdp
    }

    /// Payload numbers already agreed, reused in re-offers so mappings stay stable.
    fn known_codecs(&self) -> Vec<Codec> {
        let Some(negotiated) = &self.negotiated else {
            return Vec::new();
        };
        let mut known: Vec<Codec> = negotiated.recv_codecs.values().cloned().collect();
        known.push(negotiated.send_codec.clone());
        known
    }
}

fn same_content(a: &SessionDescription, b: &SessionDescription) -> bool {
    let mut b = b.clone();
    b.origin.session_version = a.origin.session_version;
    *a == b
}

fn offer_direction(offer: &SessionDescription) -> Direction {
    offer
        .media
        .iter()
        .find(|m| m.is_audio() && !m.is_rejected())
        .map_or(Direction::SendRecv, |m| offer.media_direction(m))
}
