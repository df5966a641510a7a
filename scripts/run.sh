#!/usr/bin/env bash
# Builds the Dialtone desktop app and runs it. Safe to re-run: dependencies are installed only
# when missing and cargo rebuilds only what changed. Arguments are passed to the app.
#
# The binary serves ui/ itself (no dev server): it is built with tauri's `custom-protocol`
# feature, as `tauri build` does, so it is a production-mode build -- ui/ embedded, served from
# tauri://localhost, the CSP from tauri.conf.json enforced. (A plain `cargo build` makes a dev-mode
# binary: it would still embed ui/ while there is no devUrl, but runs without the CSP.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/install-app-deps.sh"

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  echo "run.sh: no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot open." >&2
  echo "  On a machine without a display use the headless front end, which does everything the app does:" >&2
  echo "    cargo run -p dialtone-cli -- --help" >&2
  echo "  Or give the app a virtual display:" >&2
  echo "    Xvfb :97 -screen 0 1280x800x24 -nolisten tcp &  DISPLAY=:97 scripts/run.sh" >&2
  exit 2
fi

cargo build -p dialtone --features tauri/custom-protocol
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
exec "${target_dir:-$ROOT/target}/debug/dialtone" "$@"
