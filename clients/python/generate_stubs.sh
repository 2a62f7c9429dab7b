#!/usr/bin/env bash
# Generates the Python gRPC stubs of proto/ into creator_match_client/_generated/ with Debian's
# packages (the pip grpcio-tools bundles protoc 3.5, which rejects proto3 `optional`):
#   apt-get install protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf
# Usage: clients/python/generate_stubs.sh [OUT_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$here/creator_match_client/_generated}"
plugin="${GRPC_PYTHON_PLUGIN:-/usr/bin/grpc_python_plugin}"
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
[ -x "$plugin" ] || { echo "$plugin not found: apt-get install protobuf-compiler-grpc" >&2; exit 1; }
mkdir -p "$out"
protoc -I"$root/proto" --python_out="$out" --grpc_python_out="$out" --plugin=protoc-gen-grpc_python="$plugin" \
  creatormatch/v1/creator_match.proto creatormatch/v1/index_admin.proto
touch "$out/__init__.py"
echo "$out"
