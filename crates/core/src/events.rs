//! What the phone tells its front ends, with the Linkus SDK's (JsSIP's) event names.
//!
//! Serialised as one JSON object per event, `{"event":"registered",...}`: the CLI prints these
//! lines and the app forwards them to the UI.

use serde::Serialize;

/// An event of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
