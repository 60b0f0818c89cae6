// Bench figures of issue 9: an incremental grade against a full grade of the same tree (a one-file
// gold fix on a `bug:` task), and the per-bug verification time with and without affected-file
// selection. Every ratio is measured within one run, grades interleaved, so the machine's load
// weighs on both sides alike: compare ratios across runs, not absolute times.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { activeBugs, affectedFiles, allFixedDepMap, loadManifest, patchedFiles, verify, type ProgressEvent } from '@datanexus/grader';
import { EnvClient } from '../src/client/client.ts';

export type StartServer = (extraArgs: string[]) => Promise<{ url: string; stop: () => Promise<void> }>;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return Math.round(m * 10) / 10;
};

/**
 * The bug whose one-file gold fix is graded: the one asked for, else the one-file fix whose number of
 * affected test files (by the all-fixed tree's map) is the median among one-file fixes, so the figure
 * is neither the best case (a service file few tests load) nor the worst (a shared module every
 * test loads).
 */
async function oneFileBug(targetDir: string, manifestPath: string, wanted: string | undefined): Promise<{ id: string; diff: string; affected: number; testFiles: number }> {
  const manifest = await loadManifest(manifestPath);
  const fixes = path.join(path.dirname(manifestPath), 'fixes');
  const { map } = await allFixedDepMap({ targetDir, manifestPath });
  const candidates: Array<{ id: string; diff: string; affected: number }> = [];
  for (const bug of activeBugs(manifest)) {
    if (wanted && bug.id !== wanted) continue;
    const diff = await readFile(path.join(fixes, path.basename(bug.fix)), 'utf8');
    const files = patchedFiles(diff);
    if (!wanted && files.length !== 1) continue;
    candidates.push({ id: bug.id, diff, affected: affectedFiles(map, files.map((f) => ({ path: f, kind: 'modified' as const }))).files.length });
  }
  if (candidates.length === 0) throw new Error(`no active bug ${wanted ?? 'with a one-file fix'} in ${manifestPath}`);
  candidates.sort((a, b) => a.affected - b.affected || (a.id < b.id ? -1 : 1));
  return { ...candidates[Math.floor((candidates.length - 1) / 2)]!, testFiles: Object.keys(map.files).length };
}

export interface IncrementalFigures {
  incrementalTask: string;
  /** Test files the fix can affect, of all the suite's. */
  incrementalAffectedFiles: number;
  testFiles: number;
  incrementalGradeMs: number;
  fullGradeMs: number;
  incrementalRatio: number;
  /** The two servers' rewards agreed on every grade. */
  sameReward: boolean;
}

/** Grades the gold fix of a one-file bug `grades` times on an incremental and a full server, alternately. */
export async function gradeFigures(start: StartServer, targetDir: string, manifestPath: string, grades: number, wantedBug: string | undefined, say: (m: string) => void): Promise<IncrementalFigures> {
  const { id, diff, affected, testFiles } = await oneFileBug(targetDir, manifestPath, wantedBug);
  const task = `bug:${id}`;
  const inc = await start(['--grading', 'incremental', '--cross-check-every', '0']);
  const full = await start(['--grading', 'full']);
  try {
    const ci = new EnvClient({ baseUrl: inc.url });
    const cf = new EnvClient({ baseUrl: full.url });
    const [ei, ef] = await Promise.all([ci.reset({ task }), cf.reset({ task })]);
    await ci.step(ei.episodeId, { type: 'patch', diff });
    await cf.step(ef.episodeId, { type: 'patch', diff });
    // the first grade of each warms nothing the later ones reuse (grade cache off), but it pays the
    // task's baseline run: leave it out of both sides
    await ci.reward(ei.episodeId);
    await cf.reward(ef.episodeId);
    const ti: number[] = [];
    const tf: number[] = [];
    let sameReward = true;
    for (let i = 0; i < grades; i += 1) {
      let t = performance.now();
      const ri = await ci.reward(ei.episodeId);
      ti.push(performance.now() - t);
      t = performance.now();
      const rf = await cf.reward(ef.episodeId);
      tf.push(performance.now() - t);
      if (ri.report.grade.reward !== rf.report.grade.reward) sameReward = false;
      say(`${task} gold fix, grade ${i + 1}/${grades}: incremental ${Math.round(ti.at(-1)!)} ms, full ${Math.round(tf.at(-1)!)} ms`);
    }
    await ci.close(ei.episodeId);
    await cf.close(ef.episodeId);
    const incrementalGradeMs = median(ti);
    const fullGradeMs = median(tf);
    return { incrementalTask: task, incrementalAffectedFiles: affected, testFiles, incrementalGradeMs, fullGradeMs, incrementalRatio: Math.round((incrementalGradeMs / fullGradeMs) * 1000) / 1000, sameReward };
  } finally {
    await inc.stop();
    await full.stop();
  }
}

export interface VerifyFigures {
  verifyBugs: string[];
  /** Median over the bugs of the time of their checks (bug tree and variants), affected-file selection. */
  verifyPerBugMs: number;
  /** The same with --full (whole suite per tree), measured in the same run. */
  verifyPerBugFullMs: number;
  verifyRatio: number;
}

function perBugTimes(events: ProgressEvent[], bugs: string[]): number[] {
  return bugs.map((b) => events
    .filter((e) => e.phase === 'end' && typeof e.label === 'string' && (e.label.startsWith(`only ${b} present`) || e.label.startsWith(`${b} with `)))
    .reduce((n, e) => n + (e.elapsedMs ?? 0), 0));
}

/** verify (k = 1, nothing written) of `n` bugs spread over the manifest, with affected-file selection and with --full. */
export async function verifyFigures(targetDir: string, manifestPath: string, n: number, say: (m: string) => void): Promise<VerifyFigures> {
  // spread over the manifest (shared-module bugs come first, service bugs later), not its first n
  const all = activeBugs(await loadManifest(manifestPath)).map((b) => b.id);
  const bugs = [...new Set(Array.from({ length: Math.min(n, all.length) }, (_, i) => all[Math.floor((i * all.length) / Math.min(n, all.length))]!))];
  const timesOf = async (full: boolean): Promise<number[]> => {
    const events: ProgressEvent[] = [];
    const report = await verify({ targetDir, manifestPath, bugs, repeat: 1, write: false, full, progress: (e) => events.push(e) });
    say(`verify ${full ? '--full' : '(affected)'} of ${bugs.join(',')}: ${report.ok ? 'ok' : 'FAILED'}, ${Math.round(report.durationMs)} ms`);
    return perBugTimes(events, bugs);
  };
  // affected, --full, affected again: the mean of the two affected runs brackets the full one, so a
  // load that drifts during the bench weighs on both sides alike
  const first = await timesOf(false);
  const whole = median(await timesOf(true));
  const second = await timesOf(false);
  const affected = median(first.map((t, i) => (t + second[i]!) / 2));
  return { verifyBugs: bugs, verifyPerBugMs: affected, verifyPerBugFullMs: whole, verifyRatio: Math.round((affected / whole) * 1000) / 1000 };
}
