#!/usr/bin/env bash
# Install danlu's build dependencies (Debian 12 packages) and build it in Release.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="g++ cmake ninja-build libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev libopenmpi-dev openmpi-bin libcpp-httplib-dev pkg-config wrk python3-dev python3-pybind11 python3-pytest chromium"
# Node.js and npm: the machine's own when present, else Debian's.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# The web page's npm packages (uPlot, embedded in the binary; playwright-core for the browser
# tests, driving Debian's chromium), exactly as web/package-lock.json pins them.
if [ ! -f web/node_modules/.package-lock.json ] || ! cmp -s web/package-lock.json web/node_modules/.lock-installed 2>/dev/null; then
  npm ci --prefix web --no-audit --no-fund --loglevel=error
  cp web/package-lock.json web/node_modules/.lock-installed
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
