import { stat } from 'node:fs/promises';
import path from 'node:path';
import { activeBugs, isGraderError, loadManifest, materialize, type BugEntry, type Manifest } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import type { EnvOptions } from '../options.ts';
import { removeTree } from '../workspace/tree.ts';
import { newId } from '../util.ts';
import { readScenarioIndex } from '../scenarios/index-file.ts';
import { scenarioTaskParts } from '../scenarios/tasks.ts';

export interface Task {
  /** `full`, `bug:<ID>` or `scenario:<NN>`. */
  id: string;
  kind: 'full' | 'bug' | 'scenario';
  title: string;
  /** `reward` (the full reward) or `resolved` (1 when the task's bugs are fixed without regressions, else 0). */
  mode: 'reward' | 'resolved';
  /** Bugs present in the task's tree. */
  bugs: 'all' | string[];
  /** Bugs the score is about: the bonus pool and what `resolved` checks (undefined: every active bug). */
  taskBugs: string[] | undefined;
  /** Agent-facing description: no file names, no mechanism. */
  description: string;
  /** Scenario tasks: the section the reset option `hints: "hints"` adds to the description. */
  hints?: string;
}

export interface TaskTree {
  dir: string;
  contentHash: string;
  bugsPresent: string[];
}

const FULL_DESCRIPTION =
  'DataNexus, a real-time data pipeline and analytics platform (Node.js services on PostgreSQL, Redis and RabbitMQ), ' +
  'has defects that make parts of its test suite fail. Find and fix them in the source code. ' +
  'The reward grows with the weighted pass rate of the whole suite; tests that pass now must keep passing. ' +
  'Changes to tests/, the jest configuration and the package files are discarded before grading.';

function bugDescription(bug: BugEntry): string {
  return `A defect reported in DataNexus: ${bug.symptom} Find and fix it in the source code, so that the tests about it pass ` +
    'and every test that passes now keeps passing. Changes to tests/, the jest configuration and the package files are discarded before grading.';
}

/**
 * The tasks the server offers: `full` (every active bug present, full reward), `bug:<ID>` for
 * every active bug of the manifest (only that bug present, resolved mode) and `scenario:<NN>` for
 * every playable scenario of the scenario index (its bugs and their dependsOn closure present, full
 * reward; docs/scenarios.md). The manifest is re-read when its file changes, so bugs added while
 * the server runs appear; task trees are materialized once per task and manifest version.
 */
export class TaskCatalogue {
  private manifest: Manifest | undefined;
  private manifestMtime = -1;
  private readonly trees = new Map<string, Promise<TaskTree>>();

  constructor(private readonly opts: Pick<EnvOptions, 'targetDir' | 'manifestPath' | 'fixesDir' | 'workRoot' | 'scenariosDir'>) {}

  async loadManifest(): Promise<Manifest> {
    const st = await stat(this.opts.manifestPath).catch(() => undefined);
    if (!st) throw new EnvError('ENV_ERR_INFRA', `bug manifest not found: ${this.opts.manifestPath}`);
    if (!this.manifest || st.mtimeMs !== this.manifestMtime) {
      try {
        this.manifest = await loadManifest(this.opts.manifestPath);
      } catch (err) {
        throw new EnvError('ENV_ERR_INFRA', `the bug manifest cannot be used: ${(err as Error).message}`, { cause: err });
      }
      this.manifestMtime = st.mtimeMs;
    }
    return this.manifest;
  }

  async list(): Promise<Task[]> {
    const manifest = await this.loadManifest();
    const tasks: Task[] = [{ id: 'full', kind: 'full', title: 'Every active bug', mode: 'reward', bugs: 'all', taskBugs: undefined, description: FULL_DESCRIPTION }];
    for (const bug of activeBugs(manifest)) {
      tasks.push({ id: `bug:${bug.id}`, kind: 'bug', title: `One bug (${bug.id})`, mode: 'resolved', bugs: [bug.id], taskBugs: [bug.id], description: bugDescription(bug) });
    }
    return [...tasks, ...(await this.scenarioTasks(manifest))];
  }

  /** Playable scenarios, graded like `full` but with the scenario's bugs as the bonus pool. */
  private async scenarioTasks(manifest: Manifest): Promise<Task[]> {
    if (this.opts.scenariosDir === null) return [];
    const index = await readScenarioIndex(this.opts.scenariosDir);
    const tasks: Task[] = [];
    for (const entry of index.scenarios.filter((s) => s.status === 'playable')) {
      const parts = await scenarioTaskParts(index, entry, manifest);
      tasks.push({ ...parts, kind: 'scenario', mode: 'reward', taskBugs: parts.bugs });
    }
    return tasks;
  }

  async get(id: string): Promise<Task> {
    const tasks = await this.list();
    const task = tasks.find((t) => t.id === id);
    if (!task) {
      const names = tasks.length > 6 ? `${tasks.slice(0, 6).map((t) => t.id).join(', ')}, … (${tasks.length} in all)` : tasks.map((t) => t.id).join(', ');
      throw new EnvError('ENV_ERR_UNKNOWN_TASK', `unknown task ${JSON.stringify(id)}; expected one of: ${names} (GET /v1/tasks lists them)`);
    }
    return task;
  }

  /** The task's pristine tree (materialized once, shared read-only by every episode of the task). */
  tree(task: Task): Promise<TaskTree> {
    const key = `${task.id}@${this.manifestMtime}`;
    let p = this.trees.get(key);
    if (!p) {
      p = this.materializeTask(task);
      this.trees.set(key, p);
      p.catch(() => this.trees.delete(key));
    }
    return p;
  }

  private async materializeTask(task: Task): Promise<TaskTree> {
    const manifest = await this.loadManifest();
    const slug = task.id.replace(/[^A-Za-z0-9]+/g, '-');
    const out = path.join(this.opts.workRoot, 'tasks', newId(slug));
    try {
      const r = await materialize({
        bugs: task.bugs,
        out,
        targetDir: this.opts.targetDir,
        manifestPath: this.opts.manifestPath,
        manifest,
        ...(this.opts.fixesDir ? { fixesDir: this.opts.fixesDir } : {}),
      });
      return { dir: r.out, contentHash: r.contentHash, bugsPresent: r.bugsPresent };
    } catch (err) {
      await removeTree(out);
      const msg = isGraderError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
      throw new EnvError('ENV_ERR_INFRA', `could not build the tree of task ${task.id}: ${msg}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    const trees = await Promise.allSettled(this.trees.values());
    this.trees.clear();
    for (const t of trees) if (t.status === 'fulfilled') await removeTree(t.value.dir);
  }
}
