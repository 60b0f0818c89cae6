#!/usr/bin/env bash
# The suites service of docker-compose.test.yml: waits until the servers answer (not every compose
# client honours depends_on conditions), then runs the suites. DN_COMPOSE_SUITES overrides what
# runs (e.g. "node grader/bin/datanexus-grader.js run target --category unit").
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[suites] %s\n' "$*"; }
hostport() { local u=${1#*://}; u=${u#*@}; u=${u%%/*}; echo "${u%%:*} ${u##*:}"; }
for url in "$DN_PG_ADMIN_URL" "$DN_REDIS_URL" "$DN_AMQP_URL" "$DN_RABBIT_MANAGEMENT_URL"; do
  read -r host port < <(hostport "$url")
  for ((i = 0; i < 240; i++)); do (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && break; sleep 0.5; done
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null || { say "$host:$port does not answer"; exit 1; }
  say "$host:$port answers"
done
# RabbitMQ opens its ports before the management API serves requests
for ((i = 0; i < 120; i++)); do node -e "fetch(process.argv[1].replace(/\/\/[^@]*@/, '//') + '/api/overview', { headers: { authorization: 'Basic ' + btoa('guest:guest') } }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$DN_RABBIT_MANAGEMENT_URL" && break; sleep 1; done
cmd=${DN_COMPOSE_SUITES:-node grader/bin/datanexus-grader.js verify --quick --dry-run}
say "running: $cmd"
exec bash -c "$cmd"
