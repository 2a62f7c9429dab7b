#!/usr/bin/env bash
# npm run test:native-fuzz [-- SECONDS]
# Fuzzes the index file reader (load_fuzzer.cc) with libFuzzer + ASan + UBSan for SECONDS
# (default 60), starting from small valid files. Needs clang and its runtimes; on Debian they are
# installed when missing (apt-get install clang libclang-rt-dev, or libclang-rt-14-dev).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-60}"
hnswlib="$(node -p "require('path').join(require('path').dirname(require.resolve('hnswlib-node/package.json', { paths: ['$root'] })), 'src', 'hnswlib')")"

if ! command -v clang++ >/dev/null || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, long) { return 0; }' |
    clang++ -x c++ -fsanitize=fuzzer - -o /dev/null 2>/dev/null; then
  echo "installing clang and libFuzzer ..."
  if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq clang libclang-rt-dev >/dev/null 2>&1 || $sudo apt-get install -y -qq clang "libclang-rt-$(clang --version | sed -n 's/.*version \([0-9]*\).*/\1/p')-dev" >/dev/null
fi

build="$here/build"
mkdir -p "$build/corpus" "$build/findings"
clang++ -std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
  -I "$root/native/src" -I "$hnswlib" \
  "$here/load_fuzzer.cc" "$root/native/src/engine.cc" "$root/native/src/index_file.cc" "$root/native/src/ip_space.cc" -o "$build/load_fuzzer" -pthread
if [[ ! -e "$root/native/build/Release/hnsw_native.node" ]]; then
  echo "the release addon (npm run build:native) is needed to write the seed files" >&2
  exit 1
fi
node "$here/seeds.js" "$build/corpus"
echo "fuzzing the reader for ${seconds}s ..."
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/native/sanitize/ubsan.supp" \
  "$build/load_fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
  -artifact_prefix="$build/findings/" -print_final_stats=1 "$build/corpus" 2>&1 | tail -25
echo "native fuzz: clean (corpus in $build/corpus)"
