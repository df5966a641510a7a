//! The sound devices a user can choose, as every front end shows them.

use dialtone_audio::{input_devices, output_devices, AudioError, DeviceInfo, Direction};
use serde::Serialize;

use crate::result_code::{PhoneError, ResultCode};

/// One microphone or speaker. `id` is stable across restarts and replugging; give it back to
/// choose the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub id: String,
    pub name: String,
    /// `input` (microphone) or `output` (speaker, ringer).
    pub kind: &'static str,
    pub is_default: bool,
}

/// Every microphone, then every speaker.
pub fn list() -> Result<Vec<Device>, PhoneError> {
    let inputs = input_devices().map_err(device_error)?;
    let outputs = output_devices().map_err(device_error)?;
    Ok(inputs
        .into_iter()
        .chain(outputs)
        .map(Device::from)
        .collect())
}

impl From<DeviceInfo> for Device {
    fn from(info: DeviceInfo) -> Device {
        Device {
            id: info.id.to_string(),
            name: info.name,
            kind: match info.direction {
                Direction::Input => "input",
                Direction::Output => "output",
            },
            is_default: info.is_default,
        }
    }
}

/// Device errors with the SDK's codes: no microphone is -290, everything else -206.
pub fn device_error(err: AudioError) -> PhoneError {
    let code = match err {
        AudioError::NoInputDevice => ResultCode::NotFoundAudioInputDevice,
        _ => ResultCode::GetLocalMediaInfoError,
    };
    PhoneError::new(code, err.to_string())
}
