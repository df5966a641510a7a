//! The one-shot account given by flags (nothing is stored). The password comes only from the
//! environment variable DIALTONE_PASSWORD: a flag would show in `ps` and shell history.

use std::path::PathBuf;

use clap::Args;
use dialtone_core::{PhoneError, ResultCode, SipAccount, SipAccountInput};
use dialtone_sip::secret::Secret;

/// The environment variable holding the SIP password.
pub const PASSWORD_VAR: &str = "DIALTONE_PASSWORD";

#[derive(Args, Debug, Clone, Default)]
pub struct AccountArgs {
    /// SIP user (extension) to register as.
    #[arg(long, global = true, value_name = "USER")]
    pub user: Option<String>,
    /// Registrar, also used as the outbound proxy: sip:HOST[:PORT].
    #[arg(long, global = true, value_name = "URI")]
    pub registrar: Option<String>,
    /// udp, tcp, tls, ws or wss.
    #[arg(long, global = true, default_value = "udp", value_name = "TRANSPORT")]
    pub transport: String,
    /// SIP domain of the address of record (default: the registrar's host).
    #[arg(long, global = true, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Authentication user name, when it differs from --user.
    #[arg(long, global = true, value_name = "NAME")]
    pub auth_user: Option<String>,
    /// WebSocket URL for ws/wss, e.g. wss://pbx.example.com:8089/ws (default: the registrar's host and port, path /).
    #[arg(long, global = true, value_name = "URL")]
    pub ws_url: Option<String>,
    /// Trust only the CA certificate(s) in this PEM file for TLS/WSS instead of the system's.
    #[arg(long, global = true, value_name = "PEMFILE")]
    pub tls_ca: Option<PathBuf>,
    /// Trust exactly the server certificate with this SHA-256 fingerprint (a self-signed PBX you checked).
    #[arg(long, global = true, value_name = "SHA256")]
    pub tls_pin: Option<String>,
    /// Registration lifetime to ask for, in seconds.
    #[arg(long, global = true, value_name = "SECS")]
    pub expires: Option<u32>,
}

impl AccountArgs {
    /// Checks the flags and the password variable into an account.
    pub fn account(&self) -> Result<SipAccount, PhoneError> {
        let missing = |what: &str| {
            PhoneError::new(
                ResultCode::RegistryFailed,
                format!("No account given: add {what}."),
            )
        };
        if self.user.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return Err(missing("--user USER (the extension, e.g. 1000)"));
        }
        if self
            .registrar
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
        {
            return Err(missing("--registrar sip:HOST[:PORT]"));
        }
        let input = SipAccountInput {
            user: self.user.clone().unwrap_or_default(),
            registrar: self.registrar.clone().unwrap_or_default(),
            transport: self.transport.clone(),
            domain: self.domain.clone(),
            auth_user: self.auth_user.clone(),
            password: std::env::var(PASSWORD_VAR).ok().map(Secret::new),
            ws_url: self.ws_url.clone(),
            tls_ca: self.tls_ca.clone(),
            tls_pin: self.tls_pin.clone(),
            display_name: None,
            expires: self.expires,
        };
        SipAccount::from_input(input)
    }
}
