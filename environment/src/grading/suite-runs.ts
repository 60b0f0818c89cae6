import { defaultServers, probeServers, runSuite, type Category, type Results, type RunResult } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import type { EnvOptions } from '../options.ts';
import type { Principals } from '../principals/index.ts';
import { sandboxRunner } from '../sandbox/runner.ts';
import type { Mount, SandboxBackend } from '../sandbox/types.ts';
import type { Semaphore } from '../util.ts';
import type { TreeRun } from './incremental.ts';

const SUITE_OUTPUT_BYTES = 32 * 1024 * 1024;

/** What an agent's own test run needs: its workspace, its uid, its environment and mounts. */
export interface AgentTestRun {
  workspace: string;
  uid: number | null;
  env: Record<string, string>;
  category?: Category;
  files?: string[];
  testNamePattern?: string;
  /** The episode's mounts (its data directory, its principal's gates). */
  mounts?: Mount[];
  signal?: AbortSignal;
}

/**
 * Sandboxed runs of the target's suite: the grader's runs of a restored tree (grades, baselines)
 * and an agent's diagnostic runs of its own workspace. Every run holds a slot of the shared
 * semaphore, and every grader run gets a uid and a principal of its own.
 */
export class SuiteRuns {
  constructor(
    private readonly opts: Readonly<EnvOptions>,
    private readonly backend: SandboxBackend,
    private readonly principals: Principals | null,
    readonly semaphore: Semaphore,
  ) {}

  /** One sandboxed run of a tree (some files of it, recording dependencies when asked). */
  async outcome(treeDir: string, expected: string[], o: Parameters<TreeRun>[1]): ReturnType<TreeRun> {
    const signal = o.signal;
    const lease = this.backend.leaseUid();
    // A principal of its own per run: no episode can reach the namespaces a grade or baseline uses.
    const principal = await this.principals?.acquire();
    try {
      await this.backend.prepareWorkspace(treeDir, lease?.uid ?? null);
      const runner = sandboxRunner({
        backend: this.backend,
        root: treeDir,
        nodeModules: this.opts.nodeModulesDir,
        ...(lease ? { uid: lease.uid } : {}),
        ...(principal ? { mounts: [principal.mount] } : {}),
        // DN_RECORD_DEPS: the grader's jest parent preloads its dependency recorder into the workers
        env: { ...(principal ? principal.env : this.opts.infraEnv), CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', ...(o.recordDeps ? { DN_RECORD_DEPS: '1' } : {}) },
        maxOutputBytes: SUITE_OUTPUT_BYTES,
        ...(signal ? { signal } : {}),
      });
      const run = await this.semaphore.use(() =>
        runSuite({
          dir: treeDir, runner, expected, timeoutMs: this.opts.gradeTimeoutMs, preflight: () => this.preflight(),
          ...(o.files ? { files: o.files } : {}), ...(o.recordDeps ? { recordDeps: true } : {}),
        }),
      );
      if (run.infraError) throw new EnvError('ENV_ERR_INFRA', `the grading run could not complete: ${run.infraError.message}`, { details: run.infraError });
      return { results: run.results, ...(run.broken !== undefined ? { broken: run.broken } : {}), ...(run.deps ? { deps: run.deps } : {}) };
    } finally {
      lease?.release();
      // its sandbox is gone; dropping what it made need not hold the result
      if (principal) this.principals!.release(principal);
    }
  }

  /** The servers the suite needs, checked before a run: "PostgreSQL is down" is infrastructure, not a reward of 0. */
  preflight(): ReturnType<typeof probeServers> {
    return probeServers(defaultServers(this.opts.infraEnv));
  }

  /** An agent's test run in its own workspace (its tests, its config): diagnostics, never a grade. */
  async agentRun(args: AgentTestRun): Promise<RunResult> {
    const down = await this.preflight();
    if (down) throw new EnvError('ENV_ERR_INFRA', down.message, { details: down });
    const runner = sandboxRunner({
      backend: this.backend,
      root: args.workspace,
      nodeModules: this.opts.nodeModulesDir,
      ...(args.uid !== null ? { uid: args.uid } : {}),
      ...(args.mounts ? { mounts: args.mounts } : {}),
      env: args.env,
      maxOutputBytes: SUITE_OUTPUT_BYTES,
      ...(args.signal ? { signal: args.signal } : {}),
    });
    return this.semaphore.use(() =>
      runSuite({
        dir: args.workspace,
        runner,
        timeoutMs: this.opts.testTimeoutMs,
        ...(args.category ? { category: args.category } : {}),
        ...(args.files ? { files: args.files } : {}),
        ...(args.testNamePattern !== undefined ? { testNamePattern: args.testNamePattern } : {}),
      }),
    );
  }
}

export type { Results };
