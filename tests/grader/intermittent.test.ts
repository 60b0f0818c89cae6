import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compare, judgeVariant } from '../../grader/src/verify.ts';
import type { Results } from '../../grader/src/types.ts';

// Intermittent failToPass tests (docs/bug-validity.md): a race bug fails them on some runs only.
// The bug's tree may pass them; a wrong fix is never "caught" by them alone.

const STEADY = 'unit/buffer.test.js › writes in flight › events pushed during a write go into the next';
const RACY = 'system/pipeline/counts.test.js › counts › each tenant reads what it sent';
const OTHER = 'unit/other.test.js › other › still passes';

function results(failed: string[]): Results {
  return { tests: [STEADY, RACY, OTHER].map((id) => ({ id, status: failed.includes(id) ? 'failed' : 'passed' })) } as Results;
}

const bugBase = { step: 'bug', label: 'only R5 present' } as const;
const wrongBase = { step: 'wrong-fix', label: 'R5 with wrong fix', patch: 'wrong-fixes/R5-1.patch' } as const;

describe('intermittent failToPass tests', () => {
  test('the bug\'s tree may pass an intermittent test, never a steady one', () => {
    const shouldFail = new Set([STEADY, RACY]);
    const mayPass = new Set([RACY]);
    assert.equal(compare(bugBase, results([STEADY]), shouldFail, false, mayPass).ok, true);
    assert.equal(compare(bugBase, results([STEADY, RACY]), shouldFail, false, mayPass).ok, true);
    const steadyPassed = compare(bugBase, results([RACY]), shouldFail, false, mayPass);
    assert.equal(steadyPassed.ok, false);
    assert.deepEqual(steadyPassed.unexpectedPasses, [STEADY]);
    // without the field, the same run is an unexpected pass
    assert.deepEqual(compare(bugBase, results([STEADY]), shouldFail).unexpectedPasses, [RACY]);
  });

  test('a wrong fix failing only an intermittent test is not caught; a steady failure or a regression catches it', () => {
    const ftp = [STEADY, RACY];
    const racy = new Set([RACY]);
    const onlyRacy = judgeVariant(wrongBase, 'wrong-fix', ftp, results([RACY]), false, racy);
    assert.equal(onlyRacy.ok, false);
    assert.match(onlyRacy.detail ?? '', /^caught only by intermittent test\(s\)/);
    assert.equal(judgeVariant(wrongBase, 'wrong-fix', ftp, results([STEADY]), false, racy).ok, true);
    assert.equal(judgeVariant(wrongBase, 'wrong-fix', ftp, results([RACY, OTHER]), false, racy).ok, true);
    // a fix must still make intermittent tests pass: an alternative failing one is rejected
    assert.equal(judgeVariant({ ...wrongBase, step: 'alternative' }, 'alternative', ftp, results([RACY]), false, racy).ok, false);
  });
});
