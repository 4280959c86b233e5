# syntax=docker/dockerfile:1
#
# The Strata server image: `docker build -t strata .` in a checkout, then
#   docker run -p 9000:9000 -e STRATA_ROOT_USER=admin -e STRATA_ROOT_PASSWORD=change-me-please strata
# One volume per drive (/data1 ... /data4: one erasure set, 2 data + 2 parity). The image builds
# for the platform it runs on (linux/amd64, or linux/arm64 for Graviton:
# `docker buildx build --platform linux/arm64 ...`): the native addons (lmdb, @ronomon/reed-solomon,
# @node-rs/*, msgpackr-extract, our own native/aead) are installed in the build stage, which has the same base image as
# the runtime stage, so their binaries match its glibc and Node ABI.
# test/deploy/manifests.test.ts checks this file against the server (ports, variables, paths).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# @ronomon/reed-solomon and native/aead compile with node-gyp; the headers (OpenSSL's too) come
# with the Node.js in the image (npm_config_nodedir), so the build downloads none and matches the
# runtime's Node exactly.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app
# Dependencies first, so a source change reuses this layer. --ignore-scripts skips the root
# package's `prepare` (the build, which needs the sources); `npm rebuild` then runs the
# dependencies' own install scripts (the native addons), and `build:native` compiles our own
# native/aead (node-gyp; the root `prepare` does the same on a plain `npm ci`).
COPY package.json package-lock.json ./
# native/aead is a local dependency (file:native/aead): its sources come before npm ci.
COPY native ./native
RUN npm ci --ignore-scripts && npm rebuild && npm run build:native
# The sources: .dockerignore lets in only what the build needs (no tests, data, dist or
# node_modules from the checkout).
COPY . .
# Build dist/, then drop the devDependencies (the compiled addons stay in place).
RUN npm run build \
  && rm -f dist/.tsbuildinfo \
  && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    STRATA_ADDRESS=:9000 \
    STRATA_DRIVES=/data{1...4}
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
# node_modules/strata-native-aead links here (the compiled binding is in native/aead/build).
COPY --from=build /app/native ./native
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY deploy/docker/healthcheck.mjs ./deploy/docker/healthcheck.mjs
# The drive directories belong to the runtime user (uid 1000, `node` in the base image), so
# fresh volumes mounted there are writable; on Kubernetes, fsGroup does the same for PVCs.
RUN mkdir -p /data1 /data2 /data3 /data4 && chown 1000:1000 /data1 /data2 /data3 /data4
USER 1000:1000
VOLUME ["/data1", "/data2", "/data3", "/data4"]
EXPOSE 9000
# No curl in the slim image: a Node script GETs /strata/health/live on the port of STRATA_ADDRESS
# (HTTPS when STRATA_CERTS_DIR holds a certificate). start-period covers opening the drives.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs"]
# SIGTERM stops the server gracefully (in-flight requests finish, STRATA_SHUTDOWN_TIMEOUT_SECONDS);
# give `docker stop` a longer --time than that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/strata.js"]
CMD ["server"]
