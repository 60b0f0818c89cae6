import { rm } from 'node:fs/promises';
import path from 'node:path';
import { GraderError } from '../errors.ts';
import type { BugEntry, Manifest } from '../manifest.ts';
import { materialize } from '../materialize.ts';
import { runSuite } from '../run-suite.ts';
import { filesForBug, type DiscoverSelection } from './selection.ts';
import type { DiscoveredBug, DiscoverOptions } from './types.ts';

export interface DiscoverCtx {
  opts: DiscoverOptions;
  targetDir: string;
  manifestPath: string;
  fixesDir: string;
  manifest: Manifest;
  nodeModules: string;
  inventory: string[];
  tmp: string;
  repeat: number;
  /** The all-fixed tree's dependency map, to run only the files a bug can affect; none = whole suite. */
  selection?: DiscoverSelection;
  /** Numbered progress: `track(label, fn)` reports start and end. */
  track: <T>(label: string, fn: () => Promise<{ value: T; ok: boolean; detail?: string }>) => Promise<T>;
}

export function sorted(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort();
}

/** The not-passed list of each of k runs (the affected files, or the whole suite) of the tree with only this bug present. */
async function runOnly(ctx: DiscoverCtx, bug: BugEntry, dir: string): Promise<{ runs: string[][]; timedOut: boolean }> {
  const { opts } = ctx;
  const runs: string[][] = [];
  let timedOut = false;
  const files = await filesForBug(ctx, bug, dir);
  const scope = files ? `${files.length} affected test file(s)` : 'whole suite';
  for (let run = 1; run <= ctx.repeat; run += 1) {
    const label = `only ${bug.id} present: ${scope} (run ${run}/${ctx.repeat})`;
    await ctx.track(label, async () => {
      const result = await runSuite({
        dir, expected: ctx.inventory,
        ...(files ? { files } : {}),
        ...(opts.runner ? { runner: opts.runner } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      });
      if (result.infraError) {
        // a run on a broken machine says nothing about the bug: stop, write nothing
        throw new GraderError('GRADER_ERR_INFRA', `${label}: ${result.infraError.message}`, { details: result.infraError });
      }
      if (result.timedOut) timedOut = true;
      const notPassed = sorted(result.results.tests.filter((t) => t.status !== 'passed').map((t) => t.id));
      runs.push(notPassed);
      return { value: undefined, ok: !result.timedOut && notPassed.length > 0, detail: `${notPassed.length} not passed${result.timedOut ? ', the suite timed out' : ''}` };
    });
  }
  return { runs, timedOut };
}

/** F(bug): the tests that fail with only this bug present, k runs that must agree. */
export async function discoverOne(ctx: DiscoverCtx, bug: BugEntry, seq: number): Promise<DiscoveredBug> {
  const dir = path.join(ctx.tmp, `${String(seq).padStart(4, '0')}-only-${bug.id}`);
  await materialize({ bugs: [bug.id], out: dir, targetDir: ctx.targetDir, manifestPath: ctx.manifestPath, fixesDir: ctx.fixesDir, manifest: ctx.manifest, linkNodeModules: ctx.nodeModules });
  const { runs, timedOut } = await runOnly(ctx, bug, dir);
  await rm(dir, { recursive: true, force: true });

  // intermittent tests (docs/bug-validity.md) stay listed whether or not this run's race hit them
  const racy = bug.intermittent ?? [];
  const first = sorted([...(runs[0] ?? []), ...racy]);
  const unstable = sorted(runs.flat()).filter((id) => !racy.includes(id) && !runs.every((r) => r.includes(id)));
  const previous = [...bug.failToPass];
  const problems: string[] = [];
  if (timedOut) problems.push('the suite timed out: the list is incomplete');
  if (unstable.length > 0) problems.push(`${unstable.length} test(s) failed in some runs only: ${unstable.join('; ')}`);
  if (first.length === 0) problems.push('no test fails with this bug present: it is not caught');
  return {
    id: bug.id,
    failToPass: first,
    previous,
    added: first.filter((id) => !previous.includes(id)),
    removed: previous.filter((id) => !first.includes(id)),
    stable: unstable.length === 0,
    unstable,
    timedOut,
    ok: problems.length === 0,
    written: false,
    problems,
  };
}
