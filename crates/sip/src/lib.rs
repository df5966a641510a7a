//! dialtone-sip: a sans-IO SIP user agent core and thin tokio transports.
//!
//! The protocol core (`message`, `transaction`, `digest`, `registration`, `dialog`, `invite`) never touches a socket, a
//! thread or a clock: callers feed it `(now, input)` and drain what it wants done. The `transport`
//! module holds the tokio adapters (UDP, TCP, TLS, WS, WSS); nothing in the core imports it.

pub mod auth_policy;
pub mod dialog;
pub mod digest;
pub mod flow;
pub mod invite;
pub mod message;
pub mod registration;
pub mod secret;
pub mod token;
pub mod transaction;
#[cfg(feature = "tokio")]
pub mod transport;
pub mod user_agent;
