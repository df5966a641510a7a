//! Tauri commands: the only way the UI reaches Rust. Each one is a thin call into the core;
//! for now there is no core yet, only what proves the IPC path.

use serde::Serialize;

/// What the window shows about the running build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
}

impl AppInfo {
    pub fn from_package(info: &tauri::PackageInfo) -> Self {
        Self {
            name: info.name.clone(),
            version: info.version.to_string(),
        }
    }
}

/// Name and version of the app, as configured in `tauri.conf.json` and the workspace `Cargo.toml`.
#[tauri::command]
pub fn app_info(app: tauri::AppHandle) -> AppInfo {
    AppInfo::from_package(app.package_info())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_info_serialises_as_name_and_version() {
        let info = AppInfo {
            name: "Dialtone".into(),
            version: "0.1.0".into(),
        };
        let json = serde_json::to_value(&info).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"name": "Dialtone", "version": "0.1.0"})
        );
    }
}
