import path from 'node:path';
import { hashTree } from '../hash.ts';
import { loadManifest } from '../manifest.ts';
import { changedFiles } from '../screen/changed.ts';
import { screenTree } from '../screen/screen.ts';
import { gradeRun, rejectedGrade, type Grade } from '../score.ts';
import type { CommandRunner } from '../types.ts';
import { executeRun } from './run.ts';
import { renderGrade } from './score.ts';
import { type CommandOutcome, type CommonOptions, readResultsFile, resolveOpt, writeJsonAtomic } from './shared.ts';

export interface GradeCommandOptions extends CommonOptions {
  dir: string;
  baseline?: string;
  steps?: number;
  maxSteps?: number;
  mode?: 'reward' | 'resolved';
  taskBugs?: string[];
  /** Also write the normalized results here. */
  out?: string;
  targetDir?: string;
  manifestPath?: string;
  timeoutMs?: number;
  preflight?: boolean;
  runner?: CommandRunner;
  /** The task's pristine tree: the changes from it are screened first; a finding is a 'rejected' grade, no run. */
  pristine?: string;
}

export type GradeCommandJson = Grade & { error?: { code: string; message: string } };

/** run + score. An infrastructure failure is an 'infra-error' grade (no reward figures) and exit code 1. */
export async function gradeCommand(opts: GradeCommandOptions): Promise<CommandOutcome<GradeCommandJson>> {
  const manifestPath = resolveOpt(opts.cwd, opts.manifestPath);
  const manifest = await loadManifest(manifestPath);
  const baselinePath = resolveOpt(opts.cwd, opts.baseline);
  const baseline = baselinePath ? await readResultsFile(baselinePath, 'baseline') : undefined;
  if (opts.pristine) {
    const dir = path.resolve(opts.cwd, opts.dir);
    const pristine = path.resolve(opts.cwd, opts.pristine);
    const findings = await screenTree(pristine, dir, await changedFiles(pristine, dir));
    if (findings.length > 0) {
      const grade: GradeCommandJson = { ...rejectedGrade(findings, opts.mode ?? 'reward'), contentHash: await hashTree(dir) };
      return { exitCode: 0, json: grade, text: renderGrade(grade) };
    }
  }
  const { run } = await executeRun({ ...opts, useInventory: true });
  const grade: GradeCommandJson = gradeRun(run, {
    manifest,
    ...(baseline ? { baseline } : {}),
    ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
    ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
    ...(opts.mode ? { mode: opts.mode } : {}),
    ...(opts.taskBugs ? { taskBugs: opts.taskBugs } : {}),
  });
  grade.contentHash = await hashTree(path.resolve(opts.cwd, opts.dir));
  if (run.infraError) {
    grade.error = { code: run.infraError.code, message: run.infraError.message };
    return { exitCode: 1, json: grade, text: renderGrade(grade) };
  }
  if (opts.out) await writeJsonAtomic(path.resolve(opts.cwd, opts.out), run.results);
  return { exitCode: 0, json: grade, text: renderGrade(grade) };
}
