# syntax=docker/dockerfile:1
# creator-match: the gRPC service (default) and the index builder, in one image.
#   docker build -t creator-match .
#   docker run --rm -p 50051:50051 -p 9464:9464 -v cm-indexes:/var/lib/creator-match/indexes creator-match
# On first run an empty index volume is seeded with the sample index built into the image
# (scripts/container/entrypoint.sh; MATCH_SEED_SAMPLE_INDEX=false turns that off).
# Behind a TLS-inspecting proxy, give npm its CA:  --secret id=extra_ca,src=/path/to/ca.pem
# CI builds this file for real with podman (scripts/container/build-and-check.sh) on a local
# Debian base (--build-arg BASE_IMAGE=...), and replays it without an engine in
# test/deploy/dockerfile.test.ts (scripts/docker-build-steps.ts): keep RUN commands relative to WORKDIR.

# Any Debian-based image with Node.js in /usr/local (bin/node, include/node) and a user 1000.
ARG BASE_IMAGE=node:24-bookworm-slim

# ---- deps: all dependencies; hnswlib-node and native/ compile here
FROM ${BASE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# onnxruntime-node's install script would download CUDA binaries; the CPU ones ship in the package.
# (.npmrc says the same; npm may drop that project setting in a future major.)
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
# npm ci's install script compiles the native HNSW addon (native/, node-gyp) next to hnswlib-node.
COPY native ./native
# node-gyp builds against the headers of the Node.js that runs it (npm_config_nodedir: <prefix>/include/node),
# never downloading them. The optional secret extra_ca adds CA certificates for npm's registry connection.
RUN --mount=type=secret,id=extra_ca \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi \
 && export npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}" \
 && npm ci --no-audit --no-fund

# ---- build: compile TypeScript, convert the default model (baked in: no download at runtime),
#      build the sample index (seeded into an empty volume on first run), drop what runtime does not use
FROM deps AS build
# The whole context: .dockerignore decides what is in it (tests, docs, deploy and local state are not).
COPY . .
RUN npm run build
# The workbench page (served only when MATCH_UI_ADDR is set); vite is a dev dependency, so before the prune.
RUN npm run web:build
RUN node dist/tools/model/cli.js --models-dir models
RUN node dist/index-builder/cli.js --input data/sample-creators.jsonl --out sample-index --no-progress
RUN npm prune --omit=dev --no-audit --no-fund \
 && node dist/scripts/container/slim-runtime.js > /dev/null

# ---- runtime: slim, non-root, tini as PID 1
FROM ${BASE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.* \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    MATCH_GRPC_ADDR=0.0.0.0:50051 \
    MATCH_METRICS_ADDR=0.0.0.0:9464 \
    MATCH_INDEX_DIR=/var/lib/creator-match/indexes \
    MATCH_AUTO_BUILD_SAMPLE=false \
    MATCH_MODELS_DIR=/app/models
WORKDIR /app
# Dependencies first: they change less often than the app.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/native/build/Release/hnsw_native.node ./native/build/Release/hnsw_native.node
COPY --from=build /app/proto ./proto
COPY --from=build /app/data ./data
COPY --from=build /app/models ./models
COPY --from=build /app/sample-index ./sample-index
COPY --from=build /app/scripts/container/entrypoint.sh ./scripts/container/entrypoint.sh
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
# dist/scripts/example-client.js loads ../proto (from dist/): the same files.
COPY --from=build /app/proto ./dist/proto
RUN mkdir -p /var/lib/creator-match/indexes && chown 1000:1000 /var/lib/creator-match/indexes
USER 1000:1000
VOLUME ["/var/lib/creator-match/indexes"]
EXPOSE 50051 9464
# Speaks TLS when MATCH_TLS_CERT_FILE is set (scripts/healthcheck.ts). podman needs --format docker to keep it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "dist/scripts/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/scripts/container/entrypoint.sh"]
CMD ["node", "dist/src/main.js"]
# Last, so that a new revision or date does not invalidate the layers above.
ARG BASE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="creator-match" \
      org.opencontainers.image.description="Creator-fan matching gRPC service: transformer embeddings + HNSW" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
