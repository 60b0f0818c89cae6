#!/usr/bin/env bash
# The whole test run (`npm test`): type-check the TypeScript packages, test the grader and the
# environment, then prove the target: the all-fixed tree passes its whole suite, and the seeded
# bugs still verify (quick mode) against the manifest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/infra.sh
echo "== typecheck"; npm run -s typecheck
echo "== gym tests (grader, environment)"; npm run -s test:gym
echo "== target suite, all bugs fixed"; bash scripts/test-target-fixed.sh
