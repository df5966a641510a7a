//! `dialtone-tests`: starts real SIP peers on a private loopback so black-box tests can run
//! Dialtone against the same software a user's PBX or far end would be.
//!
//! A test typically looks like this (plain `#[test]`, not `#[tokio::test]`, see [`Netns::enter`]):
//!
//! ```no_run
//! use dialtone_tests::{ArtifactDir, Kamailio, KamailioOptions, Netns};
//! Netns::enter();                                   // first line: private `lo`, fixed ports
//! let dir = ArtifactDir::new("registers_over_udp"); // declared first, so dropped last
//! let kam = Kamailio::start(&dir.subdir("kamailio"), KamailioOptions::default()).expect("kamailio starts");
//! // ... drive dialtone-cli / baresip / sipp ...
//! assert!(!kam.registered_contacts("1000@127.0.0.1").expect("ul.lookup").is_empty());
//! ```
//!
//! Every peer is killed when dropped; when a test panics its logs stay in the artefact directory
//! and the path is printed.

mod artifacts;
pub mod audio_check;
mod baresip;
mod binary;
mod cli;
mod error;
mod event_log;
mod kamailio;
mod netns;
mod process;
mod pulse;
mod sipp;

pub use artifacts::ArtifactDir;
pub use baresip::{AudioSource, Baresip, BaresipCtrl, BaresipOptions, SipTransport};
pub use cli::DialtoneCli;
pub use error::HarnessError;
pub use event_log::EventLog;
pub use kamailio::{Binding, Kamailio, KamailioOptions};
pub use netns::Netns;
pub use pulse::{PulseAudio, PulseClient};
pub use sipp::{Sipp, SippOutcome, SippTransport};

/// Result type of every fallible harness operation.
pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
