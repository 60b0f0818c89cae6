import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { categoryCounts, summarize, type Results } from '@datanexus/grader';
import type { Task, TaskTree } from '../grading/tasks.ts';
import type { EnvOptions } from '../options.ts';
import { SANDBOX_DATA, SANDBOX_WORKSPACE } from '../paths.ts';
import { chownTree } from '../sandbox/system.ts';
import type { SandboxBackend } from '../sandbox/types.ts';
import { ACTION_TYPES } from '../schemas/actions.ts';
import type { ResetObs } from '../schemas/observations.ts';
import { copyTree } from '../workspace/tree.ts';
import type { Episode, EpisodeResources } from './episode.ts';
import type { NamespacePool } from './namespace-pool.ts';

const MAX_BASELINE_FAILING = 100;

export interface ProvisionDeps {
  options: Readonly<EnvOptions>;
  backend: SandboxBackend;
  pool: NamespacePool | null;
}

/**
 * An episode's resources: a copy of the task's tree (node_modules becomes a mount point), its own
 * data directory, a sandbox uid, a namespace, and the environment its commands see. Resources are
 * attached to the episode before anything is created, so release() can undo a half-done start.
 */
export async function provision(ep: Episode, tree: TaskTree, d: ProvisionDeps, lap: (name: string) => void): Promise<void> {
  const { options, backend, pool } = d;
  const dir = path.join(options.workRoot, 'episodes', ep.id);
  const r: EpisodeResources = {
    dir,
    workspace: path.join(dir, 'workspace'),
    dataDir: path.join(dir, 'data'),
    uid: null,
    ns: null,
    env: {},
    mounts: [],
  };
  ep.resources = r; // from here on release() can undo whatever was done
  await backend.createWorkspace(dir); // workspace and data share the episode's disk cap
  lap('disk');
  await copyTree(tree.dir, r.workspace);
  await mkdir(path.join(r.dataDir, 'objects'), { recursive: true });
  lap('copy');
  r.uid = backend.leaseUid();
  await backend.prepareWorkspace(r.workspace, r.uid?.uid ?? null);
  if (r.uid) await chownTree(r.dataDir, r.uid.uid, r.uid.uid);
  lap('owner');
  if (pool) r.ns = await pool.acquire();
  lap('namespace');
  r.mounts = [{ host: r.dataDir, sandbox: SANDBOX_DATA, readOnly: false }, ...(r.ns?.mounts ?? [])];
  r.env = {
    NODE_ENV: 'test',
    // an isolated namespace carries its principal's URLs; the administrator's never enter the sandbox
    ...(r.ns?.mounts ? {} : options.infraEnv),
    ...(r.ns?.env ?? {}),
    // the namespace's object store is a host directory; the episode's own is mounted at /data
    OBJECT_STORE_DIR: `${SANDBOX_DATA}/objects`,
    DN_SEED: String(ep.seed),
    CI: 'true',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    TERM: 'dumb',
  };
}

export async function resetObservation(ep: Episode, task: Task, baseline: Results, description = task.description): Promise<ResetObs> {
  const dirents = await readdir(ep.resources!.workspace, { withFileTypes: true });
  const files = dirents
    .map((d) => (d.isDirectory() || d.name === 'node_modules' ? `${d.name}/` : d.name))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const failing = baseline.tests.filter((t) => t.status !== 'passed').map((t) => t.id);
  return {
    type: 'reset',
    task: task.id,
    description,
    workspace: SANDBOX_WORKSPACE,
    maxSteps: ep.maxSteps,
    actions: [...ACTION_TYPES],
    files,
    baseline: {
      counts: summarize(baseline),
      categories: Object.fromEntries(Object.entries(categoryCounts(baseline)).filter(([, c]) => c.total > 0)),
      failing: failing.slice(0, MAX_BASELINE_FAILING),
      failingTruncated: failing.length > MAX_BASELINE_FAILING,
    },
  };
}
