#!/usr/bin/env bash
# Checks the three servers DataNexus needs (PostgreSQL, Redis, RabbitMQ) on their local ports,
# starts any that is installed but down, and fails naming what is missing. Also makes sure the
# bubblewrap sandbox the environment uses by default is present.
#
# Configuration comes from the same URLs the target reads:
#   DATABASE_URL  (default postgres://postgres@127.0.0.1:5432/postgres)
#   REDIS_URL     (default redis://127.0.0.1:6379)
#   AMQP_URL      (default amqp://guest:guest@127.0.0.1:5672)
set -euo pipefail

PG_HOST=127.0.0.1 PG_PORT=5432 REDIS_PORT=6379 AMQP_PORT=5672
missing=()

say() { printf '[infra] %s\n' "$*"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # name, check command, seconds
  local name=$1 check=$2 limit=$3 i
  for ((i = 0; i < limit * 4; i++)); do
    if eval "$check" >/dev/null 2>&1; then say "$name is up"; return 0; fi
    sleep 0.25
  done
  say "$name did not come up within ${limit}s"; return 1
}

# --- PostgreSQL ---------------------------------------------------------------------------
pg_ok() { pg_isready -h "$PG_HOST" -p "$PG_PORT" -q; }
if command -v pg_isready >/dev/null && pg_ok; then
  say "PostgreSQL answers on $PG_PORT"
elif command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  say "PostgreSQL is down: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  wait_for PostgreSQL pg_ok 60 || missing+=("PostgreSQL (installed but would not start)")
else
  missing+=("PostgreSQL (apt-get install postgresql)")
fi

# --- Redis --------------------------------------------------------------------------------
redis_ok() { redis-cli -p "$REDIS_PORT" ping | grep -q PONG; }
if command -v redis-cli >/dev/null && redis_ok; then
  say "Redis answers on $REDIS_PORT"
elif command -v redis-server >/dev/null; then
  say "Redis is down: starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_ok 30 || missing+=("Redis (installed but would not start)")
else
  missing+=("Redis (apt-get install redis-server)")
fi

# --- RabbitMQ -----------------------------------------------------------------------------
amqp_ok() { port_open "$AMQP_PORT"; }
if amqp_ok; then
  say "RabbitMQ answers on $AMQP_PORT"
elif command -v rabbitmq-server >/dev/null; then
  say "RabbitMQ is down: starting it"
  rabbitmq-server -detached || true
  wait_for RabbitMQ amqp_ok 120 || missing+=("RabbitMQ (installed but would not start)")
else
  missing+=("RabbitMQ (apt-get install rabbitmq-server)")
fi

# Per-test and per-episode isolation uses one RabbitMQ vhost each, created through the management API.
mgmt_ok() { port_open 15672; }
if [ ${#missing[@]} -eq 0 ] && ! mgmt_ok; then
  say "enabling the RabbitMQ management API (vhost per test namespace)"
  rabbitmq-plugins enable rabbitmq_management >/dev/null || true
  wait_for "RabbitMQ management API" mgmt_ok 60 || missing+=("RabbitMQ management plugin (rabbitmq-plugins enable rabbitmq_management)")
fi

# --- bubblewrap (default sandbox of the environment) ----------------------------------------
if ! command -v bwrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "bubblewrap missing: installing it"
    (apt-get install -y -qq bubblewrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq bubblewrap; }) \
      || missing+=("bubblewrap (apt-get install bubblewrap)")
  else
    missing+=("bubblewrap (apt-get install bubblewrap)")
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  say "cannot continue; missing:"
  for m in "${missing[@]}"; do say "  - $m"; done
  exit 1
fi
say "all services ready"
