#!/usr/bin/env bash
# Installs the test bed and runs every test: formatting, lints, unit tests, and the integration
# tests against real peers (kamailio, baresip, SIPp), each in its own network namespace.
# Idempotent and safe to re-run. Needs root (apt-get, network namespaces) on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

scripts/install-app-deps.sh
scripts/install-test-deps.sh

# cargo-nextest runs each test in its own process, which is what lets every integration test
# enter a private network namespace. The Rust machine image ships it; install it otherwise.
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo build -p dialtone-cli (the integration tests drive the real binary)"
cargo build -p dialtone-cli --locked
echo "== cargo nextest run"
cargo nextest run --workspace --locked --profile ci
echo "== all tests passed in $(( $(date +%s) - started )) s"
