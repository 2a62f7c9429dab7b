#!/usr/bin/env bash
# npm run test:native-stress [-- SECONDS]
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into native/sanitize/build
# (native/build/Release/hnsw_native.node is left alone), then runs stress.js under it. Any
# sanitizer report aborts the run; the script fails on it, on a wrong answer or on an
# unexpected error. Needs g++ (with libasan/libubsan, as Debian's g++ ships them), python3, make.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
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
echo "native stress: clean"
