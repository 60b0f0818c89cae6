import { GraderError } from '../errors.ts';
import type { VariantKind } from '../manifest.ts';
import { runSuite } from '../run-suite.ts';
import type { FileDeps, Results, TestResult } from '../types.ts';
import { listShort } from './context.ts';
import type { CheckBase, Ctx, VerifyCheck } from './types.ts';

/** One suite run of a tree; an infrastructure error stops the verification (it proves nothing either way). */
export async function runTree(ctx: Ctx, label: string, dir: string, files?: string[], recordDeps = false): Promise<{ results: Results; timedOut: boolean; deps?: Record<string, FileDeps> }> {
  const run = await runSuite({
    dir,
    ...(recordDeps ? { recordDeps: true } : {}),
    expected: ctx.inventory,
    ...(files ? { files } : {}),
    ...(ctx.opts.runner ? { runner: ctx.opts.runner } : {}),
    ...(ctx.opts.env ? { env: ctx.opts.env } : {}),
    ...(ctx.opts.timeoutMs ? { timeoutMs: ctx.opts.timeoutMs } : {}),
  });
  if (run.infraError) {
    throw new GraderError('GRADER_ERR_INFRA', `${label}: ${run.infraError.message}`, { details: run.infraError });
  }
  return { results: run.results, timedOut: run.timedOut, ...(run.deps ? { deps: run.deps } : {}) };
}

/**
 * One suite run of a tree whose not-passed set must be exactly `shouldFail`, except that tests in
 * `mayPass` (intermittent ones, a subset of `shouldFail`) may pass.
 */
export async function suiteCheck(ctx: Ctx, base: CheckBase, dir: string, shouldFail: ReadonlySet<string>, files?: string[], onDeps?: (deps: Record<string, FileDeps> | undefined) => Promise<void>, mayPass: ReadonlySet<string> = new Set()): Promise<VerifyCheck> {
  const { results, timedOut, deps } = await runTree(ctx, base.label, dir, files, onDeps !== undefined);
  const check = compare(base, results, shouldFail, timedOut, mayPass);
  // dependencies are kept only from a run that passed: a map is what every selection relies on,
  // a validation's reads matter only when it is recorded
  if (onDeps && check.ok) await onDeps(deps);
  return check;
}

function described(t: TestResult): string {
  return t.message ? `${t.id} [${t.status}: ${t.message.split('\n')[0]}]` : `${t.id} [${t.status}]`;
}

export function compare(base: CheckBase, results: Results, shouldFail: ReadonlySet<string>, timedOut = false, mayPass: ReadonlySet<string> = new Set()): VerifyCheck {
  const notPassed = results.tests.filter((t) => t.status !== 'passed');
  const unexpectedFailures = notPassed.filter((t) => !shouldFail.has(t.id)).map(described);
  const failedIds = new Set(notPassed.map((t) => t.id));
  const unexpectedPasses = [...shouldFail].filter((id) => !failedIds.has(id) && !mayPass.has(id)).sort();
  const ok = unexpectedFailures.length === 0 && unexpectedPasses.length === 0 && !timedOut;
  const parts: string[] = [];
  if (timedOut) parts.push('the suite timed out');
  if (unexpectedFailures.length > 0) parts.push(`${unexpectedFailures.length} unexpected failure(s): ${listShort(unexpectedFailures)}`);
  if (unexpectedPasses.length > 0) parts.push(`${unexpectedPasses.length} failToPass test(s) passed: ${listShort(unexpectedPasses)}`);
  return {
    ...base,
    ok,
    ...(parts.length > 0 ? { detail: parts.join(' | ') } : {}),
    ...(unexpectedFailures.length > 0 ? { unexpectedFailures } : {}),
    ...(unexpectedPasses.length > 0 ? { unexpectedPasses } : {}),
  };
}

/**
 * Judges one run of a tree with an alternative or a wrong fix in place of the gold fix.
 * Alternative: ok when every failToPass test passed and nothing else failed (every test passes in
 * the all-fixed tree, so any other failure is a regression). Wrong fix: ok (caught) when a failToPass
 * test failed or another test broke. A timed-out run is inconclusive and ok for neither: a hang
 * under load must not pass an alternative or count as catching a wrong fix.
 */
export function judgeVariant(base: CheckBase, kind: VariantKind, failToPass: readonly string[], results: Results, timedOut: boolean, intermittent: ReadonlySet<string> = new Set()): VerifyCheck {
  const ftp = new Set(failToPass);
  const notPassed = results.tests.filter((t) => t.status !== 'passed');
  const failing = notPassed.filter((t) => ftp.has(t.id));
  // an intermittent test's failure may be the race's, not the wrong fix's: it catches nothing alone
  const catching = failing.filter((t) => !intermittent.has(t.id));
  const regressions = notPassed.filter((t) => !ftp.has(t.id));
  const lists = {
    ...(failing.length > 0 ? { failingFailToPass: failing.map((t) => t.id) } : {}),
    ...(regressions.length > 0 ? { regressions: regressions.map((t) => t.id) } : {}),
  };
  const parts: string[] = [];
  if (failing.length > 0) parts.push(`${failing.length} failToPass test(s) failed: ${listShort(failing.map(described))}`);
  if (regressions.length > 0) parts.push(`${regressions.length} regression(s): ${listShort(regressions.map(described))}`);
  if (timedOut) return { ...base, ok: false, ...lists, detail: ['the suite timed out: inconclusive', ...parts].join(' | ') };
  if (kind === 'alternative') {
    const ok = parts.length === 0;
    return { ...base, ok, ...lists, ...(ok ? {} : { detail: `the tests reject this correct alternative: ${parts.join(' | ')}` }) };
  }
  if (catching.length > 0 || regressions.length > 0) return { ...base, ok: true, ...lists, detail: `caught: ${parts.join(' | ')}` };
  if (failing.length > 0) return { ...base, ok: false, ...lists, detail: `caught only by intermittent test(s), which fail on some runs with the bug present too: ${parts.join(' | ')}` };
  return { ...base, ok: false, detail: `the tests accept this wrong fix: all ${failToPass.length} failToPass test(s) passed (${listShort([...failToPass].sort())}) and nothing else failed` };
}
