import path from 'node:path';
import {
  activeBugs, buildDepMap, GRADER_VERSION, hashTree, rejectedGrade, score, screenTree, selectBugs, summarize, testInventory,
  type DepMap, type Grade, type Results, type RunResult,
} from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import type { EnvOptions } from '../options.ts';
import { Principals } from '../principals/index.ts';
import { isRoot } from '../sandbox/system.ts';
import type { SandboxBackend } from '../sandbox/types.ts';
import { errorMessage, newId, Semaphore, sha256 } from '../util.ts';
import { copyTree, removeTree } from '../workspace/tree.ts';
import { checkBaseline } from './baseline-check.ts';
import { DiskCache } from './disk-cache.ts';
import { IncrementalGrading, type TreeRun } from './incremental.ts';
import { buildGradeTree, type RefusedChange } from './overlay.ts';
import { type AgentTestRun, SuiteRuns } from './suite-runs.ts';
import type { Task, TaskCatalogue, TaskTree } from './tasks.ts';

export interface BugProgress {
  id: string;
  fixed: boolean;
  failToPass: { passed: number; total: number };
}

export interface GradeReport {
  grade: Grade;
  /** Content hash of the task's pristine tree. */
  taskHash: string;
  /** Content hash of the graded tree (pristine + the agent's source changes). */
  contentHash: string;
  cached: boolean;
  durationMs: number;
  /** Source files the grade took from the workspace. */
  takenChanges: string[];
  /** Changes to protected files (tests, jest config, package files) the grade left out. */
  ignoredChanges: string[];
  /** Changes the grade refused, with why (links that leave the tree, a nested node_modules). */
  refusedChanges: RefusedChange[];
  /** Set when the agent's code broke the run (no results although the servers answered): every test is missing. */
  brokenRun?: string;
  summary: ReturnType<typeof summarize>;
  bugs: BugProgress[];
}

/**
 * Baselines, grades and test runs. Every suite run happens in a fresh sandbox on a fresh tree;
 * results are cached by the content hash of the tree they ran on (and the grader version and
 * expected test list), in memory and under cacheDir, so an unchanged workspace is never run twice.
 */
export class GradingService {
  private readonly runs: DiskCache<Results>;
  private readonly memo = new Map<string, Promise<Results>>();
  /** Why the agent's code broke a run, by the results it produced (scored like any other results). */
  private readonly broken = new WeakMap<Results, string>();
  private inventoryPromise: Promise<string[]> | undefined;
  readonly semaphore: Semaphore;
  /** Set when the backend gives every run its own network: grades, baselines and episodes then run as principals. */
  readonly principals: Principals | null;
  /** Grades reuse the baseline for the test files the agent's changes cannot affect (incremental.ts). */
  readonly incremental: IncrementalGrading;
  private readonly suites: SuiteRuns;

  constructor(
    private readonly opts: Readonly<EnvOptions>,
    private readonly backend: SandboxBackend,
    private readonly catalogue: TaskCatalogue,
  ) {
    this.runs = new DiskCache(path.join(opts.cacheDir, 'runs'));
    this.semaphore = new Semaphore(opts.maxConcurrentRuns);
    // bwrap and the container backend both join a run to a network namespace of the principal's
    this.principals = (backend.kind === 'bwrap' || backend.kind === 'docker') && isRoot() ? new Principals(opts.infraEnv, opts.nodeModulesDir) : null;
    this.principals?.refill();
    this.suites = new SuiteRuns(opts, backend, this.principals, this.semaphore);
    this.incremental = new IncrementalGrading(opts, {
      run: async (dir, o) => this.runOutcome(dir, await this.inventory(), o),
      baseline: (tree) => this.baseline(tree),
      withTaskCopy: (tree, fn) => this.inFreshDir((d) => copyTree(tree.dir, d), fn),
      accept: async (tree, r) => checkBaseline(r, await this.catalogue.loadManifest(), tree.bugsPresent),
      log: (event) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`),
    });
  }

  /** The expected test ids: the pristine (all fixed) suite's, cached by the grader next to the manifest. */
  inventory(): Promise<string[]> {
    if (!this.inventoryPromise) {
      this.inventoryPromise = (async () => {
        try {
          return await testInventory({
            targetDir: this.opts.targetDir,
            manifestPath: this.opts.manifestPath,
            ...(this.opts.fixesDir ? { fixesDir: this.opts.fixesDir } : {}),
            nodeModulesDir: this.opts.nodeModulesDir,
            env: { ...this.opts.infraEnv },
            manifest: await this.catalogue.loadManifest(),
            timeoutMs: this.opts.gradeTimeoutMs,
          });
        } catch (err) {
          throw new EnvError('ENV_ERR_INFRA', `no test inventory: ${errorMessage(err)}`, { cause: err });
        }
      })();
      this.inventoryPromise.catch(() => {
        this.inventoryPromise = undefined;
      });
    }
    return this.inventoryPromise;
  }

  /**
   * Results of the task's pristine tree, the reference for the regression penalty. Accepted (and
   * cached) only when exactly the tests of the bugs present fail: anything else (a server left in
   * a bad state, a flaky run) would poison every grade of the task, so it is an infrastructure
   * error naming the difference.
   */
  async baseline(tree: TaskTree): Promise<Results> {
    const manifest = await this.catalogue.loadManifest();
    const accept = (r: Results): void => checkBaseline(r, manifest, tree.bugsPresent);
    // always cached: gradeCache governs the agent's trees, a task's baseline never changes. A fresh
    // baseline run records the task's dependency map, kept once the run is accepted.
    let map: DepMap | undefined;
    const { results } = await this.results(tree.contentHash, true, undefined, async (dir) => {
      await copyTree(tree.dir, dir);
    }, undefined, accept, async (dir, expected) => {
      const o = await this.runOutcome(dir, expected, { recordDeps: this.opts.grading === 'incremental' });
      if (o.deps) map = await buildDepMap(dir, tree.contentHash, o.deps);
      return this.marked(o);
    });
    if (map) await this.incremental.keep(tree, map);
    return results;
  }

  async grade(args: { task: Task; tree: TaskTree; workspace: string; steps: number; maxSteps: number; signal?: AbortSignal }): Promise<GradeReport> {
    const started = performance.now();
    const dir = path.join(this.opts.workRoot, 'grades', newId('grade'));
    try {
      await this.backend.createWorkspace(dir);
      const treeDir = path.join(dir, 'tree');
      const overlay = await buildGradeTree(args.tree.dir, args.workspace, treeDir);
      const contentHash = await hashTree(treeDir);
      // the agent's source changes are screened for tampering before anything of theirs runs
      const findings = await screenTree(args.tree.dir, treeDir, overlay.taken);
      const rejected = findings.length > 0 ? rejectedGrade(findings, args.task.mode) : undefined;
      const [{ results, cached }, baseline, manifest] = rejected
        ? [{ results: { tests: [] }, cached: false }, undefined, await this.catalogue.loadManifest()]
        : await Promise.all([
          this.results(contentHash, this.opts.gradeCache, args.signal, undefined, treeDir, undefined, async (dir, expected) =>
            this.marked(await this.incremental.results({ tree: args.tree, treeDir: dir, taken: overlay.taken, expected, ...(args.signal ? { signal: args.signal } : {}) }))),
          this.baseline(args.tree),
          this.catalogue.loadManifest(),
        ]);
      let grade: Grade;
      try {
        grade = rejected ?? score(results, { manifest, baseline, steps: args.steps, maxSteps: args.maxSteps, mode: args.task.mode, ...(args.task.taskBugs ? { taskBugs: args.task.taskBugs } : {}) });
      } catch (err) {
        throw new EnvError('ENV_ERR_INFRA', `the grader could not score the run: ${errorMessage(err)}`, { cause: err });
      }
      grade.contentHash = contentHash;
      const status = new Map(results.tests.map((t) => [t.id, t.status]));
      const bugs = (args.task.taskBugs ? selectBugs(manifest, args.task.taskBugs) : activeBugs(manifest)).map((b) => ({
        id: b.id,
        fixed: grade.bugsFixed.includes(b.id),
        failToPass: { passed: b.failToPass.filter((id) => status.get(id) === 'passed').length, total: b.failToPass.length },
      }));
      return {
        grade,
        taskHash: args.tree.contentHash,
        contentHash,
        cached,
        durationMs: performance.now() - started,
        takenChanges: overlay.taken,
        ignoredChanges: overlay.ignored,
        refusedChanges: overlay.refused,
        ...(this.broken.has(results) ? { brokenRun: this.broken.get(results)! } : {}),
        summary: summarize(results),
        bugs,
      };
    } finally {
      await removeTree(dir);
    }
  }

  /**
   * Suite results of a tree with this content hash, from the cache when it ran before. The tree is
   * either ready (`readyDir`) or built by `build` only when a run is actually needed.
   */
  private async results(
    contentHash: string,
    useCache: boolean,
    signal: AbortSignal | undefined,
    build?: (dir: string) => Promise<void>,
    readyDir?: string,
    accept: (r: Results) => void = () => undefined,
    run: (dir: string, expected: string[]) => Promise<Results> = (dir, expected) => this.runTree(dir, expected, signal),
  ): Promise<{ results: Results; cached: boolean }> {
    const expected = await this.inventory();
    const key = `${contentHash}-${GRADER_VERSION}-${sha256(expected.join('\n')).slice(0, 16)}`;
    if (useCache) {
      const inFlight = this.memo.get(key);
      if (inFlight) return { results: await inFlight, cached: true };
      const onDisk = await this.runs.get(key);
      // a cached entry is held to the same acceptance as a fresh run (one written by an older server may not be)
      if (onDisk && acceptable(onDisk, accept)) {
        this.memo.set(key, Promise.resolve(onDisk));
        return { results: onDisk, cached: true };
      }
    }
    const p = (async () => {
      let results: Results;
      if (readyDir) results = await run(readyDir, expected);
      else results = await this.inFreshDir(build!, (d) => run(d, expected));
      accept(results);
      return results;
    })();
    if (useCache) {
      this.memo.set(key, p);
      // a broken run is the agent's result, but not cached: the next grade of the same tree runs again
      p.then(async (r) => {
        if (this.broken.has(r)) this.memo.delete(key);
        else await this.runs.set(key, r);
      }, () => this.memo.delete(key)).catch(() => undefined);
    }
    return { results: await p, cached: false };
  }

  /** A fresh tree built by `build` in a new workspace, removed after `fn`. */
  private async inFreshDir<T>(build: (dir: string) => Promise<void>, fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = path.join(this.opts.workRoot, 'grades', newId('run'));
    try {
      await this.backend.createWorkspace(dir);
      await build(path.join(dir, 'tree'));
      return await fn(path.join(dir, 'tree'));
    } finally {
      await removeTree(dir);
    }
  }

  /** Results that remember why the code under test broke their run, if it did. */
  private marked(o: { results: Results; broken?: string }): Results {
    if (o.broken !== undefined) this.broken.set(o.results, o.broken);
    return o.results;
  }

  private async runTree(treeDir: string, expected: string[], signal?: AbortSignal): Promise<Results> {
    return this.marked(await this.runOutcome(treeDir, expected, signal ? { signal } : {}));
  }

  /** One sandboxed run of a tree (some files of it, recording dependencies when asked). */
  private runOutcome(treeDir: string, expected: string[], o: Parameters<TreeRun>[1]): ReturnType<TreeRun> {
    return this.suites.outcome(treeDir, expected, o);
  }

  /** Drops the spare principals and waits for every principal being dropped. */
  async close(): Promise<void> {
    await this.principals?.close();
  }

  /** The servers the suite needs, checked before a run: "PostgreSQL is down" is infrastructure, not a reward of 0. */
  preflight(): ReturnType<SuiteRuns['preflight']> {
    return this.suites.preflight();
  }

  /** An agent's test run in its own workspace (its tests, its config): diagnostics, never a grade. */
  runTests(args: AgentTestRun): Promise<RunResult> {
    return this.suites.agentRun(args);
  }
}

function acceptable(results: Results, accept: (r: Results) => void): boolean {
  try {
    accept(results);
    return true;
  } catch {
    return false;
  }
}
