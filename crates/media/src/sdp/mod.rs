//! SDP for classic SIP calls: parse/print (RFC 8866) and offer/answer (RFC 3264) for one audio
//! stream with RTP/AVP or SDES-SRTP (RFC 4568).
//!
//! Pure and sans-IO: descriptions come in and go out as text or bytes, nothing here knows SIP.
//! The SIP layer carries the bodies; `core` maps [`SdpError`] to the call's outcome
//! ([`SdpError::rejects_offer`] → 488 with the error's text as reason, else 400).
//!
//! # Parse and print
//! - [`SessionDescription`]`: FromStr`, [`SessionDescription::parse_bytes`], `Display` (CRLF,
//!   RFC 8866 order), [`SessionDescription::to_bytes`]. Attributes are kept in order, unknown ones
//!   (ICE `candidate`, `ice-ufrag`, `ice-pwd`, `fingerprint`, `setup`, `mid`, `ssrc`…) included, so
//!   a later WebRTC layer reads them from [`MediaDescription::attributes`].
//! - Typed access on [`MediaDescription`]: `codecs`/`codec(pt)` (rtpmap or RFC 3551 static),
//!   `rtpmap`, `fmtp`, `ptime`, `maxptime`, `direction`, `rtcp` (RFC 3605), `rtcp_mux`,
//!   `cryptos` ([`CryptoAttribute`]); session-aware helpers on [`SessionDescription`]:
//!   `media_direction`, `media_connection`, `media_cryptos`, `media_rtcp_mux`.
//!
//! # Offer/answer
//! - [`create_offer`]`(&LocalCapabilities, session_version) -> SessionDescription`
//! - [`create_answer`]`(&offer, &LocalCapabilities) -> Result<(SessionDescription, Negotiated), SdpError>`
//! - [`process_answer`]`(&our_offer, &answer) -> Result<Negotiated, SdpError>`
//! - [`SdpSession`]: the same over a call's life — keeps `o=` id, version (+1 on change), SDES
//!   keys and payload numbers; `hold()`/`resume()` produce re-offers (`sendonly`, or `inactive`
//!   when the peer holds us too; then `sendrecv`). Late offer uses the same calls.
//!
//! Choices worth knowing:
//! - **Codec choice when answering**: the first codec in *our* preference order that the offer
//!   has (the account setting decides), answered alone with telephone-event; the offer's payload
//!   numbers are kept. When offering, the peer's answer decides (its first codec from our list).
//! - **SRTP optional** offers RTP/AVP *with* `a=crypto` (best-effort SDES) so that peers without
//!   SDES still connect; **mandatory** offers RTP/SAVP and refuses plain answers and offers.
//! - Only the first usable audio stream is accepted; other m-lines (video, a second audio…) are
//!   answered with port 0. RTP/AVPF and RTP/SAVPF are answered like AVP/SAVP; WebRTC's
//!   `UDP/TLS/RTP/SAVPF` is not (DTLS-SRTP belongs to the WebRTC issue).
//! - `c=0.0.0.0` (RFC 2543 hold) counts as the peer not receiving.

mod answer;
mod attribute;
mod caps;
mod codec;
mod crypto;
mod error;
mod model;
mod negotiate;
mod offer;
mod parse;
mod print;
mod session;

pub use attribute::{Direction, Rtcp, RtpMap};
pub use caps::{LocalCapabilities, SrtpPolicy};
pub use codec::{Codec, CodecSpec};
pub use crypto::{CryptoAttribute, KeyParams, Mki, SrtpKey, SrtpSuite, KEY_SALT_LEN};
pub use error::SdpError;
pub use model::{
    Attribute, Bandwidth, Connection, MediaDescription, Origin, SessionDescription, Timing,
};
pub use negotiate::{
    create_answer, create_offer, process_answer, LocalKeys, Negotiated, SrtpParams,
};
pub use parse::parse;
pub use session::SdpSession;
