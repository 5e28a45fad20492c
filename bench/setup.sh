#!/usr/bin/env bash
# Installs the bench's baselines and peers, once per machine; safe to run again. `npm run bench`
# calls it; the test command never does (peers take minutes to install).
#   - libvips-tools (vips, vipsthumbnail): the ceiling, from Debian.
#   - libvips-dev + Go: a Go + libvips HTTP server, built into .cache/ (imgproxy if the Go module
#     proxy serves it, else the govips stand-in in bench/peers/go-vips, see bench/README.md).
#   - thumbor from PyPI, in a venv under .cache/, with Debian's gifsicle for animations.
# Everything lands in .cache/bench/; nothing is committed. Status lines go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/bench/peers
mkdir -p "$out"
log() { echo "[bench setup] $*" >&2; }

need_apt=()
command -v vipsthumbnail >/dev/null 2>&1 || need_apt+=(libvips-tools)
pkg-config --exists vips 2>/dev/null || need_apt+=(libvips-dev)
command -v gifsicle >/dev/null 2>&1 || need_apt+=(gifsicle) # thumbor's engine for animated GIFs
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# imgproxy: the version whose libvips floor Debian bookworm's 8.14 meets. Tried first; when the
# module proxy refuses it, the reason is kept for the report and the stand-in is built instead.
IMGPROXY_VERSION=${IMGPROXY_VERSION:-v3.24.1}
if [ ! -x "$out/imgproxy" ] && [ ! -f "$out/imgproxy.unavailable" ]; then
  log "go install github.com/imgproxy/imgproxy/v3@$IMGPROXY_VERSION"
  if ! GOBIN="$PWD/$out" go install "github.com/imgproxy/imgproxy/v3@$IMGPROXY_VERSION" 2>"$out/imgproxy.log"; then
    cp "$out/imgproxy.log" "$out/imgproxy.unavailable"
    log "imgproxy cannot be built here: $(head -c 300 "$out/imgproxy.unavailable")"
  fi
fi
if [ ! -x "$out/go-vips" ] || [ bench/peers/go-vips/main.go -nt "$out/go-vips" ]; then
  log "go build bench/peers/go-vips (govips against Debian's libvips $(pkg-config --modversion vips))"
  (cd bench/peers/go-vips && go build -trimpath -o "../../../$out/go-vips" .)
fi

if [ ! -x "$out/thumbor-venv/bin/thumbor" ]; then
  log "pip install thumbor into $out/thumbor-venv"
  rm -rf "$out/thumbor-venv"
  python3 -m venv "$out/thumbor-venv"
  "$out/thumbor-venv/bin/pip" install --quiet --disable-pip-version-check 'thumbor>=7.7,<8' >&2
fi
log "ready: vipsthumbnail $(vips --version 2>/dev/null | head -1); in $out: $(ls "$out" | tr "\n" " ")"
