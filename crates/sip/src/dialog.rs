//! Dialogs (RFC 3261 §12): the peer-to-peer relationship an INVITE sets up, and everything a
//! request inside it needs — the id that routes it, the CSeq spaces of both ends, the remote
//! target and the route set.
//!
//! A `Dialog` builds in-dialog requests ([`Dialog::create_request`], [`Dialog::create_ack`])
//! without a Via (the sender adds it with a fresh branch), and checks received in-dialog
//! requests ([`Dialog::receive_request`]). It holds no timers and sends nothing: the INVITE
//! session drives it.

use crate::message::{CSeq, HeaderName, Method, NameAddr, ParseError, Scheme, SipMessage, SipUri};

/// What identifies a dialog at one end (RFC 3261 §12): Call-ID and both tags, seen from here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    pub call_id: String,
    pub local_tag: String,
    /// Empty for an RFC 2543 peer that put no tag in its From (§12.1.1 allows a null tag).
    pub remote_tag: String,
}

impl DialogId {
    /// The dialog a received request claims to belong to: its To tag is ours, its From tag the
    /// peer's (§12.2.2). `None` when it has no To tag (it is not an in-dialog request).
    pub fn of_request(request: &SipMessage) -> Option<DialogId> {
        let to = request.to().ok()?;
        let from = request.from().ok()?;
        Some(DialogId {
            call_id: request.call_id().ok()?.to_owned(),
            local_tag: to.tag()?.to_owned(),
            remote_tag: from.tag().unwrap_or_default().to_owned(),
        })
    }

    /// The dialog a received response to one of our requests belongs to: its From tag is ours,
    /// its To tag the peer's. `None` without a To tag (a 100 Trying, or a stateless reject).
    pub fn of_response(response: &SipMessage) -> Option<DialogId> {
        let to = response.to().ok()?;
        let from = response.from().ok()?;
        Some(DialogId {
            call_id: response.call_id().ok()?.to_owned(),
            local_tag: from.tag()?.to_owned(),
            remote_tag: to.tag()?.to_owned(),
        })
    }
}

/// Why a dialog could not be created from a request and its response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    #[error("cannot build the dialog: {0}")]
    Malformed(#[from] ParseError),
    #[error("the {0} has no Contact, so the dialog has no remote target (RFC 3261 §12.1)")]
    NoContact(&'static str),
    #[error("the response has no To tag, so it cannot create a dialog (RFC 3261 §12.1.2)")]
    NoRemoteTag,
    #[error("the INVITE has no From tag of ours")]
    NoLocalTag,
}

/// A received in-dialog request came with a CSeq lower than an earlier one (RFC 3261 §12.2.2):
/// it is out of order and gets a 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("CSeq {got} is lower than {last}, already seen in this dialog")]
pub struct OutOfOrder {
    pub got: u32,
    pub last: u32,
}

/// One dialog's state (RFC 3261 §12.1.1 for the UAS, §12.1.2 for the UAC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    /// The CSeq of the last request we sent in the dialog; `None` until we send one (a UAS).
    local_seq: Option<u32>,
    /// The CSeq of the last request the peer sent; `None` until it sends one (a UAC).
    remote_seq: Option<u32>,
    /// Our From (as UAC) or To (as UAS) value, with our tag: the From of our requests.
    local_uri: String,
    /// The peer's, with its tag: the To of our requests.
    remote_uri: String,
    /// Where requests go: the peer's Contact URI, refreshed by target-refresh requests.
    remote_target: String,
    /// Route values in the order our requests carry them (§12.1.1 for the UAS, reversed for the
    /// UAC in §12.1.2), each kept as written.
    route_set: Vec<String>,
    /// Set when the dialog was created over sips: (§12.1.1): its requests must stay on TLS.
    secure: bool,
}

impl Dialog {
    /// The dialog a 2xx (or 1xx with a To tag: an early dialog) to our `request` creates
    /// (RFC 3261 §12.1.2): the route set is the response's Record-Route reversed, the remote
    /// target its Contact, the local CSeq the request's.
    pub fn uac(request: &SipMessage, response: &SipMessage) -> Result<Dialog, DialogError> {
        let from = request.from()?;
        let to = response.to()?;
        let remote_tag = to.tag().ok_or(DialogError::NoRemoteTag)?.to_owned();
        let local_tag = from.tag().ok_or(DialogError::NoLocalTag)?.to_owned();
        let contact = first_contact(response).ok_or(DialogError::NoContact("response"))?;
        let mut route_set = record_routes(response);
        route_set.reverse();
        Ok(Dialog {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag,
                remote_tag,
            },
            local_seq: Some(request.cseq()?.seq),
            remote_seq: None,
            local_uri: raw_header(request, HeaderName::FROM),
            remote_uri: raw_header(response, HeaderName::TO),
            remote_target: contact,
            route_set,
            secure: is_sips(request.request_uri()),
        })
    }

    /// The dialog our answer to a received `request` creates (RFC 3261 §12.1.1): the route set is
    /// the request's Record-Route in order, the remote target its Contact, the remote CSeq its
    /// CSeq; `local_tag` is the tag we put in our To.
    pub fn uas(request: &SipMessage, local_tag: &str) -> Result<Dialog, DialogError> {
        let from = request.from()?;
        let mut to = request.to()?;
        to.params.set("tag", Some(local_tag));
        let contact = first_contact(request).ok_or(DialogError::NoContact("request"))?;
        Ok(Dialog {
            id: DialogId {
                call_id: request.call_id()?.to_owned(),
                local_tag: local_tag.to_owned(),
                remote_tag: from.tag().unwrap_or_default().to_owned(),
            },
            local_seq: None,
            remote_seq: Some(request.cseq()?.seq),
            local_uri: to.to_string(),
            remote_uri: raw_header(request, HeaderName::FROM),
            remote_target: contact,
            route_set: record_routes(request),
            secure: is_sips(request.request_uri()),
        })
    }

    pub fn id(&self) -> &DialogId {
        &self.id
    }

    pub fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }

    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    pub fn local_uri(&self) -> &str {
        &self.local_uri
    }

    pub fn remote_uri(&self) -> &str {
        &self.remote_uri
    }

    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// A new request in the dialog (RFC 3261 §12.2.1.1): To, From, Call-ID, the next local CSeq
    /// (ACK and CANCEL reuse the current one, §13.2.2.4 and §9.1), Request-URI and Route from
    /// the remote target and the route set, Max-Forwards. No Via, no Contact, no body.
    ///
    /// Routing: with a loose-routing first hop (`;lr`) the Request-URI is the remote target and
    /// Route is the route set. A strict router (no `;lr`, RFC 2543) gets its own URI as the
    /// Request-URI, and the remote target goes last in Route (§12.2.1.1), so it travels on.
    pub fn create_request(&mut self, method: Method) -> SipMessage {
        let seq = match method {
            Method::Ack | Method::Cancel => self.local_seq.unwrap_or(1),
            _ => {
                let next = self.local_seq.map_or(1, |s| s.wrapping_add(1));
                self.local_seq = Some(next);
                next
            }
        };
        self.build(method, seq)
    }

    /// The ACK for a 2xx to the INVITE (or re-INVITE) with CSeq `invite_seq` (RFC 3261
    /// §13.2.2.4): built like any in-dialog request, with the INVITE's sequence number.
    pub fn create_ack(&self, invite_seq: u32) -> SipMessage {
        self.build(Method::Ack, invite_seq)
    }

    fn build(&self, method: Method, seq: u32) -> SipMessage {
        let (request_uri, routes) = self.request_uri_and_routes();
        let mut request = SipMessage::request(method.clone(), request_uri);
        for route in routes {
            request.headers.push(HeaderName::ROUTE, route);
        }
        request.headers.push(HeaderName::MAX_FORWARDS, "70");
        request
            .headers
            .push(HeaderName::FROM, self.local_uri.clone());
        request
            .headers
            .push(HeaderName::TO, self.remote_uri.clone());
        request
            .headers
            .push(HeaderName::CALL_ID, self.id.call_id.clone());
        request
            .headers
            .push(HeaderName::CSEQ, CSeq { seq, method }.to_string());
        request
    }

    fn request_uri_and_routes(&self) -> (String, Vec<String>) {
        let Some(first) = self.route_set.first() else {
            return (self.remote_target.clone(), Vec::new());
        };
        let first_uri = NameAddr::parse(first).ok().and_then(|r| r.sip_uri().ok());
        match first_uri {
            Some(mut uri) if !uri.params.contains("lr") => {
                // Strict routing: the first hop becomes the Request-URI (without URI headers,
                // which a Request-URI cannot carry, §19.1.5), the remote target the last Route.
                uri.headers = None;
                let mut routes: Vec<String> = self.route_set.iter().skip(1).cloned().collect();
                routes.push(format!("<{}>", self.remote_target));
                (uri.to_string(), routes)
            }
            _ => (self.remote_target.clone(), self.route_set.clone()),
        }
    }

    /// Checks a received in-dialog request's CSeq (RFC 3261 §12.2.2) and records it: a lower
    /// number than the last one is out of order (the UAS answers 500). ACK and CANCEL carry the
    /// CSeq of the request they belong to and are neither checked nor recorded. A request
    /// without a usable CSeq never gets here (the transaction layer refuses it).
    pub fn receive_request(&mut self, request: &SipMessage) -> Result<(), OutOfOrder> {
        let Ok(cseq) = request.cseq() else {
            return Ok(());
        };
        if matches!(cseq.method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        if let Some(last) = self.remote_seq {
            if cseq.seq < last {
                return Err(OutOfOrder {
                    got: cseq.seq,
                    last,
                });
            }
        }
        self.remote_seq = Some(cseq.seq);
        Ok(())
    }

    /// Refreshes the remote target from the Contact of a target-refresh request (re-INVITE,
    /// UPDATE) or of a 2xx to ours (RFC 3261 §12.2; RFC 3311 §5.1). The route set never changes
    /// after the dialog is created (§12.2). A message without a usable Contact changes nothing.
    pub fn refresh_target(&mut self, message: &SipMessage) {
        if let Some(contact) = first_contact(message) {
            self.remote_target = contact;
        }
    }
}

/// The URI of the first Contact, as written.
fn first_contact(message: &SipMessage) -> Option<String> {
    message.contacts().ok()?.into_iter().next().map(|c| c.uri)
}

/// Every Record-Route element, in order, as written (§12.1.1: "taken from the Record-Route
/// header field values in the request in order, preserving all URI parameters").
fn record_routes(message: &SipMessage) -> Vec<String> {
    message
        .headers
        .values(HeaderName::RECORD_ROUTE)
        .map(str::to_owned)
        .collect()
}

fn raw_header(message: &SipMessage, name: HeaderName) -> String {
    message
        .headers
        .get(name)
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

fn is_sips(uri: Option<&str>) -> bool {
    uri.and_then(|u| SipUri::parse(u).ok())
        .is_some_and(|u| u.scheme == Scheme::Sips)
}

#[cfg(test)]
mod tests;
