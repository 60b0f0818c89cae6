import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CATEGORY_WEIGHTS, gradeRun, infraErrorGrade, score, validateManifest, type BugEntry, type Manifest, type Results } from '../../grader/src/index.ts';
import { results, tests } from './helpers.ts';

const EMPTY: Manifest = { version: 1, bugs: [] };

function bug(id: string, failToPass: string[], extra: Partial<BugEntry> = {}): BugEntry {
  return {
    id, title: `bug ${id}`, class: ({ N: 'numeric', R: 'races', X: 'security', B: 'business' } as const)[id[0] as 'N'],
    service: 'shared', files: ['shared/x.js'], fix: `fixes/${id}.patch`, fixSha256: 'a'.repeat(64),
    failToPass, dependsOn: [], scenario: null, bonus: true, symptom: 'Something visibly goes wrong.', status: 'active', ...extra,
  };
}

const id = (cat: string, i: number, prefix = 'f'): string => `${cat}/${prefix}.test.js › t${String(i).padStart(6, '0')}`;

describe('base reward bands (weighted pass rate p)', () => {
  // Each limit just below and exactly at: 10 000 unit tests give p to four decimals.
  const cases: Array<[number, number]> = [
    [999, 0], [1000, 0.05],
    [2499, 0.05], [2500, 0.12],
    [3999, 0.12], [4000, 0.22],
    [5499, 0.22], [5500, 0.38],
    [6999, 0.38], [7000, 0.55],
    [8499, 0.55], [8500, 0.78],
    [9999, 0.78],
  ];
  for (const [passed, base] of cases) {
    test(`p = ${(passed / 10000).toFixed(4)} → base ${base}`, () => {
      const g = score(results(tests('unit', passed, 10000)), { manifest: EMPTY });
      assert.equal(g.weightedPassRate, passed / 10000);
      assert.equal(g.base, base);
      assert.equal(g.reward, base);
      assert.equal(g.categoryBonus, 0);
    });
  }

  test('p = 0 → 0', () => {
    assert.equal(score(results(tests('unit', 0, 5)), { manifest: EMPTY }).reward, 0);
  });

  test('every test passed → 1.00 (+ its category), one missing → the 0.78 band', () => {
    const all = score(results(tests('unit', 10000, 10000)), { manifest: EMPTY });
    assert.equal(all.base, 1);
    assert.equal(all.reward, 1.03);
    assert.equal(all.outcome, 'resolved');
    const oneMissing = score(results(tests('unit', 9999, 10000, 'missing')), { manifest: EMPTY });
    assert.equal(oneMissing.base, 0.78);
    assert.equal(oneMissing.categoryBonus, 0);
    assert.equal(oneMissing.reward, 0.78);
    assert.equal(oneMissing.outcome, 'unresolved');
  });

  test('the limits hold exactly for weighted rates too (chaos 3.0 vs security 2.5)', () => {
    // 2 security passed (2 × 2.5 = 5) and 15 chaos failed (15 × 3 = 45): p = 5 / 50 = 0.10 exactly
    const at = score(results(tests('security', 2, 2), tests('chaos', 0, 15)), { manifest: EMPTY });
    assert.equal(at.weightedPassRate, 0.1);
    assert.equal(at.base, 0.05);
    const below = score(results(tests('security', 2, 2), tests('chaos', 0, 15), tests('unit', 0, 1)), { manifest: EMPTY });
    assert.ok(below.weightedPassRate < 0.1);
    assert.equal(below.base, 0);
  });

  test('skipped, missing and error count as not passed', () => {
    for (const status of ['skipped', 'missing', 'error', 'failed'] as const) {
      const g = score(results(tests('unit', 1, 2, status)), { manifest: EMPTY });
      assert.equal(g.weightedPassRate, 0.5, status);
      assert.equal(g.categories.unit.passed, 1);
    }
  });

  test('no tests at all: nothing passed, reward 0, unresolved', () => {
    const g = score({ tests: [] }, { manifest: EMPTY });
    assert.equal(g.reward, 0);
    assert.equal(g.weightedPassRate, 0);
    assert.equal(g.outcome, 'unresolved');
  });
});

describe('weighted pass rate', () => {
  test('uses the category weights, not the plain share of tests', () => {
    // 10 unit passed, 10 chaos failed: unweighted 0.5 (0.22), weighted 10 / (10 + 30) = 0.25 (0.12)
    const g = score(results(tests('unit', 10, 10), tests('chaos', 0, 10)), { manifest: EMPTY });
    assert.equal(g.weightedPassRate, 0.25);
    assert.equal(g.base, 0.12);
    assert.equal(g.categoryBonus, 0.03);
    assert.equal(g.reward, 0.15);
  });

  test('weights are the ones docs/design.md states', () => {
    assert.deepEqual(CATEGORY_WEIGHTS, { unit: 1, integration: 1.5, contract: 2, chaos: 3, security: 2.5, performance: 2, system: 3, stress: 1 });
  });

  test('every category contributes its weight', () => {
    const g = score(results(
      tests('unit', 1, 1), tests('integration', 1, 1), tests('contract', 1, 1), tests('chaos', 0, 1),
      tests('security', 1, 1), tests('performance', 0, 1), tests('system', 1, 1), tests('stress', 0, 1),
    ), { manifest: EMPTY });
    const num = 1 + 1.5 + 2 + 2.5 + 3;
    const den = num + 3 + 2 + 1;
    assert.equal(g.weightedPassRate, Math.round((num / den) * 1e6) / 1e6);
    assert.equal(g.categoryBonus, 0.15);
    assert.deepEqual(g.categories.chaos, { passed: 0, total: 1 });
  });
});

describe('bonuses and penalty', () => {
  test('+0.03 per category whose tests all pass; categories without tests give nothing', () => {
    const g = score(results(tests('unit', 3, 3), tests('security', 2, 2), tests('contract', 1, 2)), { manifest: EMPTY });
    assert.equal(g.categoryBonus, 0.06);
  });

  test('chaos bonus +0.10 only when every chaos test passes', () => {
    const all = score(results(tests('unit', 0, 1), tests('chaos', 4, 4)), { manifest: EMPTY });
    assert.equal(all.chaosBonus, 0.1);
    assert.equal(all.categoryBonus, 0.03);
    const one = score(results(tests('unit', 0, 1), tests('chaos', 3, 4)), { manifest: EMPTY });
    assert.equal(one.chaosBonus, 0);
    const none = score(results(tests('unit', 1, 1)), { manifest: EMPTY });
    assert.equal(none.chaosBonus, 0);
  });

  const manifest: Manifest = validateManifest({
    version: 1,
    bugs: [
      bug('N1', [id('unit', 0), id('unit', 1)]),
      bug('R1', [id('unit', 2)]),
      bug('X1', [id('unit', 3)], { bonus: false }),
      bug('B1', [id('unit', 4)], { status: 'retired' }),
    ],
  });

  test('bug bonus: 0.10 × fixed / bonus bugs; a bug is fixed when all its failToPass pass', () => {
    // unit 0 passes, 1 fails → N1 not fixed; 2 passes → R1 fixed; X1 fixed but not a bonus bug
    const r: Results = { tests: [0, 1, 2, 3, 4].map((i) => ({ id: id('unit', i), category: 'unit', status: i === 1 ? 'failed' : 'passed' })) };
    const g = score(r, { manifest });
    assert.equal(g.bugBonus, 0.05);
    assert.deepEqual(g.bugsFixed, ['R1', 'X1']);
  });

  test('bug bonus counts only active bonus bugs (retired ones are out of the pool)', () => {
    const r: Results = { tests: [0, 1, 2, 3, 4].map((i) => ({ id: id('unit', i), category: 'unit', status: 'passed' as const })) };
    const g = score(r, { manifest });
    assert.equal(g.bugBonus, 0.1);
    assert.deepEqual(g.bugsFixed, ['N1', 'R1', 'X1']);
  });

  test('a failToPass test absent from the results is not passed', () => {
    const g = score({ tests: [{ id: id('unit', 2), category: 'unit', status: 'passed' }] }, { manifest });
    assert.deepEqual(g.bugsFixed, ['R1']);
  });

  test('taskBugs narrows the bonus pool; fractions are rounded to 6 decimals', () => {
    const three = validateManifest({ version: 1, bugs: [bug('N1', [id('unit', 0)]), bug('N2', [id('unit', 1)]), bug('N3', [id('unit', 2)])] });
    const r: Results = { tests: [0, 1, 2].map((i) => ({ id: id('unit', i), category: 'unit', status: i === 0 ? 'passed' : 'failed' })) };
    assert.equal(score(r, { manifest: three }).bugBonus, 0.033333);
    assert.equal(score(r, { manifest: three, taskBugs: ['N1'] }).bugBonus, 0.1);
    assert.equal(score(r, { manifest: three, taskBugs: ['N2'] }).bugBonus, 0);
    assert.throws(() => score(r, { manifest: three, taskBugs: ['N9'] }), { code: 'GRADER_ERR_UNKNOWN_BUG' });
  });

  test('efficiency +0.05 only when every test passes and steps ≤ maxSteps / 2', () => {
    const all = results(tests('unit', 4, 4));
    assert.equal(score(all, { manifest: EMPTY, steps: 50, maxSteps: 100 }).efficiencyBonus, 0.05);
    assert.equal(score(all, { manifest: EMPTY, steps: 51, maxSteps: 100 }).efficiencyBonus, 0);
    assert.equal(score(all, { manifest: EMPTY, steps: 50, maxSteps: 101 }).efficiencyBonus, 0.05);
    assert.equal(score(all, { manifest: EMPTY, steps: 51, maxSteps: 101 }).efficiencyBonus, 0);
    assert.equal(score(all, { manifest: EMPTY }).efficiencyBonus, 0, 'no step counts, no bonus');
    assert.equal(score(results(tests('unit', 3, 4)), { manifest: EMPTY, steps: 1, maxSteps: 100 }).efficiencyBonus, 0);
    assert.equal(score(all, { manifest: EMPTY, steps: 50, maxSteps: 100 }).reward, 1.08);
    assert.throws(() => score(all, { manifest: EMPTY, steps: -1, maxSteps: 10 }), { code: 'GRADER_ERR_INVALID_OPTION' });
  });

  test('regression penalty −0.15 once, whatever the number of regressions; the reward is not clamped', () => {
    const baseline = results(tests('unit', 3, 3));
    const now = results(tests('unit', 0, 3));
    const g = score(now, { manifest: EMPTY, baseline });
    assert.equal(g.regressionPenalty, 0.15);
    assert.equal(g.reward, -0.15);
    assert.equal(g.regressions?.length, 3);
    const one = score(results(tests('unit', 2, 3)), { manifest: EMPTY, baseline });
    assert.equal(one.regressionPenalty, 0.15);
    assert.equal(one.base, 0.38);
    assert.equal(one.reward, 0.23);
  });

  test('no penalty for tests that failed at the start, nor without a baseline', () => {
    const baseline = results(tests('unit', 1, 3));
    const g = score(results(tests('unit', 1, 3)), { manifest: EMPTY, baseline });
    assert.equal(g.regressionPenalty, 0);
    assert.deepEqual(g.regressions, []);
    assert.equal(score(results(tests('unit', 0, 3)), { manifest: EMPTY }).regressionPenalty, 0);
  });

  test('a task bug\'s intermittent test that passed in the baseline is no regression when it fails; another bug\'s is', () => {
    const racy = id('system', 1);
    const r5 = bug('R5', [id('unit', 0), racy], { intermittent: [racy] });
    const other = bug('N2', [id('unit', 2)], { intermittent: undefined });
    const manifest: Manifest = { version: 1, bugs: [r5, other] };
    const baseline = results(tests('unit', 0, 1), tests('system', 2, 2));
    const now = results(tests('unit', 0, 1), [{ id: id('system', 0), category: 'system', status: 'passed' }, { id: racy, category: 'system', status: 'failed' }]);
    assert.equal(score(now, { manifest, baseline, taskBugs: ['R5'] }).regressionPenalty, 0);
    assert.deepEqual(score(now, { manifest, baseline, taskBugs: ['N2'] }).regressions, [racy]);
  });

  test('a baseline-passed test that is now absent or skipped is a regression', () => {
    const baseline = results(tests('unit', 2, 2));
    assert.equal(score(results(tests('unit', 1, 1)), { manifest: EMPTY, baseline }).regressionPenalty, 0.15);
    assert.equal(score(results(tests('unit', 1, 2, 'skipped')), { manifest: EMPTY, baseline }).regressionPenalty, 0.15);
  });

  test('everything at once adds up exactly', () => {
    const m = validateManifest({ version: 1, bugs: [bug('R1', [id('chaos', 0)])] });
    const g = score(results(tests('unit', 2, 2), tests('chaos', 2, 2)), { manifest: m, steps: 10, maxSteps: 40 });
    assert.equal(g.base, 1);
    assert.equal(g.categoryBonus, 0.06);
    assert.equal(g.chaosBonus, 0.1);
    assert.equal(g.bugBonus, 0.1);
    assert.equal(g.efficiencyBonus, 0.05);
    assert.equal(g.reward, 1.31);
    assert.equal(g.mode, 'reward');
    assert.equal(g.graderVersion, '0.1.0');
  });
});

describe('resolved mode', () => {
  const manifest = validateManifest({ version: 1, bugs: [bug('N1', [id('unit', 0)]), bug('R1', [id('unit', 1)])] });
  const r = (s0: 'passed' | 'failed', s1: 'passed' | 'failed', s2: 'passed' | 'failed' = 'passed'): Results => ({
    tests: [
      { id: id('unit', 0), category: 'unit', status: s0 },
      { id: id('unit', 1), category: 'unit', status: s1 },
      { id: id('unit', 2), category: 'unit', status: s2 },
    ],
  });

  test('1 when the task bugs\' failToPass pass and nothing regressed, even if other tests fail', () => {
    const g = score(r('passed', 'failed'), { manifest, mode: 'resolved', taskBugs: ['N1'], baseline: r('failed', 'failed') });
    assert.equal(g.reward, 1);
    assert.equal(g.resolved, true);
    assert.equal(g.outcome, 'resolved');
    assert.equal(g.mode, 'resolved');
  });

  test('0 when a failToPass test still fails', () => {
    const g = score(r('passed', 'failed'), { manifest, mode: 'resolved', taskBugs: ['N1', 'R1'] });
    assert.equal(g.reward, 0);
    assert.equal(g.outcome, 'unresolved');
  });

  test('0 when a test that passed at the start no longer passes', () => {
    const g = score(r('passed', 'failed', 'failed'), { manifest, mode: 'resolved', taskBugs: ['N1'], baseline: r('failed', 'failed', 'passed') });
    assert.equal(g.reward, 0);
    assert.equal(g.regressionPenalty, 0.15);
  });

  test('without taskBugs every active bug is the task', () => {
    assert.equal(score(r('passed', 'passed', 'failed'), { manifest, mode: 'resolved' }).reward, 1);
    assert.equal(score(r('passed', 'failed'), { manifest, mode: 'resolved' }).reward, 0);
  });
});

describe('infrastructure errors', () => {
  test('an infra error is its own outcome with no figures, never a 0', () => {
    const g = gradeRun({ results: { tests: [] }, infraError: { code: 'GRADER_ERR_INFRA', message: 'PostgreSQL unreachable' } }, { manifest: EMPTY });
    assert.equal(g.outcome, 'infra-error');
    assert.ok(Number.isNaN(g.reward));
    assert.deepEqual(g.infraError, { code: 'GRADER_ERR_INFRA', message: 'PostgreSQL unreachable' });
    const json = JSON.parse(JSON.stringify(g)) as { reward: unknown; base: unknown };
    assert.equal(json.reward, null);
    assert.equal(json.base, null);
    assert.equal(infraErrorGrade({ code: 'X', message: 'y' }, 'resolved').mode, 'resolved');
  });

  test('a run without infra error is scored normally', () => {
    const g = gradeRun({ results: results(tests('unit', 1, 1)) }, { manifest: EMPTY });
    assert.equal(g.reward, 1.03);
  });
});

describe('input checks', () => {
  test('duplicated ids are refused', () => {
    const t = tests('unit', 1, 1);
    assert.throws(() => score({ tests: [...t, ...t] }, { manifest: EMPTY }), { code: 'GRADER_ERR_RESULTS_INVALID' });
  });

  test('an unknown mode is refused', () => {
    assert.throws(() => score({ tests: [] }, { manifest: EMPTY, mode: 'x' as 'reward' }), { code: 'GRADER_ERR_INVALID_OPTION' });
  });

  test('the same input gives the same grade', () => {
    const r1 = results(tests('unit', 7, 9), tests('security', 1, 3));
    assert.deepEqual(score(r1, { manifest: EMPTY }), score(structuredClone(r1), { manifest: EMPTY }));
  });
});
