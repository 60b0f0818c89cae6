'use strict';

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../..');
const JEST = require.resolve('jest/bin/jest', { paths: [ROOT] });

function config({ tripwire }) {
  return JSON.stringify({
    rootDir: ROOT,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/tests/support/fixtures/tampering/tamper.check.js'],
    setupFilesAfterEnv: tripwire ? ['<rootDir>/tests/support/jest.setup.js'] : [],
  });
}

/** Runs the tampering fixture (a wrong assertion) in a child jest: its exit status and output. */
function runFixture(tamper, { tripwire = true } = {}) {
  const res = spawnSync(process.execPath, [JEST, '--config', config({ tripwire }), '--ci', '--runInBand'], {
    cwd: ROOT,
    env: { ...process.env, TAMPER: tamper },
    encoding: 'utf8',
  });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

describe('runner integrity tripwire', () => {
  test('with an untouched runner the wrong assertion fails on its own, not by the tripwire', () => {
    const { status, output } = runFixture('none');
    expect(output).toContain('Expected: 3');
    expect(output).not.toContain('the test runner was modified');
    expect(status).toBe(1);
  });

  test.each(['matcher', 'expect', 'intrinsic'])('without the tripwire, a replaced %s makes the wrong assertion pass', (tamper) => {
    const { status, output } = runFixture(tamper, { tripwire: false });
    expect(output).toMatch(/1 passed/);
    expect(status).toBe(0);
  });

  test.each([
    ['a replaced matcher', 'matcher', 'matcher toBe'],
    ['a replaced expect', 'expect', 'global expect'],
    ['a replaced intrinsic', 'intrinsic', 'Object.is'],
  ])('%s fails the test that ran it', (_, tamper, named) => {
    const { status, output } = runFixture(tamper);
    expect(output).toContain('the test runner was modified');
    expect(output).toContain(named);
    expect(status).toBe(1);
  });
});
