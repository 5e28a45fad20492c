# syntax=docker/dockerfile:1
# shutter's image engine as a container (`Engine=Fargate`, infra/fargate-engine.ts): the same
# `shutter serve` as `npm start`, on Node 22 (the Lambda runtime's major), with production
# dependencies only, as a non-root user. sharp brings its own libvips in its @img/ packages.
# Built by the pipeline (CDK DockerImageAsset); test/infra/container-image.test.ts lints this
# file with hadolint and serves images from a production install the way the last stage does.
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

# 1. Build: esbuild bundles the CLI (packages stay external) and the operator console.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# 2. Production dependencies only, from the lockfile.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: root owns the files, `node` (uid 1000) runs them and writes only to /tmp.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SHUTTER_DATA_DIR=/tmp/shutter \
    SHUTTER_SEED_SAMPLES=No
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/package.json ./
COPY --from=build /src/dist ./dist
COPY --from=build /src/console/dist ./console/dist
# The official image's `node` user, by number so any runtime can check it is not root.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# As the CLI's shebang runs it (bin/shutter.ts): glibc arenas, its mmap threshold (large pixel buffers
# go back to the OS when freed) and V8's young generation sized on purpose. jemalloc (Debian's
# libjemalloc2 by LD_PRELOAD, as sharp's docs suggest) was measured and not adopted: no lower than
# glibc so tuned, and only with its decay shortened (bench/README.md, "session 5").
ENV MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=1048576
CMD ["node", "--disable-warning=ExperimentalWarning", "--max-semi-space-size=1", "--enable-source-maps", "dist/shutter.mjs", "serve"]
