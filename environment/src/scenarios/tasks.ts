import { activeBugs, type Manifest } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import { setupClosure, type MaskingGraph } from './fix-order.ts';
import { readScenarioFile, type ScenarioEntry, type ScenarioIndex } from './index-file.ts';

// Playable scenarios as tasks. The workspace holds the scenario's bugs and every bug their measured
// `dependsOn` reaches (the setup bugs that gate them), computed from the manifest each time it is
// read, so a re-measured manifest changes the task instead of going stale; every other bug is fixed.
// The incident document is the description; the hints file is kept for the `hints` reset option.

export interface ScenarioTaskParts {
  id: string;
  title: string;
  bugs: string[];
  description: string;
  hints: string;
}

/** The active bugs' masking relation (a retired bug masks nothing: it is never present). */
export function maskingGraph(manifest: Manifest): MaskingGraph {
  const active = activeBugs(manifest);
  const ids = new Set(active.map((b) => b.id));
  return new Map(active.map((b) => [b.id, { id: b.id, dependsOn: b.dependsOn.filter((d) => ids.has(d)), failToPass: b.failToPass, setup: b.class === 'lifecycle' }]));
}

/** The bugs present in a scenario's workspace, in the manifest's order. */
export function scenarioBugSet(entry: ScenarioEntry, manifest: Manifest): string[] {
  const graph = maskingGraph(manifest);
  const unknown = entry.bugs.filter((id) => !manifest.bugs.some((b) => b.id === id));
  if (unknown.length > 0) {
    throw new EnvError('ENV_ERR_INFRA', `scenario ${entry.id} lists bugs the manifest does not have: ${unknown.join(', ')}`);
  }
  // a retired bug is no longer in the target: nothing to present, nothing to fix
  const closure = new Set(setupClosure(graph, entry.bugs.filter((id) => graph.has(id))));
  return activeBugs(manifest).map((b) => b.id).filter((id) => closure.has(id));
}

export async function scenarioTaskParts(index: ScenarioIndex, entry: ScenarioEntry, manifest: Manifest): Promise<ScenarioTaskParts> {
  const [incident, hints] = await Promise.all([readScenarioFile(index, entry.incident!), readScenarioFile(index, entry.hints!)]);
  return {
    id: `scenario:${entry.id}`,
    title: `Scenario ${entry.id}: ${entry.title}`,
    bugs: scenarioBugSet(entry, manifest),
    description: incident.trim(),
    hints: hints.trim(),
  };
}

/** The description an episode gets: the incident, plus the hints section when asked for. */
export function describeWithHints(description: string, hints: string | undefined): string {
  return hints ? `${description}\n\n${hints}` : description;
}
