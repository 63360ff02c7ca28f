#!/usr/bin/env bash
# Installs the Debian packages the build, the tests or the demo need, only when some are missing.
# Usage: scripts/install-deps.sh [build|test|bench]   (default: build)
set -euo pipefail

profile="${1:-build}"
packages=(libmicrohttpd-dev pkg-config zlib1g-dev libcrypt-dev)
case "$profile" in
    build) ;;
    test) packages+=(prometheus prometheus-alertmanager openssl curl apache2-utils python3-venv chromium fonts-dejavu-core spin gcc) ;;
    bench) packages+=(wrk curl) ;;
    *) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
    # python3-venv is moot where python3 already has a working venv module (e.g. a pyenv build).
    if [ "$package" = python3-venv ] && python3 -c 'import venv, ensurepip' 2>/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
