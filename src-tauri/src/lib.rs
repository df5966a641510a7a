//! The Dialtone desktop app. For now a minimal window that proves the build, the embedded UI
//! and the IPC path; the phone itself (dialtone-core) is wired in by a later change.

mod commands;

/// Builds and runs the app until its last window closes.
pub fn run() {
    let context = tauri::generate_context!();
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app_info])
        .run(context);
    if let Err(err) = result {
        eprintln!("dialtone: the window could not start: {err}");
        std::process::exit(1);
    }
}
