//! The crate's one error type. `core` maps it once to the seed's result codes; the messages
//! already say what a user can do about it, because most audio failures are fixed at the desk
//! (plug the headset in, pick another device), not in code.

use crate::devices::Direction;

/// What went wrong with a sound device. Variants are the cases a caller acts on differently.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// No capture device at all (the seed's -290).
    #[error(
        "No microphone found (-290 NOT_FOUND_AUDIO_INPUT_DEVICE). Connect a microphone or \
         headset, or check that the sound server (PulseAudio/PipeWire) is running, then try again."
    )]
    NoInputDevice,

    /// No playback device at all.
    #[error(
        "No speaker or headset found. Connect one, or check that the sound server \
         (PulseAudio/PipeWire) is running, then try again."
    )]
    NoOutputDevice,

    /// The string does not look like an id this crate produced.
    #[error(
        "\"{0}\" is not a sound device id (expected \"host:device\", e.g. \"pulseaudio:alsa_output.usb-…\"); \
         list devices with `dialtone-cli devices`."
    )]
    BadDeviceId(String),

    /// The device exists but offers no format we can convert in the callback (f32/i16/i32/u16).
    #[error(
        "The {direction} device \"{name}\" offers no usable sample format ({detail}). \
         Choose another device in Settings → Audio."
    )]
    UnsupportedDevice {
        direction: Direction,
        name: String,
        detail: String,
    },

    /// The OS or sound server refused to open the stream (busy, no permission, server gone)
    /// (the seed's -206 GET_LOCAL_MEDIA_INFO_ERROR).
    #[error(
        "Cannot open the {direction} device \"{name}\" (-206 GET_LOCAL_MEDIA_INFO_ERROR): {source}. \
         Close other programs using it, check the microphone permission of your system, \
         or choose another device."
    )]
    OpenFailed {
        direction: Direction,
        name: String,
        #[source]
        source: cpal::Error,
    },

    /// Enumerating devices failed (sound server unreachable).
    #[error(
        "Cannot list sound devices: {0}. Check that the sound server (PulseAudio/PipeWire) \
         is running for this user."
    )]
    Enumerate(#[source] cpal::Error),

    /// The background thread that keeps streams open could not be started.
    #[error("Cannot start the audio device thread: {0}. The system is out of resources.")]
    Thread(#[source] std::io::Error),
}
