//! What the phone tells its front ends, with the Linkus SDK's (JsSIP's) event names.
//!
//! Serialised as one JSON object per event, `{"event":"registered",...}`: the CLI prints these
//! lines and the app forwards them to the UI.

use dialtone_media::stats::CallQuality;
use serde::Serialize;

use crate::calls::CallStatus;

/// An event of one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum PhoneEvent {
    /// Opening the transport to the server.
    #[serde(rename_all = "camelCase")]
    Connecting {
        transport: String,
        server: String,
    },
    /// The transport is up (a bound UDP socket, or an open connection).
    #[serde(rename_all = "camelCase")]
    Connected {
        transport: String,
        server: String,
        local: String,
    },
    /// The transport went down or could not be opened; `retry_in_ms` says when it is tried again.
    #[serde(rename_all = "camelCase")]
    Disconnected {
        reason: String,
        retry_in_ms: Option<u64>,
    },
    #[serde(rename_all = "camelCase")]
    Registered {
        aor: String,
        contact: String,
        expires: u32,
    },
    Unregistered {
        aor: String,
    },
    /// A registration attempt failed. `code`/`msg` are the SDK's result code (-201
    /// REGISTRY_FAILED, -204 RE_REGISTRY_MAX_LIMIT_TIMES); `sip_code` is the registrar's answer.
    #[serde(rename_all = "camelCase")]
    RegistrationFailed {
        code: i32,
        msg: &'static str,
        sip_code: Option<u16>,
        reason: String,
        /// When the phone tries again by itself; `None`: it will not (the user must act).
        retry_in_ms: Option<u64>,
    },
    /// A command could not be carried out (an invalid number, no such call…): the SDK's result.
    #[serde(rename_all = "camelCase")]
    CommandFailed {
        code: i32,
        msg: &'static str,
        message: String,
    },
    /// A call object exists (outgoing or incoming): the first event of every call.
    #[serde(rename = "newRTCSession", rename_all = "camelCase")]
    NewRtcSession {
        call_id: String,
        direction: &'static str,
        remote: String,
    },
    /// Someone calls us.
    #[serde(rename_all = "camelCase")]
    Incoming {
        call_id: String,
        from: String,
        display_name: Option<String>,
    },
    /// The call was added to the phone's sessions.
    #[serde(rename_all = "camelCase")]
    StartSession {
        call_id: String,
    },
    /// A provisional answer to our call (180 Ringing, 183 Session Progress).
    #[serde(rename_all = "camelCase")]
    Progress {
        call_id: String,
        code: u16,
    },
    /// The call was answered (200 OK received, or we answered).
    #[serde(rename_all = "camelCase")]
    Accepted {
        call_id: String,
    },
    /// The call is established (ACK): talking starts.
    #[serde(rename_all = "camelCase")]
    Confirmed {
        call_id: String,
    },
    /// The SDK's `callStatus` changed.
    #[serde(rename_all = "camelCase")]
    StatusChange {
        call_id: String,
        new_status: CallStatus,
        old_status: Option<CallStatus>,
    },
    /// Hold state after a re-INVITE: `local` we hold, `remote` the other side holds us.
    #[serde(rename_all = "camelCase")]
    HoldChange {
        call_id: String,
        local: bool,
        remote: bool,
    },
    /// A DTMF digit from the other side (RFC 4733 or SIP INFO).
    #[serde(rename_all = "camelCase")]
    Dtmf {
        call_id: String,
        digit: String,
    },
    /// The SDK's quality `Report`, every 3 s of a call with media.
    #[serde(rename_all = "camelCase")]
    CallReport {
        call_id: String,
        report: Box<CallQuality>,
    },
    /// Media trouble in a call (a device or file failed).
    #[serde(rename_all = "camelCase")]
    ClientError {
        call_id: String,
        cause: String,
    },
    /// An established call ended.
    #[serde(rename_all = "camelCase")]
    Ended {
        call_id: String,
        cause: String,
    },
    /// A call ended before it was established; `code` is the SIP status when there was one.
    #[serde(rename = "failed", rename_all = "camelCase")]
    CallFailed {
        call_id: String,
        cause: String,
        code: Option<u16>,
    },
}

impl PhoneEvent {
    /// A failure the phone will not recover from by itself.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            PhoneEvent::RegistrationFailed {
                retry_in_ms: None,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_sdk_names() {
        let json = serde_json::to_value(PhoneEvent::RegistrationFailed {
            code: -201,
            msg: "REGISTRY_FAILED",
            sip_code: Some(401),
            reason: "wrong password".into(),
            retry_in_ms: None,
        })
        .expect("serialisable");
        assert_eq!(json["event"], "registrationFailed");
        assert_eq!(json["code"], -201);
        assert_eq!(json["sipCode"], 401);
        assert!(json["retryInMs"].is_null());
        let json = serde_json::to_value(PhoneEvent::Registered {
            aor: "1000@h".into(),
            contact: "sip:1000@h".into(),
            expires: 600,
        })
        .expect("serialisable");
        assert_eq!(json["event"], "registered");
    }
}
