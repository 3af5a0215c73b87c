# One image for the worker, the API and a cell's agent (`node --import tsx agent.ts --cell <id>`);
# docker-compose.yml picks the command.
# Node.js 24 LTS, pinned by digest (the node:24-bookworm-slim index of 24.18.0); .nvmrc names the runtime npm run setup
# brings for development. Bump both together.
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
WORKDIR /app
COPY package.json package-lock.json .npmrc .nvmrc ./
# The image's own Node.js runs cellshift: the runtime package npm run setup uses in development is dropped.
RUN npm ci --omit=dev --ignore-scripts=false && rm -rf node_modules/node-linux-* node_modules/.bin/node
COPY tsconfig.json worker.ts agent.ts ./
COPY src ./src
COPY scripts/bundle-workflows.ts ./scripts/
# The workflow bundle is built with the image: the worker then runs no webpack of its own.
RUN node --import tsx scripts/bundle-workflows.ts dist/workflows.js
ENV NODE_ENV=production CELLSHIFT_DATA_DIR=/data CELLSHIFT_WORKFLOW_BUNDLE=/app/dist/workflows.js
VOLUME /data
CMD ["node", "--max-semi-space-size=8", "--import", "tsx", "worker.ts"]
