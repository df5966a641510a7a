//! Where settings, history and logs live: the OS's config and data directories (the same the
//! app uses), or one directory given with `--profile DIR` (tests, scripts, several identities).

use std::path::{Path, PathBuf};

use crate::result_code::{PhoneError, ResultCode};

/// The app's identifier (`identifier` in tauri.conf.json), which names its directories.
pub const APP_IDENTIFIER: &str = "app.dialtone.softphone";

#[derive(Debug, Clone)]
pub struct Profile {
    config_dir: PathBuf,
    data_dir: PathBuf,
}

impl Profile {
    /// The OS's directories for Dialtone (`~/.config/dialtone`, `~/.local/share/dialtone` on Linux).
    pub fn system() -> Result<Profile, PhoneError> {
        let dirs =
            directories::ProjectDirs::from("app", "Dialtone", "dialtone").ok_or_else(|| {
                PhoneError::new(
                    ResultCode::UnknownError,
                    "Cannot find a home directory for settings; give one with --profile DIR.",
                )
            })?;
        Ok(Profile {
            config_dir: dirs.config_dir().to_owned(),
            data_dir: dirs.data_dir().to_owned(),
        })
    }

    /// Everything under one directory.
    pub fn at(dir: &Path) -> Profile {
        Profile {
            config_dir: dir.to_owned(),
            data_dir: dir.to_owned(),
        }
    }

    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Creates the directories, with a message naming the one that failed.
    pub fn ensure(&self) -> Result<(), PhoneError> {
        for dir in [&self.config_dir, &self.data_dir, &self.log_dir()] {
            std::fs::create_dir_all(dir).map_err(|e| {
                PhoneError::new(
                    ResultCode::UnknownError,
                    format!(
                        "Cannot create {}: {e}. Choose another directory with --profile DIR.",
                        dir.display()
                    ),
                )
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identifier_matches_the_apps_tauri_config() {
        let config = include_str!("../../../tauri.conf.json");
        let config: serde_json::Value =
            serde_json::from_str(config).expect("tauri.conf.json is JSON");
        assert_eq!(
            config["identifier"], APP_IDENTIFIER,
            "CLI and app must share one profile directory"
        );
    }

    #[test]
    fn an_explicit_profile_holds_everything() {
        let profile = Profile::at(Path::new("/tmp/p"));
        assert_eq!(profile.config_dir(), Path::new("/tmp/p"));
        assert_eq!(profile.log_dir(), Path::new("/tmp/p/logs"));
    }
}
