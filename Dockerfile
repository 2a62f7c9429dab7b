# syntax=docker/dockerfile:1
# creator-match: the gRPC service (default) and the index builder, in one image.
#   docker build -t creator-match .
#   docker run --rm -p 50051:50051 -p 9464:9464 -v cm-indexes:/var/lib/creator-match/indexes \
#     -e MATCH_AUTO_BUILD_SAMPLE=true creator-match
# The build stages run as a script in CI (scripts/docker-build-steps.ts, test/deploy/dockerfile.test.ts).
# Keep RUN commands relative to WORKDIR: that script replays them in a temporary directory.

ARG NODE_IMAGE=node:20-bookworm

# ---- deps: all dependencies (hnswlib-node and native/ compile here: the full image has python3, make, g++)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# onnxruntime-node's install script would download CUDA binaries; the CPU ones ship in the package.
# (.npmrc says the same; npm may drop that project setting in a future major.)
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
# npm ci's install script compiles the native HNSW addon (native/, node-gyp) next to hnswlib-node.
COPY native ./native
RUN npm ci --no-audit --no-fund

# ---- build: compile TypeScript, convert the default model (baked in: no download at runtime),
#      then drop devDependencies
FROM deps AS build
COPY tsconfig.json ./
COPY proto ./proto
COPY data ./data
COPY src ./src
COPY index-builder ./index-builder
COPY tools ./tools
COPY scripts ./scripts
COPY bench ./bench
RUN npm run build
RUN node dist/tools/model/cli.js --models-dir models
RUN npm prune --omit=dev --no-audit --no-fund

# ---- runtime: slim, non-root, tini as PID 1
FROM ${NODE_IMAGE}-slim AS runtime
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
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/native/build/Release/hnsw_native.node ./native/build/Release/hnsw_native.node
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
COPY --from=build /app/data ./data
COPY --from=build /app/models ./models
RUN mkdir -p /var/lib/creator-match/indexes && chown node:node /var/lib/creator-match/indexes
USER node
VOLUME ["/var/lib/creator-match/indexes"]
EXPOSE 50051 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "dist/scripts/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]
