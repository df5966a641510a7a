//! The Linkus SDK's result codes and the one error type every front end receives.
//!
//! Codes and names are the SDK's (`seed-features.md` §L) so a Linkus SDK user recognises them:
//! common 0/-1..-4, PBX 100/-100..-110, phone 200/-200..-291.

use serde::Serialize;

/// A result code of the Linkus SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    UnknownError,
    InvalidPbxUrl,
    PbxUrlNotHttps,
    GetProductFailed,
    PbxUnknownError,
    PbxRegistryFailed,
    PbxNetworkError,
    PbxApiError,
    GetPersonalNotFoundData,
    PbxAlreadyInitialized,
    LinkusDisabled,
    LoggedInElsewhere,
    ExtensionDeleted,
    ReLogin,
    SdkPlanDisabled,
    PhoneUnknownError,
    RegistryFailed,
    GetAgreeChromeUserMediaRoleError,
    GetLocalStreamError,
    ReRegistryMaxLimitTimes,
    MaxLimitCall,
    GetLocalMediaInfoError,
    AttendedParentNotFound,
    CallTooManyTimes,
    InvalidNumber,
    CurrentCallHasNotConnected,
    NotFoundCallId,
    NotFoundAudioInputDevice,
    NotFoundVideoInputDevice,
}

impl ResultCode {
    /// The numeric code.
    pub fn code(self) -> i32 {
        use ResultCode::*;
        match self {
            UnknownError => -1,
            InvalidPbxUrl => -2,
            PbxUrlNotHttps => -3,
            GetProductFailed => -4,
            PbxUnknownError => -100,
            PbxRegistryFailed => -101,
            PbxNetworkError => -102,
            PbxApiError => -103,
            GetPersonalNotFoundData => -104,
            PbxAlreadyInitialized => -105,
            LinkusDisabled => -106,
            LoggedInElsewhere => -107,
            ExtensionDeleted => -108,
            ReLogin => -109,
            SdkPlanDisabled => -110,
            PhoneUnknownError => -200,
            RegistryFailed => -201,
            GetAgreeChromeUserMediaRoleError => -202,
            GetLocalStreamError => -203,
            ReRegistryMaxLimitTimes => -204,
            MaxLimitCall => -205,
            GetLocalMediaInfoError => -206,
            AttendedParentNotFound => -207,
            CallTooManyTimes => -208,
            InvalidNumber => -209,
            CurrentCallHasNotConnected => -210,
            NotFoundCallId => -211,
            NotFoundAudioInputDevice => -290,
            NotFoundVideoInputDevice => -291,
        }
    }

    /// The SDK's `msg` name for the code.
    pub fn name(self) -> &'static str {
        use ResultCode::*;
        match self {
            UnknownError | PbxUnknownError | PhoneUnknownError => "UNKNOWN_ERROR",
            InvalidPbxUrl => "INVALID_PBX_URL",
            PbxUrlNotHttps => "PBX_URL_NOT_HTTPS",
            GetProductFailed => "GET_PRODUCT_FAILED",
            PbxRegistryFailed | RegistryFailed => "REGISTRY_FAILED",
            PbxNetworkError => "PBX_NETWORK_ERROR",
            PbxApiError => "PBX_API_ERROR",
            GetPersonalNotFoundData => "GET_PERSONAL_NOT_FOUND_DATA",
            PbxAlreadyInitialized => "PBX_ALREADY_INITIALIZED",
            LinkusDisabled => "LINKUS_DISABLED",
            LoggedInElsewhere => "LOGGED_IN_ELSEWHERE",
            ExtensionDeleted => "EXTENSION_DELETED",
            ReLogin => "RE_LOGIN",
            SdkPlanDisabled => "SDK_PLAN_DISABLED",
            GetAgreeChromeUserMediaRoleError => "GET_AGREE_CHROME_USER_MEDIA_ROLE_ERROR",
            GetLocalStreamError => "GET_LOCAL_STREAM_ERROR",
            ReRegistryMaxLimitTimes => "RE_REGISTRY_MAX_LIMIT_TIMES",
            MaxLimitCall => "MAX_LIMIT_CALL",
            GetLocalMediaInfoError => "GET_LOCAL_MEDIA_INFO_ERROR",
            AttendedParentNotFound => "ATTENDED_PARENT_NOT_FOUND",
            CallTooManyTimes => "CALL_TOO_MANY_TIMES",
            InvalidNumber => "INVALID_NUMBER",
            CurrentCallHasNotConnected => "CURRENT_CALL_HAS_NOT_CONNECTED",
            NotFoundCallId => "NOT_FOUND_CALL_ID",
            NotFoundAudioInputDevice => "NOT_FOUND_AUDIO_INPUT_DEVICE",
            NotFoundVideoInputDevice => "NOT_FOUND_VIDEO_INPUT_DEVICE",
        }
    }
}

/// The error every command of the phone returns: the SDK's `{code, msg}`, whether the user
/// should see it, and a sentence that says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct PhoneError {
    pub code: i32,
    pub msg: &'static str,
    pub user_visible: bool,
    pub message: String,
}

impl PhoneError {
    pub fn new(code: ResultCode, message: impl Into<String>) -> PhoneError {
        PhoneError {
            code: code.code(),
            msg: code.name(),
            user_visible: true,
            message: message.into(),
        }
    }

    /// An error for logs and developers rather than for the user's eyes.
    pub fn internal(code: ResultCode, message: impl Into<String>) -> PhoneError {
        PhoneError {
            user_visible: false,
            ..PhoneError::new(code, message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_match_the_linkus_sdk() {
        assert_eq!(
            (
                ResultCode::RegistryFailed.code(),
                ResultCode::RegistryFailed.name()
            ),
            (-201, "REGISTRY_FAILED")
        );
        assert_eq!(ResultCode::ReRegistryMaxLimitTimes.code(), -204);
        assert_eq!(ResultCode::InvalidNumber.code(), -209);
        assert_eq!(ResultCode::PbxUrlNotHttps.code(), -3);
        assert_eq!(ResultCode::SdkPlanDisabled.code(), -110);
        assert_eq!(ResultCode::NotFoundVideoInputDevice.code(), -291);
    }

    #[test]
    fn phone_error_serialises_as_code_and_msg() {
        let err = PhoneError::new(ResultCode::RegistryFailed, "wrong password");
        let json = serde_json::to_value(&err).expect("serialisable");
        assert_eq!(json["code"], -201);
        assert_eq!(json["msg"], "REGISTRY_FAILED");
        assert_eq!(json["user_visible"], true);
    }
}
