# PayGov's one image. Every role runs from it and only the argument changes:
#   docker run … paygov api|worker|jobs|sandbox|all   (see workers/run.ts)
# docker-compose.yml builds it and starts one container per role.
#
# Why tsx at run time: PayGov runs its TypeScript as written, with no compile step, and Node's own
# type stripping cannot load the .tsx pages (JSX). So the image needs tsx, which is a devDependency.
# `npm ci --omit=dev` leaves it out, and the full install would add ~300 MB of tools to the ~400 MB of
# production dependencies (TypeScript, Biome, Vitest, a second Node binary from the `node` package).
# So the image takes the production install and adds only tsx and its one dependency, esbuild (with
# its binary for this platform, ~12 MB together), at the lockfile's versions, copied from the build
# stage's full install.

# Keep in step with the `node` devDependency in package.json (what dev and CI run).
ARG NODE_VERSION=24.21.0

# --- build: the full install, to prebuild the Temporal workflow bundle ----------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: nothing the bundle needs has to run an install script, and skipping them keeps
# this stage to what the lockfile pins (the `node` package's preinstall would fetch a Node binary).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# Bundling once here means the worker starts without webpack and every container of a release runs
# exactly the same workflow code.
RUN node node_modules/tsx/dist/cli.mjs scripts/build-workflow-bundle.ts dist/workflow-bundle.js

# --- production dependencies, install scripts included (as `make install` runs them) --------------
FROM node:${NODE_VERSION}-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime --------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# PAYGOV_WORKFLOW_BUNDLE: the prebuilt bundle, which workers/temporal-worker.ts loads instead of
# bundling at start. PAYGOV_LISTEN_HOST: a container is reached through its own network interface,
# never through its loopback, where PayGov listens by default.
ENV NODE_ENV=production \
    PAYGOV_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    PAYGOV_LISTEN_HOST=0.0.0.0 \
    PORT=3000 \
    PAYGOV_SANDBOX_PORT=3001
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/node_modules/tsx ./node_modules/tsx
COPY --from=build /app/node_modules/esbuild ./node_modules/esbuild
COPY --from=build /app/node_modules/@esbuild ./node_modules/@esbuild
COPY --from=build /app/dist ./dist
# The sources (.dockerignore keeps out tests, local state and secrets). tsconfig.json matters at run
# time: tsx reads its JSX settings (hono/jsx) from it.
COPY . .
# Owned by root and read-only to the app: the process writes nothing but tsx's cache in /tmp.
USER node
EXPOSE 3000 3001
# One process, no npm or tsx CLI wrapper in between, so SIGTERM reaches workers/run.ts, which drains
# the Temporal worker and pg-boss before exiting.
ENTRYPOINT ["node", "--import", "tsx", "workers/run.ts"]
CMD ["all"]
