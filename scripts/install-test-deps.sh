#!/bin/sh
# Installs the real peers that dialtone-tests (tests/) starts on a private loopback:
# kamailio (registrar/proxy incl. TLS + WebSocket modules), baresip (far-end phone),
# SIPp (scripted SIP flows), sipsak (harness self-tests), openssl (per-run certificates),
# iproute2 (`ip link set lo up` in each test's network namespace), and the virtual sound devices
# of the audio tests: pulseaudio + pulseaudio-utils (null sinks, paplay/parecord/pactl) and
# libasound2-plugins (ALSA `default` -> PulseAudio).
# Debian 12, run as root. Idempotent: does nothing (and no apt-get update) when all are present.
set -eu

PACKAGES="kamailio kamailio-tls-modules kamailio-websocket-modules baresip-core sip-tester sipsak openssl iproute2 pulseaudio pulseaudio-utils libasound2-plugins"

missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $pkg"
done

if [ -z "$missing" ]; then
    echo "test dependencies already installed: $PACKAGES"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "missing:$missing -- run this script as root" >&2
    exit 1
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086  # word splitting of the package list is intended
apt-get install -y --no-install-recommends $missing
