#!/bin/sh
# Installs the Go toolchain and the containerd/ttrpc v1.1.1 sources (Debian
# packages golang-go and golang-github-containerd-ttrpc-dev) used by the Go
# interop tests. Idempotent and non-interactive; does nothing when both are
# already present. Exits non-zero on failure.
set -eu

TTRPC_SRC=/usr/share/gocode/src/github.com/containerd/ttrpc
PACKAGES="golang-go golang-github-containerd-ttrpc-dev"

have_all() {
  command -v go >/dev/null 2>&1 && [ -f "$TTRPC_SRC/server.go" ]
}

if have_all; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  AS_ROOT=""
elif command -v sudo >/dev/null 2>&1; then
  AS_ROOT="sudo"
else
  echo "install-go: must run as root or with sudo available" >&2
  exit 1
fi

echo "install-go: installing $PACKAGES"
$AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$AS_ROOT env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null

if ! have_all; then
  echo "install-go: go or the containerd/ttrpc sources are still missing after install" >&2
  exit 1
fi
echo "install-go: $(go version)"
