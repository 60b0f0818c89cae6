import { lstat } from 'node:fs/promises';
import path from 'node:path';
import {
  affectedFiles, buildDepMap, DEPMAP_VERSION, GRADER_VERSION, parseDepMap, testPathOf,
  type Change, type DepMap, type FileDeps, type Results,
} from '@datanexus/grader';
import type { EnvOptions } from '../options.ts';
import { DiskCache } from './disk-cache.ts';
import type { TaskTree } from './tasks.ts';

// Incremental grading (docs/incremental-grading.md). A grade tree is the task's pristine tree plus
// the agent's changes. The task's dependency map, recorded on its baseline run, tells which test
// files those changes can affect; every other test file behaves as in the baseline (the suite is
// deterministic, and nothing it read changed), so its baseline results are reused and only the
// affected files run. Anything the map cannot reason about grades fully.

/** How one suite run is made: the service's sandboxed run, narrowed to files, optionally recording. */
export type TreeRun = (treeDir: string, opts: { files?: string[]; recordDeps?: boolean; signal?: AbortSignal }) => Promise<Outcome & { deps?: Record<string, FileDeps> }>;

/** A run's results, and why the code under test broke the run when it did (its tests are then `missing`). */
export interface Outcome {
  results: Results;
  broken?: string;
}

export interface GradingStats {
  mode: 'incremental' | 'full';
  crossCheckEvery: number;
  /** Grades run incrementally (some files from the baseline), fully (fallback or full mode), and cross-checked. */
  incremental: number;
  full: number;
  crossChecks: number;
  /** Cross-checks whose per-test statuses differed: the full result was used. */
  crossCheckMismatches: number;
}

export interface IncrementalDeps {
  run: TreeRun;
  /** The task's accepted baseline results (memoized by the service). */
  baseline: (tree: TaskTree) => Promise<Results>;
  /** Builds a fresh copy of the task's pristine tree in `dir` and runs `fn` on it (for a map recorded apart from the baseline). */
  withTaskCopy: <T>(tree: TaskTree, fn: (dir: string) => Promise<T>) => Promise<T>;
  accept: (tree: TaskTree, results: Results) => Promise<void> | void;
  log: (event: Record<string, unknown>) => void;
}

export class IncrementalGrading {
  readonly stats: GradingStats;
  private readonly maps = new Map<string, Promise<DepMap | undefined>>();
  private readonly disk: DiskCache<DepMap>;
  private gradesSinceCheck = 0;

  constructor(opts: Pick<EnvOptions, 'cacheDir' | 'grading' | 'gradingCrossCheckEvery'>, private readonly deps: IncrementalDeps) {
    this.disk = new DiskCache(path.join(opts.cacheDir, 'depmaps'));
    this.stats = { mode: opts.grading, crossCheckEvery: opts.gradingCrossCheckEvery, incremental: 0, full: 0, crossChecks: 0, crossCheckMismatches: 0 };
  }

  private key(tree: TaskTree): string {
    return `${tree.contentHash}-${GRADER_VERSION}-v${DEPMAP_VERSION}`;
  }

  /** Keeps the map a baseline run of the task recorded (call once its results were accepted). */
  async keep(tree: TaskTree, map: DepMap): Promise<void> {
    this.maps.set(this.key(tree), Promise.resolve(map));
    await this.disk.set(this.key(tree), map);
  }

  /** The task tree's map: kept, on disk, or recorded now by a run of the pristine tree (undefined when that run is not a valid baseline). */
  private mapFor(tree: TaskTree, signal?: AbortSignal): Promise<DepMap | undefined> {
    const key = this.key(tree);
    let p = this.maps.get(key);
    if (!p) {
      p = (async () => {
        const onDisk = parseDepMap(await this.disk.get(key));
        if (onDisk && onDisk.treeHash === tree.contentHash) return onDisk;
        return this.deps.withTaskCopy(tree, async (dir) => {
          const { results, deps } = await this.deps.run(dir, { recordDeps: true, ...(signal ? { signal } : {}) });
          await this.deps.accept(tree, results);
          if (!deps) return undefined;
          const map = await buildDepMap(dir, tree.contentHash, deps);
          await this.disk.set(key, map);
          return map;
        });
      })();
      this.maps.set(key, p);
      p.catch(() => this.maps.delete(key));
    }
    return p;
  }

  /** The grade tree's results: incremental when the map can reason about the changes, else a full run. */
  async results(args: { tree: TaskTree; treeDir: string; taken: string[]; expected: string[]; signal?: AbortSignal }): Promise<Outcome> {
    const full = async (): Promise<Outcome> => {
      this.stats.full += 1;
      const { results, broken } = await this.deps.run(args.treeDir, args.signal ? { signal: args.signal } : {});
      return { results, ...(broken !== undefined ? { broken } : {}) };
    };
    if (this.stats.mode === 'full') return full();
    const changes = await changesOf(args.tree.dir, args.treeDir, args.taken);
    if (!changes) return full();
    const map = await this.mapFor(args.tree, args.signal).catch(() => undefined);
    if (!map) return full();
    const affected = affectedFiles(map, changes);
    if (affected.everything) return full();
    const known = new Set(Object.keys(map.files));
    const files = [...new Set([...affected.files, ...args.expected.map(testPathOf).filter((f) => !known.has(f))])].sort();
    const baseline = await this.deps.baseline(args.tree);
    const fresh: Outcome = files.length === 0 ? { results: { tests: [] } } : await this.deps.run(args.treeDir, { files, ...(args.signal ? { signal: args.signal } : {}) });
    // the agent's code broke the run: a full run decides (a broken full run makes every test missing, not only these)
    if (fresh.broken !== undefined) return full();
    const merged = merge(baseline, fresh.results, new Set(files));
    this.stats.incremental += 1;
    return this.crossCheck(args, { results: merged }, files.length);
  }

  /** 1 grade in N also runs whole: a difference is logged and counted, and the full result wins. */
  private async crossCheck(args: { treeDir: string; taken: string[]; signal?: AbortSignal }, merged: Outcome, ran: number): Promise<Outcome> {
    if (this.stats.crossCheckEvery <= 0) return merged;
    this.gradesSinceCheck += 1;
    if (this.gradesSinceCheck < this.stats.crossCheckEvery) return merged;
    this.gradesSinceCheck = 0;
    this.stats.crossChecks += 1;
    const whole = await this.deps.run(args.treeDir, args.signal ? { signal: args.signal } : {});
    const diff = statusDifferences(merged.results, whole.results);
    if (diff.length === 0) return merged;
    this.stats.crossCheckMismatches += 1;
    this.deps.log({ event: 'incremental-grade-mismatch', changes: args.taken, filesRun: ran, differences: diff.slice(0, 20), count: diff.length });
    return { results: whole.results, ...(whole.broken !== undefined ? { broken: whole.broken } : {}) };
  }
}

/** The overlay's taken paths as changes; undefined when one is a symbolic link (the map records paths, not what links resolve to). */
async function changesOf(pristine: string, gradeTree: string, taken: string[]): Promise<Change[] | undefined> {
  const out: Change[] = [];
  for (const rel of taken) {
    const [before, after] = await Promise.all([lstat(path.join(pristine, rel)).catch(() => undefined), lstat(path.join(gradeTree, rel)).catch(() => undefined)]);
    if (before?.isSymbolicLink() || after?.isSymbolicLink()) return undefined;
    out.push({ path: rel, kind: !before ? 'added' : !after ? 'removed' : 'modified' });
  }
  return out;
}

/** Baseline results for the files not run, fresh ones for those run; sorted by id like every result set. */
export function merge(baseline: Results, fresh: Results, ran: ReadonlySet<string>): Results {
  const tests = [...baseline.tests.filter((t) => !ran.has(testPathOf(t.id))), ...fresh.tests];
  tests.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { tests };
}

/** Ids whose status differs between two result sets (absent counts as its own status). */
export function statusDifferences(a: Results, b: Results): string[] {
  const sa = new Map(a.tests.map((t) => [t.id, t.status]));
  const sb = new Map(b.tests.map((t) => [t.id, t.status]));
  const ids = new Set([...sa.keys(), ...sb.keys()]);
  return [...ids].filter((id) => sa.get(id) !== sb.get(id)).sort().map((id) => `${id}: ${sa.get(id) ?? 'absent'} → ${sb.get(id) ?? 'absent'}`);
}
