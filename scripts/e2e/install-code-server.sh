#!/usr/bin/env bash
# Installs code-server (VS Code in a browser) and the browser the e2e tests drive, with no network
# access other than the npm registry and Debian apt. Idempotent: a second run only checks.
# Usage: scripts/e2e/install-code-server.sh [DIR]   (default: <repo>/.e2e/code-server, git-ignored)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${1:-$ROOT/.e2e/code-server}"
mkdir -p "$DIR" && DIR="$(cd "$DIR" && pwd)"   # absolute: TMPDIR below must survive the cd
# 4.100.3 is the last code-server on npm whose engines.node is "20" (4.103+ need node 22); it is
# VS Code 1.100.3, which is why package.json pins engines.vscode to ^1.100.0.
CS_VERSION="${CS_VERSION:-4.100.3}"
RG_PKG_VERSION="1.15.11"   # @vscode/ripgrep pinned in code-server 4.100.3's lib/vscode shrinkwrap
RG_ASSET="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
started=$(date +%s)
CS_BIN="$DIR/node_modules/.bin/code-server"

installed_version() {
  node -p "require('$DIR/node_modules/code-server/package.json').version" 2>/dev/null || true
}

# 1. System packages: native build deps of VS Code's node modules (kerberos needs the krb5 headers),
#    Debian's ripgrep (seeded below) and chromium. Installed only when something is missing.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v rg >/dev/null || missing+=(ripgrep)
command -v make >/dev/null && command -v g++ >/dev/null || missing+=(build-essential)
command -v python3 >/dev/null || missing+=(python3)
command -v pkg-config >/dev/null || missing+=(pkg-config)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-code-server: missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "install-code-server: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$(installed_version)" = "$CS_VERSION" ] && CODE_SERVER_CONFIG="$DIR/config.yaml" "$CS_BIN" --version >/dev/null 2>&1; then
  echo "install-code-server: code-server $CS_VERSION already in $DIR"
  exit 0
fi

# 2. @vscode/ripgrep's postinstall downloads rg from api.github.com (offline: 5 retries, ~30 s, then
#    the install fails). It first looks in $TMPDIR/vscode-ripgrep-cache-<version>/<asset>, so seed
#    that with Debian's rg. TMPDIR points inside DIR so nothing is left in /tmp.
export TMPDIR="$DIR/.tmp"
CACHE="$TMPDIR/vscode-ripgrep-cache-${RG_PKG_VERSION}"
mkdir -p "$CACHE"
if [ ! -s "$CACHE/$RG_ASSET" ]; then
  seed=$(mktemp -d)
  cp "$(command -v rg)" "$seed/rg"
  tar czf "$CACHE/$RG_ASSET" -C "$seed" rg
  rm -rf "$seed"
fi

# 3. npm install. code-server's postinstall refuses root unless npm_config_unsafe_perm=true (npm 11
#    warns 'Unknown cli config' but still exports it), and node-pty's post-install runs
#    `npx node-gyp configure`, which a user .npmrc with `yes=false` would cancel.
export npm_config_yes=true
cd "$DIR"
[ -f package.json ] || echo '{"name":"robustness-lens-e2e-code-server","private":true}' > package.json
npm install --no-save --no-audit --no-fund --unsafe-perm=true "code-server@${CS_VERSION}"
CODE_SERVER_CONFIG="$DIR/config.yaml" "$CS_BIN" --version
echo "install-code-server: done in $(( $(date +%s) - started )) s"
