#!/usr/bin/env bash
# The slower check of docker-compose.test.yml (minutes; not part of npm test): brings the stack up
# with podman-compose (or `podman compose`), runs the suites service to its end, tears the stack
# down, and exits with the suites' status.
set -uo pipefail
cd "$(dirname "$0")/.."
say() { printf '[compose-check] %s\n' "$*"; }
if command -v podman-compose >/dev/null; then compose=(podman-compose)
elif podman compose version >/dev/null 2>&1; then compose=(podman compose)
else say "neither podman-compose nor 'podman compose' is installed (apt-get install podman-compose)"; exit 1; fi
project=dn-compose-check-$$
file=docker-compose.test.yml
started=$(date +%s)
down() {
  "${compose[@]}" -p "$project" -f "$file" down >/dev/null 2>&1
  # podman-compose 1.0 leaves the project's network behind
  podman network rm -f "${project}_default" >/dev/null 2>&1 || true
}
trap 'down; exit 130' INT TERM
"${compose[@]}" -p "$project" -f "$file" up --abort-on-container-exit --exit-code-from suites
status=$?
down
say "suites exited $status after $(( $(date +%s) - started ))s"
exit $status
