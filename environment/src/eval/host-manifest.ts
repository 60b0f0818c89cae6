import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { activeBugs, loadManifest, type BugEntry, type TaskBugInfo } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import { readScenarioIndex } from '../scenarios/index-file.ts';
import { scenarioBugSet } from '../scenarios/tasks.ts';

// The bug manifest as the evaluation runner sees it, on the host: which bugs a task holds (for the
// records and the leaderboard's class / service breakdowns) and their gold fixes (for the oracle).
// The fixes never go through the workspace: the oracle sends them as `patch` actions.

export interface HostManifest {
  manifestPath: string;
  bugsOf(task: string): TaskBugInfo[];
  /** The gold fix patch of a bug, checked against the sha256 the manifest records. */
  fixOf(id: string): Promise<string>;
}

/** `scenariosDir`: where `scenario:<NN>` tasks are defined (docs/scenarios.md); none: no scenario tasks. */
export async function loadHostManifest(manifestPath: string, scenariosDir?: string): Promise<HostManifest> {
  const manifest = await loadManifest(manifestPath);
  const active = activeBugs(manifest);
  const byId = new Map<string, BugEntry>(active.map((b) => [b.id, b]));
  const info = (b: BugEntry): TaskBugInfo => ({ id: b.id, class: b.class, service: b.service });
  const scenarios = scenariosDir ? (await readScenarioIndex(scenariosDir)).scenarios : [];
  return {
    manifestPath,
    bugsOf(task) {
      if (task === 'full') return active.map(info);
      const scenario = task.startsWith('scenario:') ? scenarios.find((s) => `scenario:${s.id}` === task) : undefined;
      if (scenario) return scenarioBugSet(scenario, manifest).map((id) => info(byId.get(id)!));
      const bug = task.startsWith('bug:') ? byId.get(task.slice(4)) : undefined;
      return bug ? [info(bug)] : [];
    },
    async fixOf(id) {
      const bug = byId.get(id);
      if (!bug) throw new EnvError('ENV_ERR_INVALID_OPTION', `bug ${id} is not an active bug of ${manifestPath}`);
      const diff = await readFile(path.resolve(path.dirname(manifestPath), bug.fix), 'utf8');
      const sha = createHash('sha256').update(diff).digest('hex');
      if (sha !== bug.fixSha256) throw new EnvError('ENV_ERR_INVALID_OPTION', `the fix of ${id} (${bug.fix}) has sha256 ${sha}, the manifest records ${bug.fixSha256}`);
      return diff;
    },
  };
}
