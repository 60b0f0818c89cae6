#!/usr/bin/env bash
# The whole test run (`npm test`): type-check the TypeScript packages, test the grader and the
# environment, then prove the target against its manifest with a quick verification: every fix
# applies alone and together, the all-fixed tree passes its whole suite, each seeded bug alone fails
# exactly its failToPass tests, and the shipped target fails exactly their union. A dry run: the manifest keeps its last full validation record.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/infra.sh --tests
# Podman for the container backend's tests, where it is installed (a fresh machine without it still
# runs everything else; those tests then skip and say why). With podman installed they must run:
# a set-up that failed fails them, with containers.sh's list of what it could not do above.
bash scripts/containers.sh --if-installed || true
if command -v podman >/dev/null; then export DN_REQUIRE_CONTAINERS=1; fi
step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
# Namespaces that killed runs left on the servers (test files older than an hour, dead servers').
step "sweep abandoned test namespaces"; node target/tests/support/sweep-namespaces.js
step "typecheck"; npm run -s typecheck
step "gym tests: grader and environment"; npm run -s test:gym
step "python client (unittest, real server on the fixture)"; (cd clients/python && python3 -m unittest discover -s tests -t .)
# --reuse: a bug whose recorded validation was made on exactly this tree, patches and list keeps it
# (docs/bug-validity.md, "Reusing a validation"), the all-fixed runs likewise (all-fixed.json); the
# shipped tree always runs whole.
step "target: quick verification of the bug manifest"; node grader/bin/datanexus-grader.js verify --quick --dry-run --reuse
