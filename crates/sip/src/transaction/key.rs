//! Which transaction a message belongs to (RFC 3261 §17.1.3 for responses, §17.2.3 for requests).

use std::fmt;

use super::TransactionError;
use crate::message::{Host, Method, SipMessage, Via};

/// The branch prefix that marks an RFC 3261 branch (§8.1.1.7): only such branches are unique
/// enough to identify a transaction by themselves.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// Identifies one transaction in a [`TransactionLayer`](super::TransactionLayer).
///
/// Client and server keys are different variants on purpose: a UA that calls itself (or a
/// loopback test) has a client and a server transaction with the same branch and method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TransactionKey {
    /// §17.1.3: a response matches a client transaction when its top Via branch is the one the
    /// request carried and its CSeq method is the request's method. The method tells an INVITE
    /// from the CANCEL for it, which reuses the INVITE's branch (§9.1).
    Client { branch: String, method: Method },
    /// §17.2.3: a request matches a server transaction when branch, sent-by and method match,
    /// an ACK matching the INVITE transaction it acknowledges (so `method` is INVITE for both).
    Server {
        branch: String,
        sent_by: String,
        method: Method,
    },
    /// §17.2.3's fallback for RFC 2543 peers, whose branch (if any) lacks the magic cookie:
    /// Request-URI, From tag, Call-ID, CSeq number and the whole top Via, method as above.
    ///
    /// Simplifications, on purpose: the Request-URI is compared as written rather than by
    /// §19.1.4 URI equality, and the To tag is not compared. Leaving the To tag out is what lets
    /// an ACK (which carries our To tag) find its INVITE transaction, and no two live INVITE
    /// transactions share every other field. Client transactions never need this variant: we
    /// always send RFC 3261 branches.
    Legacy {
        request_uri: String,
        from_tag: Option<String>,
        call_id: String,
        cseq: u32,
        via: String,
        method: Method,
    },
}

impl TransactionKey {
    /// The key of the client transaction that sends `request` (our own request). Fails when the
    /// request has no Via/CSeq, no branch, a branch without the cookie, or is an ACK.
    pub fn for_client_request(request: &SipMessage) -> Result<TransactionKey, TransactionError> {
        let method = request.method().ok_or(TransactionError::NotARequest)?;
        if *method == Method::Ack {
            return Err(TransactionError::WrongMethod(Method::Ack));
        }
        // Only to reject a request without a well-formed CSeq before it goes out: the response's
        // CSeq is what it is matched by.
        request.cseq()?;
        let branch = branch_of(&request.top_via()?)?;
        if !branch.starts_with(MAGIC_COOKIE) {
            return Err(TransactionError::BranchWithoutCookie(branch));
        }
        Ok(TransactionKey::Client {
            branch,
            method: method.clone(),
        })
    }

    /// The key of the client transaction a received response belongs to (§17.1.3).
    pub fn for_response(response: &SipMessage) -> Result<TransactionKey, TransactionError> {
        if response.is_request() {
            return Err(TransactionError::NotAResponse);
        }
        let method = response.cseq()?.method;
        let branch = branch_of(&response.top_via()?)?;
        Ok(TransactionKey::Client { branch, method })
    }

    /// The key of the server transaction a received request belongs to (§17.2.3), falling back
    /// to RFC 2543 matching when the branch lacks the magic cookie.
    pub fn for_server_request(request: &SipMessage) -> Result<TransactionKey, TransactionError> {
        let method = match request.method().ok_or(TransactionError::NotARequest)? {
            Method::Ack => Method::Invite,
            other => other.clone(),
        };
        let via = request.top_via()?;
        // A server needs a CSeq to answer at all (§8.2.6.2 copies it), so require it here too.
        let cseq = request.cseq()?;
        match via.branch() {
            Some(branch) if branch.starts_with(MAGIC_COOKIE) => Ok(TransactionKey::Server {
                branch: branch.to_owned(),
                sent_by: sent_by(&via),
                method,
            }),
            _ => Ok(TransactionKey::Legacy {
                request_uri: request.request_uri().unwrap_or_default().to_owned(),
                from_tag: request.from()?.tag().map(str::to_owned),
                call_id: request.call_id()?.to_owned(),
                cseq: cseq.seq,
                via: via.to_string(),
                method,
            }),
        }
    }

    /// The transaction's method (INVITE for the key an ACK to a non-2xx matches).
    pub fn method(&self) -> &Method {
        match self {
            TransactionKey::Client { method, .. }
            | TransactionKey::Server { method, .. }
            | TransactionKey::Legacy { method, .. } => method,
        }
    }

    pub fn is_client(&self) -> bool {
        matches!(self, TransactionKey::Client { .. })
    }

    /// For the key of a CANCEL server transaction, the key of the INVITE server transaction it
    /// cancels: the same fields with method INVITE (RFC 3261 §9.2 matches CANCEL to the request
    /// it cancels exactly as §17.2.3 matches requests, method aside).
    pub fn cancelled_invite(&self) -> Option<TransactionKey> {
        let mut key = self.clone();
        match &mut key {
            TransactionKey::Server { method, .. } | TransactionKey::Legacy { method, .. }
                if *method == Method::Cancel =>
            {
                *method = Method::Invite;
                Some(key)
            }
            _ => None,
        }
    }
}

impl fmt::Display for TransactionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransactionKey::Client { branch, method } => write!(f, "client {method} {branch}"),
            TransactionKey::Server {
                branch,
                sent_by,
                method,
            } => write!(f, "server {method} {branch} from {sent_by}"),
            TransactionKey::Legacy {
                call_id,
                cseq,
                method,
                ..
            } => write!(f, "server {method} (RFC 2543) {call_id} {cseq}"),
        }
    }
}

fn branch_of(via: &Via) -> Result<String, TransactionError> {
    via.branch()
        .map(str::to_owned)
        .ok_or(TransactionError::MissingBranch)
}

/// sent-by as a comparable string: host names are case-insensitive (RFC 3261 §19.1.4); the port is
/// kept as written, since a retransmission carries the very Via the original did.
fn sent_by(via: &Via) -> String {
    let host = match &via.host {
        Host::Name(name) => name.to_ascii_lowercase(),
        ip => ip.to_string(),
    };
    match via.port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}
