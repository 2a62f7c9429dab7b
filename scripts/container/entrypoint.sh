#!/bin/sh
# The image's entry point (under tini): on the first run of the service, an empty index directory
# is seeded with the sample index built into the image (/app/sample-index: the bundled sample
# catalog, data/sample-creators.jsonl, embedded with the default model), so that
#   docker run -p 50051:50051 -v cm-indexes:/var/lib/creator-match/indexes creator-match
# serves at once. Then it runs the command (CMD: node dist/src/main.js).
# Seeding happens only when the command is the service, MATCH_INDEX_DIR has no CURRENT, the
# directory is writable and MATCH_SEED_SAMPLE_INDEX is not false. A read-only index volume (the
# Kubernetes Deployment) or an index that a builder has published is never touched.
set -eu

log() {
  # One JSON line on stdout, like the service's own logs (pino).
  printf '{"level":%s,"time":"%s","service":"creator-match","component":"entrypoint","msg":"%s"%s}\n' "$1" "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$2" "${3:-}"
}

seed() {
  dir="${MATCH_INDEX_DIR:-/var/lib/creator-match/indexes}"
  sample="${MATCH_SAMPLE_INDEX_DIR:-/app/sample-index}"
  case "${MATCH_SEED_SAMPLE_INDEX:-true}" in false | 0 | no) return 0 ;; esac
  [ -z "${MATCH_VARIANTS_FILE:-}" ] || return 0 # A/B variants name their own index dirs
  [ ! -s "$dir/CURRENT" ] || return 0
  [ -s "$sample/CURRENT" ] || return 0
  version="$(cat "$sample/CURRENT")"
  if ! mkdir -p "$dir" 2>/dev/null || [ ! -w "$dir" ]; then
    log 40 "index directory has no CURRENT and is not writable: not seeding the sample index" ",\"indexDir\":\"$dir\""
    return 0
  fi
  # The version first (under a temporary name, then renamed), CURRENT last and atomically: a
  # watcher never sees a CURRENT that points at a half-copied version.
  tmp="$dir/.seed-$$"
  rm -rf "$tmp"
  cp -R "$sample/$version" "$tmp"
  rm -rf "${dir:?}/$version"
  mv "$tmp" "$dir/$version"
  echo "$version" > "$dir/.CURRENT.seed-$$"
  mv "$dir/.CURRENT.seed-$$" "$dir/CURRENT"
  log 30 "seeded the empty index directory with the sample index" ",\"indexDir\":\"$dir\",\"version\":\"$version\""
}

case " $* " in
  *" dist/src/main.js "*) seed ;;
esac
exec "$@"
