//! dialtone-core: the phone. Accounts, the registration driver, events and result codes; later
//! calls, history and credentials. The CLI and the app are two front ends over this one API.

pub mod account;
pub mod call_media;
pub mod calls;
pub mod devices;
pub mod events;
pub mod profile;
pub mod result_code;
pub mod sip_account;

pub use account::{SipAccount, SipAccountInput};
pub use events::PhoneEvent;
pub use profile::Profile;
pub use result_code::{PhoneError, ResultCode};
