FROM node:20-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap git postgresql-client redis-tools \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /gym
COPY package.json package-lock.json ./
COPY grader/package.json grader/
COPY environment/package.json environment/
COPY target/package.json target/package-lock.json target/
RUN npm ci --no-audit --no-fund
COPY . .
