# One image for the worker and the API; docker-compose.yml picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false
COPY tsconfig.json worker.ts ./
COPY src ./src
ENV NODE_ENV=production CELLSHIFT_DATA_DIR=/data
VOLUME /data
CMD ["node", "--import", "tsx", "worker.ts"]
