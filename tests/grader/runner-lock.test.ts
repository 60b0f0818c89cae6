import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { REPO, TARGET_NODE_MODULES, tempDir } from './helpers.ts';

// The runner lock of the target (target/tests/support/locked-environment.js + jest.setup.js →
// lock-runner.js, lockdown.js): each attack of tests/fixtures/tamper makes the fixture's failing
// tests pass under plain jest, and passes nothing under the lock. Real child jests, in workers
// (the target's config forces them), on the fixture's three test files.

const TAMPER = path.join(REPO, 'tests', 'fixtures', 'tamper');
const SUPPORT = path.join(REPO, 'target', 'tests', 'support');
const JEST = path.join(TARGET_NODE_MODULES, 'jest', 'bin', 'jest.js');

type Statuses = string[];

let tmp: { dir: string; cleanup: () => Promise<void> };
before(async () => { tmp = await tempDir('runner-lock-'); });
after(async () => { await tmp.cleanup(); });

/** The fixture under jest, with or without the lock: every test's status, 'suite-error' for a file that did not run. */
async function runFixture(attack: string, locked: boolean, extra: { fixed?: boolean; inBand?: boolean; oneWorker?: boolean } = {}): Promise<Statuses> {
  const tag = `${attack}-${locked ? 'locked' : 'plain'}${extra.inBand ? '-inband' : ''}${extra.fixed ? '-fixed' : ''}${extra.oneWorker ? '-one' : ''}`;
  const config = {
    rootDir: TAMPER,
    testMatch: ['<rootDir>/tests/**/*.test.js'],
    testEnvironment: locked ? path.join(SUPPORT, 'locked-environment.js') : 'node',
    setupFilesAfterEnv: locked ? [path.join(SUPPORT, 'jest.setup.js')] : [],
    workerIdleMemoryLimit: '1GB',
    // one worker: both files in the same process, one after the other
    maxWorkers: extra.oneWorker ? 1 : 2,
    transform: {},
    cacheDirectory: path.join(tmp.dir, `cache-${tag}`),
  };
  const out = path.join(tmp.dir, `${tag}.json`);
  await execa('node', [JEST, '--config', JSON.stringify(config), '--ci', '--json', `--outputFile=${out}`, '--no-watchman', ...(extra.inBand ? ['--runInBand'] : [])], {
    cwd: TAMPER,
    reject: false,
    env: { DN_ATTACK: attack, DN_FIXED: extra.fixed ? '1' : '0', NODE_TEST_CONTEXT: undefined },
    extendEnv: true,
  });
  const report = JSON.parse(await readFile(out, 'utf8')) as { testResults: Array<{ assertionResults: Array<{ status: string }> }> };
  return report.testResults.flatMap((f) => (f.assertionResults.length > 0 ? f.assertionResults.map((a) => a.status) : ['suite-error'])).sort();
}

const passed = (s: Statuses): number => s.filter((x) => x === 'passed').length;

// Every attack and what it forges under plain jest (how many of the 3 failing tests it turns to passed).
const FORGES: Record<string, number> = {
  ipc: 3, pipe: 3, handler: 3, accessorGlobals: 3, accessorMatchers: 3, reflectSet: 3, proxyExpect: 3,
  arrayPush: 3, promiseThen: 1, outerIntrinsic: 3, circusState: 3, retry: 3, fsRead: 1,
};

describe('runner lock', { concurrency: 2 }, () => {
  test('control: the defect fails the 3 tests with and without the lock; the real fix passes them under the lock', async () => {
    assert.deepEqual(await runFixture('none', false), ['failed', 'failed', 'failed']);
    assert.deepEqual(await runFixture('none', true), ['failed', 'failed', 'failed']);
    assert.deepEqual(await runFixture('none', true, { fixed: true }), ['passed', 'passed', 'passed']);
    assert.deepEqual(await runFixture('none', true, { fixed: true, inBand: true }), ['passed', 'passed', 'passed']);
  });

  for (const [attack, forged] of Object.entries(FORGES)) {
    test(`${attack}: forges ${forged} pass(es) under plain jest, none under the lock`, async () => {
      const [plain, locked] = await Promise.all([runFixture(attack, false), runFixture(attack, true)]);
      assert.equal(passed(plain), forged, `plain jest: ${plain.join(', ')}`);
      assert.equal(passed(locked), 0, `locked: ${locked.join(', ')}`);
    });
  }

  test('in band (the process that writes the report): the attacks on either realm pass nothing under the lock', async () => {
    for (const attack of ['outerIntrinsic', 'arrayPush', 'handler', 'circusState']) {
      assert.equal(passed(await runFixture(attack, true, { inBand: true })), 0, attack);
    }
  });

  test('vmCompile: the next files a worker compiles are neutered under plain jest (2 forged passes), not under the lock', async () => {
    const [plain, locked] = await Promise.all([runFixture('vmCompile', false, { oneWorker: true }), runFixture('vmCompile', true, { oneWorker: true })]);
    assert.equal(passed(plain), 2, plain.join(', '));
    assert.equal(passed(locked), 0, locked.join(', '));
  });

  test('fsBinding: the next test files a worker opens are swapped under plain jest (2 forged passes), not under the lock', async () => {
    const [plain, locked] = await Promise.all([runFixture('fsBinding', false, { oneWorker: true }), runFixture('fsBinding', true, { oneWorker: true })]);
    assert.equal(passed(plain), 2, plain.join(', '));
    assert.equal(passed(locked), 0, locked.join(', '));
  });

  for (const attack of ['exit', 'consoleReport']) {
    test(`${attack}: leaving the worker early or printing a forged report forges nothing, with or without the lock`, async () => {
      const [plain, locked] = await Promise.all([runFixture(attack, false), runFixture(attack, true)]);
      assert.equal(passed(plain), 0, plain.join(', '));
      assert.equal(passed(locked), 0, locked.join(', '));
    });
  }

  test('detect: branching on the runner is out of the lock\'s reach (the screen refuses it: screen.test.ts)', async () => {
    assert.equal(passed(await runFixture('detect', true)), 3);
  });
});
