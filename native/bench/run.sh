#!/usr/bin/env bash
# Performance of the addon, as same-run ratios (the box may be shared):
#   bash native/bench/run.sh [N] [DIMS]        (defaults: 100000 512)
# 1. build: N clustered Gaussian unit vectors, M 16, efConstruction 200, with our insert on 1 and
#    2 threads and with python3-hnswlib (apt-get install python3-hnswlib) on 1 and 2 threads;
# 2. search: the addon at BASELINE (default: the commit before the engine rewrite) against this
#    one, on the same file: ANN ef 64, exact over 1% of the labels, ANN with a 10% bitset.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# `npm run` puts npm's node-gyp on PATH (and npm's config, such as nodedir, in the environment);
# called directly, use npm's copy with npm's config.
if ! command -v node-gyp >/dev/null; then
  export npm_config_nodedir="${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null | grep -v '^undefined$' || true)}"
  node-gyp() { node "$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js" "$@"; }
fi
root="$(cd "$here/../.." && pwd)"
n="${1:-100000}"
dims="${2:-512}"
baseline="${BASELINE:-560dae1^}"
work="$here/.work"
rm -rf "$work/old-addon" && mkdir -p "$work/old-addon"

echo "== uptime before: $(uptime)"
echo "== baseline addon from $(git -C "$root" rev-parse --short "$baseline")"
git -C "$root" archive "$baseline" native/src native/binding.gyp | tar -x -C "$work/old-addon" --strip-components=1
node-gyp rebuild --directory "$work/old-addon" >"$work/old-addon.log" 2>&1 || { cat "$work/old-addon.log" >&2; exit 1; }

node "$here/build.js" data "$work/vectors.f32" "$n" "$dims"
for threads in 1 2; do
  node "$here/build.js" ours "$work/vectors.f32" "$n" "$dims" "$threads" "$work/ours-$threads.hnsw"
  /usr/bin/python3 "$here/build.py" "$work/vectors.f32" "$n" "$dims" "$threads"
done
node "$here/search.js" "$work/old-addon/build/Release/hnsw_native.node" "$root/native/build/Release/hnsw_native.node" "$work/ours-1.hnsw" "$dims"
echo "== uptime after: $(uptime)"
