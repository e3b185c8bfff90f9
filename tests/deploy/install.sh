#!/usr/bin/env bash
# install.sh BUILD_DIR - `cmake --install` (what `make install` runs) into a scratch DESTDIR,
# once with PREFIX=/usr and once with /usr/local: every file lands where the README says, the
# unit runs the installed binary with the installed configuration as a dedicated user with the
# hardening settings, and the configuration is one the binary accepts.
set -euo pipefail
build=${1:?usage: install.sh BUILD_DIR}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
fail() { echo "install.sh: $*" >&2; exit 1; }

DESTDIR="$stage/usr" cmake --install "$build" --prefix /usr >/dev/null
d="$stage/usr"
for f in usr/bin/fundgate usr/lib/systemd/system/fundgate.service usr/lib/sysusers.d/fundgate.conf \
         etc/fundgate/fundgate.json usr/share/doc/fundgate/README.md; do
    [ -e "$d/$f" ] || fail "missing $f"
done
unit="$d/usr/lib/systemd/system/fundgate.service"
grep -qx 'ExecStart=/usr/bin/fundgate serve --config /etc/fundgate/fundgate.json' "$unit" ||
    fail "ExecStart does not name the installed binary and configuration"
for k in 'User=fundgate' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
         'PrivateTmp=yes' 'CapabilityBoundingSet=' 'StateDirectory=fundgate' \
         'ReadWritePaths=/var/lib/fundgate' 'SystemCallFilter=@system-service'; do
    grep -qx "$k" "$unit" || fail "unit lacks $k"
done
grep -E '@[A-Z_]+@' "$unit" && fail "unit has an unsubstituted @VAR@"
grep -q '^u fundgate ' "$d/usr/lib/sysusers.d/fundgate.conf" || fail "sysusers entry"
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze verify --man=no "$unit" 2>&1 | grep -v 'fundgate.*not found\|/usr/bin/fundgate' |
        grep -i 'error\|unknown' && fail "systemd-analyze verify complained"
fi
# The configuration is accepted by the binary (help exits 0 only after the file was read).
"$d/usr/bin/fundgate" serve --config "$d/etc/fundgate/fundgate.json" --help >/dev/null ||
    fail "the installed configuration is refused"
# A second install keeps an edited configuration.
echo '{"listen":"127.0.0.1:9999"}' > "$d/etc/fundgate/fundgate.json"
DESTDIR="$stage/usr" cmake --install "$build" --prefix /usr >/dev/null
grep -q 9999 "$d/etc/fundgate/fundgate.json" || fail "reinstall replaced the configuration"
[ -e "$d/etc/fundgate/fundgate.json.example" ] || fail "no .example beside a kept configuration"

DESTDIR="$stage/local" cmake --install "$build" --prefix /usr/local >/dev/null
[ -e "$stage/local/usr/local/etc/fundgate/fundgate.json" ] || fail "PREFIX/etc for /usr/local"
grep -qx 'ExecStart=/usr/local/bin/fundgate serve --config /usr/local/etc/fundgate/fundgate.json' \
    "$stage/local/usr/local/lib/systemd/system/fundgate.service" || fail "ExecStart under /usr/local"
echo "install layout: ok"
