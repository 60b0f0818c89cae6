// Two complete runs of the target's suite started at the same time must not interfere: every test
// file works in its own namespace (databases, Redis prefix, RabbitMQ vhost), and so does every
// episode. This runs the whole all-fixed suite twice concurrently against the same servers and
// requires both runs to pass every expected test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { materialize, runSuite, testInventory } from '../../grader/src/index.ts';
import { REPO, TARGET_NODE_MODULES, tempDir } from '../grader/helpers.ts';

test('two complete runs of the all-fixed target suite at the same time both pass everything', async () => {
  const { dir, cleanup } = await tempDir('parallel-runs-');
  try {
    const tree = path.join(dir, 'target');
    await materialize({ bugs: 'none', out: tree, linkNodeModules: TARGET_NODE_MODULES });
    const expected = await testInventory({ targetDir: path.join(REPO, 'target') });
    // One jest worker each: two runs on a two-core machine, not four workers fighting for two cores.
    const env = { ...(process.env as Record<string, string>), JEST_MAX_WORKERS: '1' };
    const [a, b] = await Promise.all([runSuite({ dir: tree, expected, env }), runSuite({ dir: tree, expected, env })]);
    for (const [name, run] of [['first', a], ['second', b]] as const) {
      assert.equal(run.infraError, undefined, `${name} run: infrastructure error ${JSON.stringify(run.infraError)}`);
      const notPassed = run.results.tests.filter((t) => t.status !== 'passed');
      assert.deepEqual(notPassed.map((t) => `${t.id}: ${t.status} ${t.message ?? ''}`.slice(0, 300)), [], `${name} run`);
      assert.equal(run.results.tests.length, expected.length, `${name} run reported every expected test`);
    }
  } finally {
    await cleanup();
  }
});
