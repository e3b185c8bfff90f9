#!/usr/bin/env bash
# Installs the pinned npm tools of `make test` (tools/npm/package-lock.json: the OpenAPI linter
# @redocly/cli and playwright-core, which drives Debian's chromium) into DIR/npm, once: a stamp
# remembers the lockfile installed, so a second run costs nothing. Needs Node.js >= 20.19.
# Usage: scripts/npm-tools.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/npm-tools.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/../tools/npm" && pwd)
dest="$dir/npm"
stamp="$dest/node_modules/.fundgate-stamp"
if [ -f "$stamp" ] && cmp -s "$stamp" "$src/package-lock.json"; then
    exit 0
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "npm-tools: node and npm are needed (Node.js >= 20.19)" >&2
    exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; then
    echo "npm-tools: Node.js $(node --version) is too old; @redocly/cli needs >= 20.19" >&2
    exit 1
fi
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
echo "npm-tools: installing $(node -e 'const p=require(process.argv[1]);console.log(Object.entries(p.devDependencies).map(e=>e.join("@")).join(" "))' "$src/package.json") into $dest" >&2
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >&2)
cp "$src/package-lock.json" "$stamp"
