import type { ProgressFn } from '../progress.ts';
import type { CommandRunner } from '../types.ts';
import { renderReport, verify, type VerifyReport } from '../verify.ts';
import { type CommandOutcome, type CommonOptions, parseBugList, preflightFor, resolveOpt } from './shared.ts';

export interface VerifyCommandOptions extends CommonOptions {
  /** Comma-separated ids; default every active bug. */
  bugs?: string;
  /** Also check the shipped tree after a --bugs subset. */
  shipped?: boolean;
  repeat?: number;
  /** Bugs verified at once. */
  jobs?: number;
  quick?: boolean;
  /** Every bug and variant tree runs the whole suite (the release proof). */
  full?: boolean;
  /** Enforce bug validity v2 whatever the manifest's requireValidity says. */
  requireValidity?: boolean;
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  reportPath?: string;
  /** false: do not write the manifest or the report (a dry run). */
  write?: boolean;
  /** Keep recorded validations whose inputs are unchanged instead of running their checks. */
  reuse?: boolean;
  progress?: ProgressFn;
  clock?: () => Date;
  timeoutMs?: number;
  preflight?: boolean;
  runner?: CommandRunner;
}

export async function verifyCommand(opts: VerifyCommandOptions): Promise<CommandOutcome<VerifyReport>> {
  const targetDir = resolveOpt(opts.cwd, opts.targetDir);
  const manifestPath = resolveOpt(opts.cwd, opts.manifestPath);
  const fixesDir = resolveOpt(opts.cwd, opts.fixesDir);
  const reportPath = resolveOpt(opts.cwd, opts.reportPath);
  const preflight = preflightFor(opts.preflight);
  const report = await verify({
    ...(opts.bugs !== undefined ? { bugs: parseBugList(opts.bugs) } : {}),
    ...(opts.shipped ? { shipped: true } : {}),
    ...(opts.repeat !== undefined ? { repeat: opts.repeat } : {}),
    ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
    ...(opts.quick ? { quick: true } : {}),
    ...(opts.full ? { full: true } : {}),
    ...(opts.requireValidity ? { requireValidity: true } : {}),
    ...(targetDir ? { targetDir } : {}),
    ...(manifestPath ? { manifestPath } : {}),
    ...(fixesDir ? { fixesDir } : {}),
    ...(reportPath ? { reportPath } : {}),
    ...(opts.write === false ? { write: false } : {}),
    ...(opts.reuse ? { reuse: true } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(preflight ? { preflight } : {}),
    ...(opts.runner ? { runner: opts.runner } : {}),
  });
  const text = renderReport(report) + (report.reportFile ? `report: ${report.reportFile}\n` : '');
  return { exitCode: report.ok ? 0 : 1, json: report, text: text.trimEnd() };
}
