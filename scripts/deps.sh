#!/usr/bin/env bash
# Installs the Debian packages fundgate needs to build and test, when any is missing.
# Checks with dpkg -s; as root runs apt-get install -y; otherwise prints the exact command.
# Usage: scripts/deps.sh [extra-package ...]
set -euo pipefail
pkgs=(build-essential cmake pkg-config libsqlite3-dev libpq-dev libssl-dev libjansson-dev
      libmicrohttpd-dev libcurl4-openssl-dev libjwt-dev libcmocka-dev curl postgresql
      clang-14 libclang-rt-14-dev clang-format-14 "$@") # postgresql: the pg test label; clang-14 and libFuzzer: make fuzz; clang-format-14: make lint
missing=()
for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "fundgate needs these Debian packages: ${missing[*]}" >&2
    echo "run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
