import path from 'node:path';
import { categoryCounts, isGraderError, summarize, type RunResult } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import type { RunTests } from '../schemas/actions.ts';
import type { RunTestsObs } from '../schemas/observations.ts';
import { truncateText } from '../sandbox/capture.ts';
import { resolveWorkspacePath } from '../workspace/resolve.ts';
import { type ActionContext, obsError } from './context.ts';

const MAX_FAILURES = 100;
const MAX_SUITE_ERRORS = 30;

function cleanMessage(raw: string, root: string, max: number): string {
  let text = raw.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
  text = text.split(`${root}${path.sep}`).join('').split(root).join('.');
  const lines = text.trim().split('\n').slice(0, 15).join('\n');
  return truncateText(lines, max).text;
}

/** Test files that failed to load: jest reports them with no assertions, so their tests never show up by id. */
function suiteErrors(run: RunResult, root: string, redact: (s: string) => string): Array<{ file: string; message: string }> {
  const files = (run.rawJestJson as { testResults?: Array<{ name?: string; status?: string; message?: string; failureMessage?: string; assertionResults?: unknown[] }> } | undefined)?.testResults ?? [];
  return files
    .filter((f) => (f.assertionResults?.length ?? 0) === 0 && f.status === 'failed')
    .map((f) => ({
      file: path.relative(root, f.name ?? '?').split(path.sep).join('/'),
      message: redact(cleanMessage(f.failureMessage || f.message || 'the test file failed to run', root, 1500)),
    }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** The agent's own run of its workspace's tests (its edits to tests included): diagnostics only. */
export async function runTestsAction(ctx: ActionContext, action: RunTests): Promise<RunTestsObs> {
  const files: string[] = [];
  for (const f of action.files ?? []) {
    const r = await resolveWorkspacePath(ctx.roots, f);
    if (r.shared) throw new EnvError('ENV_ERR_PATH_OUTSIDE_WORKSPACE', `path ${JSON.stringify(f)} is under node_modules; test files live in the workspace`);
    files.push(r.rel);
  }
  let run: RunResult;
  try {
    run = await ctx.grading.runTests({
      workspace: ctx.roots.root,
      uid: ctx.uid,
      env: ctx.env,
      mounts: ctx.mounts,
      signal: ctx.signal,
      ...(action.category ? { category: action.category } : {}),
      ...(files.length > 0 ? { files } : {}),
      ...(action.testNamePattern !== undefined ? { testNamePattern: action.testNamePattern } : {}),
    });
  } catch (err) {
    if (isGraderError(err) && (err.code === 'GRADER_ERR_INVALID_OPTION' || err.code === 'GRADER_ERR_FILE_NOT_FOUND')) {
      return { type: 'run_tests', ok: false, error: obsError('invalid_option', err.message) };
    }
    throw err;
  }
  if (run.infraError) {
    // The servers answered (checked first), so jest not starting is the workspace's doing (a broken config, say).
    return { type: 'run_tests', ok: false, error: obsError('tests_did_not_run', ctx.redact(cleanMessage(run.infraError.message, ctx.roots.root, 4000))) };
  }
  const failing = run.results.tests.filter((t) => t.status !== 'passed' && t.status !== 'skipped');
  const failures = failing.slice(0, MAX_FAILURES).map((t) => ({
    id: t.id,
    status: t.status,
    ...(t.message !== undefined ? { message: ctx.redact(t.message) } : {}),
  }));
  const errors = suiteErrors(run, ctx.roots.root, ctx.redact);
  return {
    type: 'run_tests',
    ok: true,
    counts: summarize(run.results),
    categories: Object.fromEntries(Object.entries(categoryCounts(run.results)).filter(([, c]) => c.total > 0)),
    failures,
    suiteErrors: errors.slice(0, MAX_SUITE_ERRORS),
    truncated: failing.length > MAX_FAILURES || errors.length > MAX_SUITE_ERRORS,
    timedOut: run.timedOut,
  };
}
