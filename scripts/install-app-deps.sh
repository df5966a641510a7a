#!/usr/bin/env bash
# Installs what building and running the Dialtone desktop app needs, on Debian 12 (root or sudo):
# the Tauri v2 system libraries (WebKitGTK 4.1, GTK 3, appindicator, rsvg, xdo, D-Bus), a C
# toolchain, cmake (bundled libopus) and ALSA headers (cpal), then the npm dev tools
# (@tauri-apps/cli) into ./node_modules. Idempotent: apt is skipped when everything is installed,
# npm is skipped when node_modules matches package-lock.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Build tools and the Tauri v2 Linux prerequisites (Tauri's own list, as verified in the testbed),
# plus cmake and libasound2-dev for the audio/codec crates the app will link.
PACKAGES=(
  build-essential pkg-config curl wget file cmake
  libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev
  libxdo-dev libdbus-1-dev libasound2-dev
)
# Node for the Tauri CLI: Debian's nodejs+npm, unless a node with npm is already there
# (e.g. from NodeSource, whose nodejs package ships npm and conflicts with Debian's npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-app-deps: system packages already installed"
else
  echo "install-app-deps: installing ${missing[*]}"
  SUDO=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || { echo "install-app-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Rust: Debian 12's rustc (1.63) is too old for the workspace (rust-version in Cargo.toml), so it
# comes from rustup; we only check, because rustup is not an apt package.
need_rust="$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)"
if ! command -v cargo >/dev/null 2>&1; then
  echo "install-app-deps: cargo not found. Install Rust ${need_rust:-stable} or newer with rustup:" >&2
  echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y && . \"\$HOME/.cargo/env\"" >&2
  exit 1
fi
have_rust="$(rustc --version | awk '{print $2}')"
if [[ -n "$need_rust" ]] && [[ "$(printf '%s\n%s\n' "$need_rust" "$have_rust" | sort -V | head -n1)" != "$need_rust" ]]; then
  echo "install-app-deps: rustc $have_rust is older than the required $need_rust; run: rustup update stable" >&2
  exit 1
fi

# npm dev tools (@tauri-apps/cli ships a prebuilt binary: seconds, no cargo install). A stamp
# newer than package.json (and the lock, if any) means node_modules already matches them.
cd "$ROOT"
stamp=node_modules/.dialtone-npm-stamp
if [[ -x node_modules/.bin/tauri && -f "$stamp" && "$stamp" -nt package.json ]] &&
  [[ ! -f package-lock.json || "$stamp" -nt package-lock.json ]]; then
  echo "install-app-deps: node_modules up to date"
else
  if [[ -f package-lock.json ]]; then
    # npm ci refuses a lock that lacks other platforms' optional CLI binaries (what a registry
    # mirror serving only this platform produces); npm install accepts it.
    npm_log="$(mktemp)"
    if ! npm ci --no-audit --no-fund >"$npm_log" 2>&1; then
      echo "install-app-deps: npm ci refused package-lock.json ($(grep -m1 -i 'error' "$npm_log" || echo 'see npm log')); using npm install" >&2
      npm install --no-audit --no-fund --no-save
    fi
    rm -f "$npm_log"
  else
    npm install --no-audit --no-fund --no-package-lock
  fi
  touch "$stamp"
fi
