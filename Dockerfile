# syntax=docker/dockerfile:1
# One image for every Switchyard service. ENTRYPOINT is the `switchyard` command:
#   docker build -t switchyard .
#   docker run -p 8080:8080 -v sy-data:/data -v ~/.cache/switchyard/models:/models:ro switchyard
#   docker run ... switchyard start --target=gateway     # one service, production backends
#   docker run ... switchyard migrate --target=admin     # the migration Job
# The stages named after a service (gateway, llm-router, ...) are the same image with that
# service as the default command, for `--target=<service>` builds and docker-compose.yml.
# BASE: any Node 24 image with npm and a shell. CI builds on a base made locally by
# deploy/image/base.sh (no registry reachable there); see README "Container image".
ARG BASE=docker.io/library/node:24.21.0-bookworm-slim

FROM ${BASE} AS deps
# Lets a builder find and prune the superseded images of this Dockerfile.
LABEL switchyard.image=build
ARG PNPM_VERSION=12.4.2
# Behind a TLS-intercepting proxy: the proxy's CA bundle, mounted or copied into this stage
# (`--build-arg NODE_EXTRA_CA_CERTS=/path`); only the build stage sees it.
ARG NODE_EXTRA_CA_CERTS
ENV CI=true
RUN --mount=type=cache,id=switchyard-npm,target=/root/.npm \
    npm install --global --no-audit --no-fund "pnpm@${PNPM_VERSION}"
WORKDIR /src
COPY . .
# Production dependencies of the `switchyard` command and the workspace packages it loads. Not
# `pnpm deploy`: it copies workspace packages into node_modules, where Node refuses to strip
# TypeScript types, and these packages ship their .ts sources. Install scripts run here
# (node-llama-cpp picks its prebuilt binary, the runtime makes its PGlite template), so nothing
# writes under /app at run time. The caches keep the package store, the registry metadata and
# that template (about a minute of CPU to make) across builds; none ends up in a layer. Type
# declarations, source maps and docs are half the files of node_modules and unused at run time:
# fewer files, faster layers.
RUN --mount=type=cache,id=switchyard-pnpm,target=/pnpm/store \
    --mount=type=cache,id=switchyard-pnpm-metadata,target=/root/.cache/pnpm \
    --mount=type=cache,id=switchyard-pglite-template,target=/pglite-template \
    mkdir -p packages/runtime/node_modules/.cache/switchyard \
 && cp -a /pglite-template/. packages/runtime/node_modules/.cache/switchyard/ \
 && pnpm install --store-dir=/pnpm/store --frozen-lockfile --prod --filter '@switchyard/switchyard...' \
 && cp -a packages/runtime/node_modules/.cache/switchyard/. /pglite-template/ \
 && find packages services -name '*.test.ts' -delete \
 && rm -rf packages/testing packages/test-backends \
 && find node_modules/.pnpm \( -name '*.d.ts' -o -name '*.d.[cm]ts' -o -name '*.map' -o -name '*.md' \) -delete

FROM ${BASE} AS runtime
LABEL switchyard.image=runtime
# The image's files belong to root and are read-only to the service's user; everything it
# writes goes to /data (PGlite, the Kafka outbox, the first start's credentials) and /tmp.
ENV NODE_ENV=production \
    SWITCHYARD_DATA_DIR=/data \
    SWITCHYARD_HOST=0.0.0.0 \
    SWITCHYARD_PORT=8080 \
    HOME=/data \
    LLM_ROUTER_LOCAL_MODEL=/models/smollm2-135m-instruct-q4_1.gguf \
    LLM_ROUTER_LOCAL_EMBEDDING_MODEL=/models/all-minilm-l6-v2-q8_0.gguf
WORKDIR /app
COPY --from=deps /src /app
COPY deploy/image/healthcheck.js /app/healthcheck.js
RUN mkdir -p /data /models && chown 10001:10001 /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "/app/packages/switchyard/src/bin.ts"]
CMD ["start"]

FROM runtime AS gateway
CMD ["start", "--target=gateway"]

FROM runtime AS llm-router
CMD ["start", "--target=llm-router"]

FROM runtime AS chat
CMD ["start", "--target=chat"]

FROM runtime AS rag
CMD ["start", "--target=rag"]

FROM runtime AS rag-worker
CMD ["start", "--target=rag-worker"]

FROM runtime AS admin
CMD ["start", "--target=admin"]

# The migration Job: every service's migrations on the PostgreSQL in DATABASE_URL.
FROM runtime AS migrate
CMD ["migrate", "--target=admin"]

# Last, so a build without --target makes the one-process image.
FROM runtime AS all
