use std::path::PathBuf;
use std::time::Duration;

/// What went wrong while driving a peer; messages name the artefact to look at.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{peer} did not become ready within {timeout:?}: {detail} (log: {log})")]
    NotReady {
        peer: &'static str,
        timeout: Duration,
        detail: String,
        log: PathBuf,
    },
    #[error("{peer} exited early with {status} (log: {log})")]
    Exited {
        peer: &'static str,
        status: std::process::ExitStatus,
        log: PathBuf,
    },
    #[error("timed out after {timeout:?} waiting for {what}; seen so far: {seen}")]
    Timeout {
        what: String,
        timeout: Duration,
        seen: String,
    },
    #[error("{peer} answered with an error: {detail}")]
    Peer { peer: &'static str, detail: String },
    #[error("cannot read {path}: {detail}")]
    Wav { path: PathBuf, detail: String },
}

impl HarnessError {
    /// Wraps an I/O error with what the harness was doing, so the message is actionable.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| HarnessError::Io { what, source }
    }
}
