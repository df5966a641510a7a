//! Logs go to `<profile>/logs/dialtone-cli.log`, never to stdout (stdout carries the JSON events).

use std::fs::OpenOptions;
use std::sync::Mutex;

use dialtone_core::Profile;
use tracing_subscriber::EnvFilter;

/// Starts logging to the profile's log file.
pub fn init(profile: &Profile, level: &str) -> Result<(), String> {
    let path = profile.log_dir().join("dialtone-cli.log");
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot open the log file {}: {e}", path.display()))?;
    let filter = EnvFilter::try_new(level).map_err(|e| {
        format!(
            "--log-level {level:?} is not a log level ({e}); use error, warn, info, debug or trace"
        )
    })?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .init();
    Ok(())
}
