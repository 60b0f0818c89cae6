import { loadManifest } from '@datanexus/grader';
import { EnvError } from '../errors.ts';
import { fixOrder, maskingGroups, orderViolations, type OrderViolation } from '../scenarios/fix-order.ts';
import { readScenarioIndex, type ScenarioEntry } from '../scenarios/index-file.ts';
import { maskingGraph, scenarioBugSet } from '../scenarios/tasks.ts';

// The walkthrough's plan, computed on the host from the manifest and the scenario index: the
// scenario's bug set (what its workspace starts with) and the order the fixes are applied in.
// The order is derived from the measured dependsOn (fix-order.ts), never typed, and checked.

export interface WalkthroughPlan {
  scenario: ScenarioEntry;
  task: string;
  /** Bugs present at reset, in fix order. */
  order: string[];
  /** Groups of mutually masking bugs (each fixed as a block; no order can separate them). */
  groups: string[][];
  /** Always empty for a derived order; kept so callers and tests can show it. */
  violations: OrderViolation[];
  serviceOf: Record<string, string>;
}

export async function walkthroughPlan(opts: { manifestPath: string; scenariosDir: string; id: string }): Promise<WalkthroughPlan> {
  const manifest = await loadManifest(opts.manifestPath);
  const index = await readScenarioIndex(opts.scenariosDir);
  const scenario = index.scenarios.find((s) => s.id === opts.id);
  if (!scenario) {
    throw new EnvError('ENV_ERR_INVALID_OPTION', `no scenario ${JSON.stringify(opts.id)} in ${opts.scenariosDir}/index.json (it lists ${index.scenarios.map((s) => s.id).join(', ') || 'none'})`);
  }
  if (scenario.status !== 'playable') throw new EnvError('ENV_ERR_INVALID_OPTION', `scenario ${scenario.id} is ${scenario.status}: its services are not built yet, there is nothing to replay`);
  const graph = maskingGraph(manifest);
  const bugs = scenarioBugSet(scenario, manifest);
  const rank = (id: string): number => {
    const i = scenario.bugs.indexOf(id);
    return i === -1 ? scenario.bugs.length : i;
  };
  const order = fixOrder(graph, bugs, rank);
  const violations = orderViolations(graph, order);
  if (violations.length > 0) {
    throw new EnvError('ENV_ERR_INTERNAL', `the derived fix order breaks masking: ${violations.map((v) => `${v.bug} before ${v.maskedBy}`).join(', ')}`);
  }
  const serviceOf = Object.fromEntries(manifest.bugs.filter((b) => bugs.includes(b.id)).map((b) => [b.id, b.service]));
  return { scenario, task: `scenario:${scenario.id}`, order, groups: maskingGroups(graph, order), violations, serviceOf };
}
