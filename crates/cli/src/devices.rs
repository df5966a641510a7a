//! `dialtone-cli devices`: the microphones and speakers, one JSON line each.

pub fn run() -> Result<(), String> {
    let devices = dialtone_core::devices::list().map_err(|e| e.message)?;
    for device in devices {
        match serde_json::to_string(&device) {
            Ok(line) => println!("{line}"),
            Err(err) => return Err(format!("cannot print a device: {err}")),
        }
    }
    Ok(())
}
