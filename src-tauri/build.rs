//! Points the Tauri build at the app's config, which lives at the repository root
//! (`../tauri.conf.json`), not in this crate.
//!
//! Why this is not simply `Attributes::config_path("../tauri.conf.json")`: Tauri resolves every
//! relative path in a config (frontendDist, icons, desktop template) against the directory of
//! the file it read, while the Tauri CLI always reads (and bundles from) the directory of the
//! app crate, which must hold a `tauri.conf.json` next to a `[package]` Cargo.toml. The root
//! holds the workspace manifest, so the CLI can never treat the root as the app directory.
//! So the root file is written with paths relative to `src-tauri/`, `src-tauri/tauri.conf.json`
//! is a stub that only marks this directory for the CLI, and this script merges the root
//! file over the stub through `TAURI_CONFIG` -- the same JSON merge-patch channel the CLI uses
//! for `tauri build --config`. Both tauri-build (here) and `tauri::generate_context!()` (in
//! lib.rs, via `cargo:rustc-env`) read it, with `src-tauri/` as the base for relative paths.

use std::{env, fs, path::Path};

fn main() {
    let root_config = Path::new("../tauri.conf.json");
    println!("cargo:rerun-if-changed={}", root_config.display());
    println!("cargo:rerun-if-changed=tauri.conf.json");
    println!("cargo:rerun-if-changed=capabilities");

    let mut config: serde_json::Value = match fs::read_to_string(root_config) {
        Ok(text) => serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{} is not valid JSON: {err}", root_config.display())),
        Err(err) => panic!("cannot read {}: {err}", root_config.display()),
    };
    // Values the CLI passes with `--config` (and anything set by hand) still win, as in Tauri.
    if let Ok(overrides) = env::var("TAURI_CONFIG") {
        let overrides: serde_json::Value = serde_json::from_str(&overrides)
            .unwrap_or_else(|err| panic!("TAURI_CONFIG is not valid JSON: {err}"));
        merge_patch(&mut config, overrides);
    }
    // generate_context!() embeds ui/ and the icons when lib.rs compiles, and nothing tells
    // cargo to recompile when they change; a build-script rerun does (cargo scans directories).
    if let Some(dist) = config
        .pointer("/build/frontendDist")
        .and_then(|v| v.as_str())
    {
        println!("cargo:rerun-if-changed={dist}");
    }
    println!("cargo:rerun-if-changed=../icons");

    let merged = config.to_string(); // compact: one line, safe for cargo:rustc-env
    env::set_var("TAURI_CONFIG", &merged); // for tauri-build below (it reads its own env)
    println!("cargo:rustc-env=TAURI_CONFIG={merged}"); // for generate_context!() in lib.rs

    let attributes = tauri_build::Attributes::new().windows_attributes(
        // The default is icons/icon.ico inside this crate; the icons live at the root.
        tauri_build::WindowsAttributes::new().window_icon_path("../icons/icon.ico"),
    );
    if let Err(err) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {err:#}");
    }
}

/// RFC 7396 JSON merge patch, as Tauri applies `TAURI_CONFIG` and `--config`.
fn merge_patch(target: &mut serde_json::Value, patch: serde_json::Value) {
    let serde_json::Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(&key);
            } else {
                merge_patch(map.entry(key).or_insert(serde_json::Value::Null), value);
            }
        }
    }
}
