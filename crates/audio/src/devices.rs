//! Listing sound devices and resolving a user's choice to a cpal device.
//!
//! # Stable ids
//! A [`DeviceId`] is `"<host>:<backend name>"`, e.g. `pulseaudio:alsa_output.usb-Jabra_…analog-stereo`
//! or `alsa:hw:CARD=Headset,DEV=0`: cpal's own id, which every backend derives from a *name*
//! the system gives the device, never from a list position. So an id stored in the settings
//! still finds the headset after it was unplugged and plugged into another port, after other
//! devices came and went, and after a reboot:
//! - PulseAudio / PipeWire (the default on Linux when a server runs): sink/source names, built
//!   from the card's bus id and serial, the same on every replug.
//! - ALSA (fallback when no sound server runs): PCM names from the ALSA hints use the card *name*
//!   (`CARD=Headset`); only the extra `hw:CARD=<n>` entries cpal adds are index based.
//! - WASAPI: endpoint id strings; CoreAudio: device UIDs — both persistent by design.
//!
//! # Choosing
//! [`DeviceChoice::SystemDefault`] follows the OS default: the device thread re-resolves it when
//! the stream fails and when the default changes. [`DeviceChoice::Id`] prefers that device; if it
//! is missing the OS default is used and the fall-back is reported, and the device is taken
//! back when it returns (`stream.rs`).

use std::fmt;
use std::str::FromStr;

use cpal::traits::{DeviceTrait, HostTrait};

use crate::AudioError;

/// Capture (microphone) or playback (speaker, headset, ringer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Input,
    Output,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Input => "microphone",
            Direction::Output => "speaker",
        })
    }
}

/// A device id that survives replugging and reordering (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn from_cpal(id: &cpal::DeviceId) -> Self {
        Self(id.to_string())
    }

    fn to_cpal(&self) -> Result<cpal::DeviceId, AudioError> {
        cpal::DeviceId::from_str(&self.0).map_err(|_| AudioError::BadDeviceId(self.0.clone()))
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DeviceId {
    type Err = AudioError;

    /// Accepts what [`DeviceId`]'s `Display` printed (`host:name`), checking the host part.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = Self(s.to_owned());
        id.to_cpal()?;
        Ok(id)
    }
}

/// One device as the settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub id: DeviceId,
    /// Human name from the OS ("TestMic", "Jabra Evolve 65 Analog Stereo").
    pub name: String,
    pub direction: Direction,
    /// True for the device the OS currently uses by default in this direction.
    pub is_default: bool,
}

/// Which device to use for one direction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// Whatever the OS default is now, re-resolved when it changes or the stream fails.
    #[default]
    SystemDefault,
    /// This device when present; the OS default meanwhile (reported as a fall-back).
    Id(DeviceId),
}

/// Microphones, default first marked by [`DeviceInfo::is_default`]. Monitor sources (what a
/// PulseAudio sink plays) are left out: they are not microphones, though an id naming one
/// still opens.
pub fn input_devices() -> Result<Vec<DeviceInfo>, AudioError> {
    Hosts::new().list(Direction::Input)
}

/// Speakers and headsets (also the candidates for the ringer).
pub fn output_devices() -> Result<Vec<DeviceInfo>, AudioError> {
    Hosts::new().list(Direction::Output)
}

/// A device chosen for opening, with what the user should be told about it.
pub(crate) struct Resolved {
    pub device: cpal::Device,
    pub info: DeviceInfo,
    /// The chosen device was missing and the OS default stands in.
    pub fell_back: bool,
}

/// The cpal hosts in use: the platform default (PulseAudio when a server is reachable, else
/// ALSA on Linux) plus any other host an id names (e.g. `alsa:default`), opened on demand and
/// kept, because opening the PulseAudio host is a server handshake.
pub(crate) struct Hosts {
    default: cpal::Host,
    others: Vec<cpal::Host>,
}

impl Hosts {
    pub fn new() -> Self {
        Self {
            default: cpal::default_host(),
            others: Vec::new(),
        }
    }

    fn host(&mut self, id: cpal::HostId) -> Option<&cpal::Host> {
        if self.default.id() == id {
            return Some(&self.default);
        }
        if let Some(i) = self.others.iter().position(|h| h.id() == id) {
            return self.others.get(i);
        }
        let host = cpal::host_from_id(id).ok()?;
        self.others.push(host);
        self.others.last()
    }

    pub fn list(&mut self, direction: Direction) -> Result<Vec<DeviceInfo>, AudioError> {
        let host = &self.default;
        let default_id = default_device(host, direction).and_then(|d| d.id().ok());
        let devices: Vec<cpal::Device> = match direction {
            Direction::Input => host.input_devices().map(|d| d.collect()),
            Direction::Output => host.output_devices().map(|d| d.collect()),
        }
        .map_err(AudioError::Enumerate)?;
        Ok(devices
            .iter()
            .filter_map(|d| info_of(d, direction, default_id.as_ref()))
            .filter(|info| direction == Direction::Output || !info.id.0.ends_with(".monitor"))
            .collect())
    }

    /// The device for `choice`; falls back to the OS default when a chosen id is missing.
    pub fn resolve(
        &mut self,
        direction: Direction,
        choice: &DeviceChoice,
    ) -> Result<Resolved, AudioError> {
        if let DeviceChoice::Id(id) = choice {
            let cpal_id = id.to_cpal()?;
            if let Some(host) = self.host(cpal_id.host()) {
                let default_id = default_device(host, direction).and_then(|d| d.id().ok());
                let found = host
                    .device_by_id(&cpal_id)
                    .filter(|d| supports(d, direction))
                    .and_then(|d| Some((info_of(&d, direction, default_id.as_ref())?, d)));
                if let Some((info, device)) = found {
                    return Ok(Resolved {
                        device,
                        info,
                        fell_back: false,
                    });
                }
            }
        }
        let device = default_device(&self.default, direction).ok_or(match direction {
            Direction::Input => AudioError::NoInputDevice,
            Direction::Output => AudioError::NoOutputDevice,
        })?;
        let default_id = device.id().ok();
        let info = info_of(&device, direction, default_id.as_ref()).ok_or(match direction {
            Direction::Input => AudioError::NoInputDevice,
            Direction::Output => AudioError::NoOutputDevice,
        })?;
        Ok(Resolved {
            device,
            info,
            fell_back: matches!(choice, DeviceChoice::Id(_)),
        })
    }
}

fn default_device(host: &cpal::Host, direction: Direction) -> Option<cpal::Device> {
    match direction {
        Direction::Input => host.default_input_device(),
        Direction::Output => host.default_output_device(),
    }
}

fn supports(device: &cpal::Device, direction: Direction) -> bool {
    match direction {
        Direction::Input => device.supports_input(),
        Direction::Output => device.supports_output(),
    }
}

fn info_of(
    device: &cpal::Device,
    direction: Direction,
    default_id: Option<&cpal::DeviceId>,
) -> Option<DeviceInfo> {
    let id = device.id().ok()?;
    let name = device
        .description()
        .map(|d| d.name().to_owned())
        .unwrap_or_else(|_| id.id().to_owned());
    Some(DeviceInfo {
        is_default: default_id == Some(&id),
        id: DeviceId::from_cpal(&id),
        name,
        direction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_text_form() {
        let id: DeviceId = "alsa:hw:CARD=Headset,DEV=0".parse().expect("valid id");
        assert_eq!(id.to_string(), "alsa:hw:CARD=Headset,DEV=0");
        assert!(matches!(
            "no-host-part".parse::<DeviceId>(),
            Err(AudioError::BadDeviceId(_))
        ));
        assert!("nosuchhost:x".parse::<DeviceId>().is_err());
    }
}
