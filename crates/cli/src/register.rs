//! `dialtone-cli register`: register, print events, unregister on exit or Ctrl-C.

use std::time::Duration;

use clap::Args;
use dialtone_core::sip_account::{self, AccountCommand};
use dialtone_core::PhoneEvent;

use crate::account_args::AccountArgs;

#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// Stay registered this many seconds, then unregister and exit (default: until Ctrl-C).
    #[arg(long = "for", value_name = "SECS")]
    pub for_secs: Option<u64>,
}

/// How long unregistering may take before the program exits anyway.
const UNREGISTER_GRACE: Duration = Duration::from_secs(10);

pub async fn run(account: AccountArgs, args: RegisterArgs) -> Result<(), String> {
    let account = account.account().map_err(|e| e.message)?;
    let aor = account.aor();
    let mut handle = sip_account::spawn(account);
    let deadline = args
        .for_secs
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let mut ever_registered = false;
    let mut last_failure: Option<String> = None;

    // Made once, outside the loop, so a signal that arrives while an event is being printed is
    // not lost between two polls.
    let until_deadline = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    let interrupted = interrupted();
    tokio::pin!(until_deadline, interrupted);
    let stop_reason = loop {
        tokio::select! {
            event = handle.next_event() => {
                let Some(event) = event else { break Stop::Ended };
                print_event(&event);
                match &event {
                    PhoneEvent::Registered { .. } => ever_registered = true,
                    PhoneEvent::RegistrationFailed { reason, .. } => last_failure = Some(reason.clone()),
                    PhoneEvent::Disconnected { reason, .. } => last_failure = Some(reason.clone()),
                    _ => {}
                }
                if event.is_fatal() {
                    break Stop::Fatal;
                }
            }
            _ = &mut until_deadline => break Stop::Deadline,
            _ = &mut interrupted => break Stop::Interrupted,
        }
    };

    if stop_reason != Stop::Fatal {
        handle.send(AccountCommand::Shutdown).await;
        // Print what unregistering reports, until the account task ends.
        let drain = async {
            while let Some(event) = handle.next_event().await {
                print_event(&event);
            }
        };
        if tokio::time::timeout(UNREGISTER_GRACE, drain).await.is_err() {
            tracing::warn!(
                "unregistering took longer than {:?}; exiting anyway",
                UNREGISTER_GRACE
            );
        }
    }

    match stop_reason {
        Stop::Fatal => Err(format!(
            "could not register {aor}: {}",
            last_failure.unwrap_or_default()
        )),
        _ if !ever_registered => Err(format!(
            "could not register {aor}: {}",
            last_failure.unwrap_or_else(|| "no answer from the registrar yet".into())
        )),
        _ => Ok(()),
    }
}

/// Ctrl-C, or (on Unix) SIGTERM as sent by `kill` and service managers: both unregister first.
pub(crate) async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Fatal,
    Deadline,
    Interrupted,
    Ended,
}

pub(crate) fn print_event(event: &PhoneEvent) {
    match serde_json::to_string(event) {
        Ok(line) => println!("{line}"),
        Err(err) => tracing::error!("cannot serialise event {event:?}: {err}"),
    }
}
