//! A string that must never reach a log line, a crash report or a serialised settings dump.
//!
//! Passwords, precomputed digest HA1s and tokens live in a [`Secret`]. Its `Debug` and `Display`
//! print `***`, it has no `Serialize`, and its bytes are wiped when it is dropped. Reading the value
//! takes an explicit [`Secret::expose`], so every place that handles the clear text is greppable.

use std::fmt;

use zeroize::Zeroize;

/// A secret string, masked as `***` when printed and wiped on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The clear text. Use it only to compute or send the credential, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort: copies made before (a `String` that grew, a clone) are not reachable here.
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_a_secret_never_shows_it() {
        let secret = Secret::new("Circle Of Life");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{:#?}", Some(&secret)), "Some(\n    ***,\n)");
        assert_eq!(secret.expose(), "Circle Of Life");
    }
}
