//! `dialtone-cli call TARGET` and `dialtone-cli listen`: real calls from the command line, with
//! WAV files or the sound devices, timed actions (DTMF, hold, resume, hang-up), and the SDK's
//! call events as JSON lines.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use dialtone_audio::DeviceChoice;
use dialtone_core::call_media::AudioEnds;
use dialtone_core::calls::CallOptions;
use dialtone_core::sip_account::{self, AccountCommand, AccountHandle};
use dialtone_core::PhoneEvent;
use dialtone_media::sdp::{CodecSpec, SrtpPolicy};
use tokio::time::Instant;

use crate::account_args::AccountArgs;
use crate::register::{interrupted, print_event};

/// Media and audio flags shared by `call` and `listen`.
#[derive(Args, Debug, Clone)]
pub struct MediaArgs {
    /// Use this WAV file as the microphone (looped) instead of the sound device.
    #[arg(long, value_name = "WAV")]
    pub play: Option<PathBuf>,
    /// Write what is heard to this WAV file (48 kHz mono) instead of playing it.
    #[arg(long, value_name = "WAV")]
    pub record: Option<PathBuf>,
    /// Microphone id (see `dialtone-cli devices`); default: the system's.
    #[arg(long, value_name = "ID")]
    pub mic: Option<String>,
    /// Speaker id (see `dialtone-cli devices`); default: the system's.
    #[arg(long, value_name = "ID")]
    pub speaker: Option<String>,
    /// Offer or accept only this codec: opus, g722, pcmu or pcma (default: all, in that order).
    #[arg(long, value_name = "CODEC")]
    pub codec: Option<String>,
    /// SRTP (SDES): off, optional or mandatory (mandatory refuses unencrypted calls).
    #[arg(long, default_value = "optional", value_name = "POLICY")]
    pub srtp: String,
    /// Hang up this many seconds after the call is answered.
    #[arg(long, value_name = "SECS")]
    pub hangup_after: Option<f64>,
    /// Send these DTMF digits (RFC 4733) after the call is answered.
    #[arg(long, value_name = "DIGITS")]
    pub dtmf: Option<String>,
    /// When to send --dtmf, in seconds after the answer (default 1).
    #[arg(long, default_value = "1", value_name = "SECS")]
    pub dtmf_after: f64,
    /// Put the call on hold this many seconds after the answer.
    #[arg(long, value_name = "SECS")]
    pub hold_after: Option<f64>,
    /// Resume this many seconds after the answer.
    #[arg(long, value_name = "SECS")]
    pub resume_after: Option<f64>,
}

#[derive(Args, Debug)]
pub struct CallArgs {
    /// The number or SIP address to call.
    pub target: String,
    #[command(flatten)]
    pub media: MediaArgs,
}

#[derive(Args, Debug)]
pub struct ListenArgs {
    /// Answer incoming calls after this many seconds (default: at once).
    #[arg(long, default_value = "0", value_name = "SECS")]
    pub answer_after: f64,
    /// Exit after this many calls have ended (default: run until Ctrl-C).
    #[arg(long, value_name = "N")]
    pub calls: Option<u32>,
    #[command(flatten)]
    pub media: MediaArgs,
}

impl MediaArgs {
    fn options(&self) -> Result<CallOptions, String> {
        let audio = if self.play.is_some() || self.record.is_some() {
            AudioEnds::Files {
                play: self.play.clone(),
                record: self.record.clone(),
            }
        } else {
            let choice = |id: &Option<String>| -> Result<DeviceChoice, String> {
                match id {
                    Some(id) => id
                        .parse()
                        .map(DeviceChoice::Id)
                        .map_err(|e: dialtone_audio::AudioError| e.to_string()),
                    None => Ok(DeviceChoice::SystemDefault),
                }
            };
            AudioEnds::Devices {
                microphone: choice(&self.mic)?,
                speaker: choice(&self.speaker)?,
            }
        };
        let all = vec![
            CodecSpec::opus(),
            CodecSpec::g722(),
            CodecSpec::pcmu(),
            CodecSpec::pcma(),
        ];
        let codecs = match self
            .codec
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None => all,
            Some("opus") => vec![CodecSpec::opus()],
            Some("g722") => vec![CodecSpec::g722()],
            Some("pcmu") => vec![CodecSpec::pcmu()],
            Some("pcma") => vec![CodecSpec::pcma()],
            Some(other) => {
                return Err(format!(
                    "--codec {other:?} is not known; use opus, g722, pcmu or pcma"
                ))
            }
        };
        let srtp = match self.srtp.to_ascii_lowercase().as_str() {
            "off" => SrtpPolicy::Off,
            "optional" => SrtpPolicy::Optional,
            "mandatory" => SrtpPolicy::Mandatory,
            other => {
                return Err(format!(
                    "--srtp {other:?} is not known; use off, optional or mandatory"
                ))
            }
        };
        Ok(CallOptions {
            audio,
            codecs,
            srtp,
            answer_after: None,
            refuse_incoming: false,
        })
    }

    /// The timed actions after the answer, in order.
    fn schedule(&self) -> Vec<(Duration, AccountCommand)> {
        let secs = |s: f64| Duration::from_secs_f64(s.max(0.0));
        let mut plan = Vec::new();
        if let Some(digits) = &self.dtmf {
            plan.push((secs(self.dtmf_after), AccountCommand::Dtmf(digits.clone())));
        }
        if let Some(at) = self.hold_after {
            plan.push((secs(at), AccountCommand::Hold(true)));
        }
        if let Some(at) = self.resume_after {
            plan.push((secs(at), AccountCommand::Hold(false)));
        }
        if let Some(at) = self.hangup_after {
            plan.push((secs(at), AccountCommand::Hangup));
        }
        plan.sort_by_key(|(at, _)| *at);
        plan
    }
}

pub async fn call(account: AccountArgs, args: CallArgs) -> Result<(), String> {
    let mut options = args.media.options()?;
    options.refuse_incoming = true;
    let account = account.account().map_err(|e| e.message)?;
    let handle = sip_account::spawn_with(account, options);
    run(handle, Some(args.target), args.media.schedule(), Some(1)).await
}

pub async fn listen(account: AccountArgs, args: ListenArgs) -> Result<(), String> {
    let mut options = args.media.options()?;
    options.answer_after = Some(Duration::from_secs_f64(args.answer_after.max(0.0)));
    let account = account.account().map_err(|e| e.message)?;
    let handle = sip_account::spawn_with(account, options);
    run(handle, None, args.media.schedule(), args.calls).await
}

/// The event loop of both commands: registers, calls `target` if given, runs the timed actions
/// of each answered call, and stops after `calls` calls ended (or Ctrl-C).
async fn run(
    mut handle: AccountHandle,
    target: Option<String>,
    schedule: Vec<(Duration, AccountCommand)>,
    calls: Option<u32>,
) -> Result<(), String> {
    let interrupted = interrupted();
    tokio::pin!(interrupted);
    let mut pending: Vec<(Instant, AccountCommand)> = Vec::new();
    let mut ended = 0u32;
    let mut failure: Option<String> = None;
    let mut target = target;
    // Between asking for the call and its first event: a refusal then ends `call` with its reason.
    let mut placing = false;
    loop {
        let next = pending.iter().map(|(at, _)| *at).min();
        let wake = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = handle.next_event() => {
                let Some(event) = event else { break };
                print_event(&event);
                match &event {
                    PhoneEvent::Registered { .. } => {
                        if let Some(target) = target.take() {
                            placing = true;
                            handle.send(AccountCommand::Call(target)).await;
                        }
                    }
                    PhoneEvent::Confirmed { .. } => {
                        let now = Instant::now();
                        pending.extend(schedule.iter().map(|(after, command)| (now + *after, command.clone())));
                    }
                    PhoneEvent::Ended { .. } | PhoneEvent::CallFailed { .. } => {
                        pending.clear();
                        if let PhoneEvent::CallFailed { cause, code, .. } = &event {
                            failure = Some(match code { Some(code) => format!("the call failed with {code} ({cause})"), None => format!("the call failed ({cause})") });
                        }
                        ended += 1;
                        if calls.is_some_and(|n| ended >= n) {
                            break;
                        }
                    }
                    PhoneEvent::NewRtcSession { .. } => placing = false,
                    PhoneEvent::CommandFailed { message, .. } if placing => {
                        failure = Some(message.clone());
                        break;
                    }
                    event if event.is_fatal() => {
                        failure = Some("could not register".into());
                        break;
                    }
                    _ => {}
                }
            }
            _ = wake => {
                let now = Instant::now();
                let (due, later): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(at, _)| *at <= now);
                pending = later;
                for (_, command) in due {
                    handle.send(command).await;
                }
            }
            _ = &mut interrupted => {
                handle.send(AccountCommand::Hangup).await;
                break;
            }
        }
    }
    handle.send(AccountCommand::Shutdown).await;
    let drain = async {
        while let Some(event) = handle.next_event().await {
            print_event(&event);
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), drain).await;
    match failure {
        Some(reason) => Err(reason),
        None => Ok(()),
    }
}
