# One image for the worker, the API and a cell's agent (`node --import tsx agent.ts --cell <id>`);
# docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false
COPY tsconfig.json worker.ts agent.ts ./
COPY src ./src
COPY scripts/bundle-workflows.ts ./scripts/
# The workflow bundle is built with the image: the worker then runs no webpack of its own.
RUN node --import tsx scripts/bundle-workflows.ts dist/workflows.js
ENV NODE_ENV=production CELLSHIFT_DATA_DIR=/data CELLSHIFT_WORKFLOW_BUNDLE=/app/dist/workflows.js
VOLUME /data
CMD ["node", "--max-semi-space-size=8", "--import", "tsx", "worker.ts"]
