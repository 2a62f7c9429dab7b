#!/usr/bin/env bash
# npm run test:native-stress [-- SECONDS]
# 1. Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into native/sanitize/build
#    (native/build/Release/hnsw_native.node is left alone) and runs stress.js under it for
#    SECONDS (default 20) of concurrent work, plus its sequential and hostile-file phases.
# 2. Builds tsan_stress.cc (the engine without Node) with ThreadSanitizer and runs it for
#    SECONDS / 2.
# Any sanitizer report fails the script, as do a wrong answer and an unexpected error.
# Needs g++ with its sanitizer runtimes (Debian's g++ ships libasan, libubsan, libtsan), python3,
# make.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# `npm run` puts npm's node-gyp on PATH (and npm's config, such as nodedir, in the environment);
# called directly, use npm's copy with npm's config.
if ! command -v node-gyp >/dev/null; then
  export npm_config_nodedir="${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null | grep -v '^undefined$' || true)}"
  node-gyp() { node "$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js" "$@"; }
fi
seconds="${1:-20}"

libasan="$(g++ -print-file-name=libasan.so)"
if [[ ! -e "$libasan" ]]; then
  echo "libasan.so not found (install g++ with its sanitizer runtimes, e.g. apt-get install g++)" >&2
  exit 1
fi

echo "building the addon with -fsanitize=address,undefined in $here/build ..."
node-gyp rebuild --directory "$here" --jobs "$(nproc)" >"$here/build.log" 2>&1 || { cat "$here/build.log" >&2; exit 1; }

log="$here/stress.log"
echo "running stress.js for ${seconds}s of concurrent work (log: $log) ..."
set +e
LD_PRELOAD="$libasan" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$here/ubsan.supp" \
  UV_THREADPOOL_SIZE=8 \
  node "$here/stress.js" "$here/build/Release/hnsw_native.node" "$seconds" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if grep -qE "ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$log"; then
  echo "sanitizer report found (see $log)" >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "stress.js failed with status $status (see $log)" >&2
  exit "$status"
fi
echo "building tsan_stress with -fsanitize=thread ..."
hnswlib="$(node -p "require('path').join(require('path').dirname(require.resolve('hnswlib-node/package.json', { paths: ['$here'] })), 'src', 'hnswlib')")"
g++ -std=c++17 -O1 -g -fsanitize=thread -I "$here/../src" -I "$hnswlib" \
  "$here/tsan_stress.cc" "$here/../src/engine.cc" "$here/../src/index_file.cc" "$here/../src/ip_space.cc" -o "$here/build/tsan_stress" -pthread 2>"$here/tsan-build.log" ||
  { cat "$here/tsan-build.log" >&2; exit 1; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Without ASLR: TSan's shadow layout does not fit every kernel's randomised mappings.
norandom=()
if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null; then norandom=(setarch "$(uname -m)" -R); fi
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$here/tsan.supp" \
  "${norandom[@]}" "$here/build/tsan_stress" "$(( (seconds + 1) / 2 ))" "$scratch"
echo "native stress: clean"
