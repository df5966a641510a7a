//! `dialtone-cli`: everything the app does, headless — for scripts, servers and tests.
//!
//! Events go to stdout as JSON lines (`{"event":"registered",...}`); logs go to the profile's
//! log directory; a one-line human reason goes to stderr when a command fails.

mod account_args;
mod call;
mod devices;
mod logging;
mod register;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use account_args::AccountArgs;

#[derive(Parser)]
#[command(name = "dialtone-cli", version, about = "Dialtone softphone, headless")]
struct Cli {
    /// Directory for settings, history and logs (default: the OS's config and data directories,
    /// the same the app uses).
    #[arg(long, global = true, value_name = "DIR")]
    profile: Option<PathBuf>,

    /// Log detail written to the profile's log file: error, warn, info, debug or trace.
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    log_level: String,

    #[command(flatten)]
    account: AccountArgs,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Register the account, print events as JSON lines, unregister on exit or Ctrl-C.
    Register(register::RegisterArgs),
    /// Call a number or SIP address with real audio (devices, or WAV files with --play/--record).
    Call(call::CallArgs),
    /// Register and take incoming calls (answered after --answer-after).
    Listen(call::ListenArgs),
    /// List microphones and speakers (JSON lines: id, name, kind, isDefault); the ids choose devices.
    Devices,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let profile = match &cli.profile {
        Some(dir) => dialtone_core::Profile::at(dir),
        None => match dialtone_core::Profile::system() {
            Ok(profile) => profile,
            Err(err) => return fail(&err.message),
        },
    };
    if let Err(err) = profile.ensure() {
        return fail(&err.message);
    }
    if let Err(message) = logging::init(&profile, &cli.log_level) {
        return fail(&message);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&format!("cannot start the async runtime: {err}")),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Register(args) => register::run(cli.account, args).await,
            Command::Devices => devices::run(),
            Command::Call(args) => call::call(cli.account, args).await,
            Command::Listen(args) => call::listen(cli.account, args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("dialtone-cli: {message}");
    ExitCode::FAILURE
}
