//! RFC 4028 session timers: the negotiation arithmetic and header plumbing, kept pure so the
//! rules can be tested on their own. The session owns the resulting timers.
//!
//! Why: a dialog whose peer vanished (power cut, NAT binding lost) would otherwise hold a call
//! open forever. The refresher re-sends an UPDATE or re-INVITE every half interval; the other end
//! sends BYE if no refresh came before the interval ends.

use std::time::Duration;

use crate::message::{HeaderName, SipMessage};

/// RFC 4028 §4: Min-SE may never be below 90 seconds.
const FLOOR: u32 = 90;

const SESSION_EXPIRES: HeaderName = HeaderName::SESSION_EXPIRES;
const MIN_SE: HeaderName = HeaderName::MIN_SE;

/// What we ask for and accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimerConfig {
    /// The interval we propose (`Session-Expires`), seconds. RFC 4028 §4 recommends 1800.
    pub session_expires: u32,
    /// The smallest interval we accept (`Min-SE`), seconds; raised to 90 if lower.
    pub min_se: u32,
}

impl Default for SessionTimerConfig {
    fn default() -> Self {
        SessionTimerConfig {
            session_expires: 1800,
            min_se: FLOOR,
        }
    }
}

impl SessionTimerConfig {
    pub(crate) fn min_se(&self) -> u32 {
        self.min_se.max(FLOOR)
    }

    pub(crate) fn session_expires(&self) -> u32 {
        self.session_expires.max(self.min_se())
    }
}

/// Who refreshes, in the roles of the transaction that carried the header (§4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresher {
    Uac,
    Uas,
}

impl Refresher {
    fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

/// A running session timer: the interval and whether we are the refresher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Negotiated {
    pub(crate) interval: u32,
    pub(crate) we_refresh: bool,
}

impl Negotiated {
    /// The refresher refreshes at half the interval (§10).
    pub(crate) fn refresh_after(&self) -> Duration {
        Duration::from_secs(u64::from(self.interval / 2))
    }

    /// The other side sends BYE "the minimum of 32 seconds and one third of the interval" before
    /// the interval ends, if no refresh came (§10).
    pub(crate) fn expire_after(&self) -> Duration {
        let margin = (self.interval / 3).min(32);
        Duration::from_secs(u64::from(self.interval - margin))
    }
}

/// `Session-Expires: 1800;refresher=uac` → (1800, Some(Uac)).
pub(crate) fn session_expires(message: &SipMessage) -> Option<(u32, Option<Refresher>)> {
    let value = message.headers.get(SESSION_EXPIRES)?;
    let mut parts = value.split(';');
    let seconds = parts.next()?.trim().parse().ok()?;
    let refresher = parts.find_map(|p| {
        let (name, value) = p.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("refresher") {
            return None;
        }
        match value.trim().to_ascii_lowercase().as_str() {
            "uac" => Some(Refresher::Uac),
            "uas" => Some(Refresher::Uas),
            _ => None,
        }
    });
    Some((seconds, refresher))
}

pub(crate) fn min_se(message: &SipMessage) -> Option<u32> {
    message.seconds(MIN_SE)
}

/// The peer named `timer` in Supported (or Require).
pub(crate) fn supports_timer(message: &SipMessage) -> bool {
    message
        .headers
        .values(HeaderName::SUPPORTED)
        .chain(message.headers.values(HeaderName::REQUIRE))
        .any(|tag| tag.eq_ignore_ascii_case("timer"))
}

/// What a UAS does with a request's session-timer headers (§9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UasDecision {
    /// No timer: the request asked for none.
    Off,
    /// Reject with 422 and this Min-SE: the interval asked for is below what we accept.
    TooSmall { min_se: u32 },
    On {
        negotiated: Negotiated,
        refresher: Refresher,
        /// Add `Require: timer` (the UAC supports it, §9).
        require: bool,
    },
}

/// §9: a request with Session-Expires below our Min-SE gets 422; otherwise we take its interval
/// (never above our own preference, never below its Min-SE) and its refresher, choosing the UAC
/// when it left the choice to us and supports timers, ourselves when it does not.
pub(crate) fn uas_decide(config: &SessionTimerConfig, request: &SipMessage) -> UasDecision {
    let Some((asked, refresher)) = session_expires(request) else {
        return UasDecision::Off;
    };
    if asked < config.min_se() {
        return UasDecision::TooSmall {
            min_se: config.min_se(),
        };
    }
    let floor = min_se(request).unwrap_or(FLOOR).max(config.min_se());
    let interval = asked.min(config.session_expires()).max(floor);
    let uac_supports = supports_timer(request);
    let refresher = refresher.unwrap_or(if uac_supports {
        Refresher::Uac
    } else {
        Refresher::Uas
    });
    UasDecision::On {
        negotiated: Negotiated {
            interval,
            we_refresh: refresher == Refresher::Uas,
        },
        refresher,
        require: uac_supports,
    }
}

/// What a 2xx to our request says (§7.2): no Session-Expires means no session timer; a
/// refresher of `uac` (or none given) makes us the refresher.
pub(crate) fn uac_result(response: &SipMessage) -> Option<Negotiated> {
    let (interval, refresher) = session_expires(response)?;
    Some(Negotiated {
        interval: interval.max(FLOOR),
        we_refresh: refresher != Some(Refresher::Uas),
    })
}

/// Adds Supported, Session-Expires and Min-SE to a request we send (§7.1). `refresher` is set
/// when we refresh (as UAC of the request) or leave it to the UAS (`None`: its choice).
pub(crate) fn add_to_request(
    request: &mut SipMessage,
    interval: u32,
    min_se: u32,
    refresher: Option<Refresher>,
) {
    request.headers.push(HeaderName::SUPPORTED, "timer");
    let value = match refresher {
        Some(r) => format!("{interval};refresher={}", r.as_str()),
        None => interval.to_string(),
    };
    request.headers.push(SESSION_EXPIRES, value);
    request.headers.push(MIN_SE, min_se.to_string());
}

/// Adds Session-Expires (and Require: timer) to our 2xx (§9).
pub(crate) fn add_to_response(
    response: &mut SipMessage,
    interval: u32,
    refresher: Refresher,
    require: bool,
) {
    if require {
        response.headers.push(HeaderName::REQUIRE, "timer");
    }
    response.headers.push(
        SESSION_EXPIRES,
        format!("{interval};refresher={}", refresher.as_str()),
    );
}

/// Adds Min-SE to a 422 (§9).
pub(crate) fn add_min_se(response: &mut SipMessage, min_se: u32) {
    response.headers.push(MIN_SE, min_se.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Method;

    fn request(headers: &[(&str, &str)]) -> SipMessage {
        let mut request = SipMessage::request(Method::Invite, "sip:b@example.com");
        for (name, value) in headers {
            request.headers.push(HeaderName::new(name), *value);
        }
        request
    }

    #[test]
    fn an_interval_below_our_min_se_is_refused_with_422() {
        let config = SessionTimerConfig {
            session_expires: 1800,
            min_se: 300,
        };
        let decision = uas_decide(&config, &request(&[("Session-Expires", "120")]));
        assert_eq!(decision, UasDecision::TooSmall { min_se: 300 });
    }

    #[test]
    fn the_uac_refreshes_when_it_supports_timers_and_leaves_the_choice() {
        let config = SessionTimerConfig::default();
        let decision = uas_decide(
            &config,
            &request(&[("Supported", "timer"), ("Session-Expires", "600")]),
        );
        let UasDecision::On {
            negotiated,
            refresher,
            require,
        } = decision
        else {
            panic!("timer expected, got {decision:?}");
        };
        assert_eq!(negotiated.interval, 600);
        assert!(!negotiated.we_refresh);
        assert_eq!(refresher, Refresher::Uac);
        assert!(require);
    }

    #[test]
    fn without_timer_support_the_uas_refreshes_itself() {
        let decision = uas_decide(
            &SessionTimerConfig::default(),
            &request(&[("x", "900;refresher=uac")]),
        );
        // The compact form x is Session-Expires; refresher=uac is taken as asked.
        assert!(matches!(
            decision,
            UasDecision::On {
                refresher: Refresher::Uac,
                require: false,
                ..
            }
        ));
        let decision = uas_decide(
            &SessionTimerConfig::default(),
            &request(&[("Session-Expires", "900")]),
        );
        assert!(matches!(
            decision,
            UasDecision::On {
                refresher: Refresher::Uas,
                ..
            }
        ));
    }

    #[test]
    fn refresh_at_half_and_expiry_a_third_or_32_s_early() {
        let n = Negotiated {
            interval: 1800,
            we_refresh: true,
        };
        assert_eq!(n.refresh_after(), Duration::from_secs(900));
        assert_eq!(n.expire_after(), Duration::from_secs(1768));
        let short = Negotiated {
            interval: 90,
            we_refresh: false,
        };
        assert_eq!(short.expire_after(), Duration::from_secs(60));
    }
}
