#!/usr/bin/env bash
# Installs what the test suite's real services need, once per machine; safe to run again.
# moto_server (an S3-compatible server, PyPI); Chromium (Debian) for the console's browser tests.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import moto.server, flask' >/dev/null 2>&1; then
  echo "[services] installing moto[server] from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
  hash -r
fi

# Debian's Chromium, driven by playwright-core in test/console/ (no browser download from a CDN).
if [ ! -x /usr/bin/chromium ]; then
  echo "[services] installing chromium from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
