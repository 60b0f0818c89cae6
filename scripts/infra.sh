#!/usr/bin/env bash
# Checks the three servers DataNexus needs (PostgreSQL, Redis, RabbitMQ) on their local ports,
# starts any that is installed but down, and fails naming what is missing. Also makes sure the
# bubblewrap sandbox the environment uses by default is present.
#
# Configuration comes from the same URLs the target's test harness reads
# (target/tests/support/infra-urls.js):
#   DN_PG_ADMIN_URL           (default postgres://postgres@127.0.0.1:5432/postgres)
#   DN_REDIS_URL              (default redis://127.0.0.1:6379)
#   DN_AMQP_URL               (default amqp://guest:guest@127.0.0.1:5672)
#   DN_RABBIT_MANAGEMENT_URL  (default http://guest:guest@127.0.0.1:15672)
# A server on another host (docker compose) is only checked, never started.
set -euo pipefail
# --tests: also prepare what only the tests need (chromium for the leaderboard's browser test).
for_tests=0
[ "${1:-}" = --tests ] && for_tests=1

host_of() { local u=${1#*://}; u=${u#*@}; u=${u%%/*}; echo "${u%%:*}"; }
port_of() { local u=${1#*://}; u=${u#*@}; u=${u%%/*}; [[ $u == *:* ]] && echo "${u##*:}" || echo "$2"; }
PG_URL=${DN_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL_=${DN_REDIS_URL:-redis://127.0.0.1:6379}
AMQP_URL_=${DN_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
MGMT_URL=${DN_RABBIT_MANAGEMENT_URL:-http://guest:guest@127.0.0.1:15672}
PG_HOST=$(host_of "$PG_URL") PG_PORT=$(port_of "$PG_URL" 5432)
REDIS_HOST=$(host_of "$REDIS_URL_") REDIS_PORT=$(port_of "$REDIS_URL_" 6379)
AMQP_HOST=$(host_of "$AMQP_URL_") AMQP_PORT=$(port_of "$AMQP_URL_" 5672)
MGMT_HOST=$(host_of "$MGMT_URL") MGMT_PORT=$(port_of "$MGMT_URL" 15672)
is_local() { [[ $1 == 127.* || $1 == localhost || $1 == "[::1]" ]]; }
missing=()

say() { printf '[infra] %s\n' "$*"; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() { # name, check command, seconds
  local name=$1 check=$2 limit=$3 i
  for ((i = 0; i < limit * 4; i++)); do
    if eval "$check" >/dev/null 2>&1; then say "$name is up"; return 0; fi
    sleep 0.25
  done
  say "$name did not come up within ${limit}s"; return 1
}

# --- PostgreSQL ---------------------------------------------------------------------------
pg_ok() { port_open "$PG_HOST" "$PG_PORT" && { ! command -v pg_isready >/dev/null || pg_isready -h "$PG_HOST" -p "$PG_PORT" -q; }; }
if pg_ok; then
  say "PostgreSQL answers on $PG_PORT"
elif is_local "$PG_HOST" && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  say "PostgreSQL is down: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  wait_for PostgreSQL pg_ok 60 || missing+=("PostgreSQL (installed but would not start)")
else
  missing+=("PostgreSQL (apt-get install postgresql)")
fi

# Test namespaces create and drop databases all the time; with fsync on, every DROP DATABASE forces
# a synced checkpoint (measured here: 1.5 s per drop, 0.6 s per create; 0.16 s / 0.3 s without).
# These servers hold throwaway test data only, so durability is traded for speed on a local
# server. DN_PG_FAST=0 leaves the server's settings alone.
if [ ${#missing[@]} -eq 0 ] && [ "${DN_PG_FAST:-1}" != 0 ] && is_local "$PG_HOST" && command -v psql >/dev/null; then
  if [ "$(psql "$PG_URL" -Atc 'show fsync' 2>/dev/null)" = on ]; then
    say "PostgreSQL: turning fsync, synchronous_commit and full_page_writes off (throwaway test data; DN_PG_FAST=0 to keep them)"
    psql "$PG_URL" -q -c "ALTER SYSTEM SET fsync = off" -c "ALTER SYSTEM SET synchronous_commit = off" \
      -c "ALTER SYSTEM SET full_page_writes = off" -c "SELECT pg_reload_conf()" >/dev/null || true
  fi
fi

# --- Redis --------------------------------------------------------------------------------
redis_ok() { port_open "$REDIS_HOST" "$REDIS_PORT" && { ! command -v redis-cli >/dev/null || redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping | grep -q PONG; }; }
if redis_ok; then
  say "Redis answers on $REDIS_PORT"
elif is_local "$REDIS_HOST" && command -v redis-server >/dev/null; then
  say "Redis is down: starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_ok 30 || missing+=("Redis (installed but would not start)")
else
  missing+=("Redis (apt-get install redis-server)")
fi

# --- RabbitMQ -----------------------------------------------------------------------------
amqp_ok() { port_open "$AMQP_HOST" "$AMQP_PORT"; }
if amqp_ok; then
  say "RabbitMQ answers on $AMQP_PORT"
elif is_local "$AMQP_HOST" && command -v rabbitmq-server >/dev/null; then
  say "RabbitMQ is down: starting it"
  rabbitmq-server -detached || true
  wait_for RabbitMQ amqp_ok 120 || missing+=("RabbitMQ (installed but would not start)")
else
  missing+=("RabbitMQ (apt-get install rabbitmq-server)")
fi

# Per-test and per-episode isolation uses one RabbitMQ vhost each, created through the management API.
mgmt_ok() { port_open "$MGMT_HOST" "$MGMT_PORT"; }
if [ ${#missing[@]} -eq 0 ] && ! mgmt_ok && is_local "$MGMT_HOST"; then
  say "enabling the RabbitMQ management API (vhost per test namespace)"
  rabbitmq-plugins enable rabbitmq_management >/dev/null || true
  wait_for "RabbitMQ management API" mgmt_ok 60 || missing+=("RabbitMQ management plugin (rabbitmq-plugins enable rabbitmq_management)")
elif ! mgmt_ok; then
  missing+=("RabbitMQ management API at $MGMT_HOST:$MGMT_PORT")
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

# --- cgroup joins (every sandboxed run joins cgroups of its own) ------------------------------
# Moving a process into a cgroup takes a lock that, by default, waits for an RCU grace period
# before every move: about 4 ms of each sandboxed run's median and 11 ms of its p90 on this
# project's machine (docs/isolation.md). The kernel's favordynmods flag trades that for slightly
# dearer forks and exits. Set only as root, only where a cgroup2 mount takes it (Linux 6.0+);
# DN_CGROUP_FAST=0 leaves the mount alone. It lasts until the next reboot.
cgroup2_mount=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts 2>/dev/null || true)
if [ "${DN_CGROUP_FAST:-1}" != 0 ] && [ "$(id -u)" = 0 ] && [ -n "$cgroup2_mount" ] \
   && ! awk -v m="$cgroup2_mount" '$2 == m' /proc/mounts | grep -q favordynmods; then
  if mount -o remount,favordynmods "$cgroup2_mount" 2>/dev/null; then
    say "cgroup2 at $cgroup2_mount remounted with favordynmods (fast per-run cgroup joins)"
  else
    say "note: could not set favordynmods on $cgroup2_mount (an older kernel?): sandboxed runs start a few ms slower"
  fi
fi

# --- chromium (the leaderboard report's browser test; the server does not need it) ------------
if [ $for_tests = 1 ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "chromium missing: installing it (for the leaderboard browser test)"
    (apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }) \
      || say "WARNING: could not install chromium (apt-get install chromium): tests/leaderboard/browser.test.ts will fail"
  else
    say "WARNING: chromium missing (apt-get install chromium): tests/leaderboard/browser.test.ts will fail"
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  say "cannot continue; missing:"
  for m in "${missing[@]}"; do say "  - $m"; done
  exit 1
fi
say "all services ready"
