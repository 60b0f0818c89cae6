import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EnvError } from '../errors.ts';

// scenarios/index.json as the environment reads it. The JSON Schema next to it is the contract (a
// gym test validates the file with it); here only what the environment relies on is checked, each
// problem named, so a broken index fails the server's task list with a message instead of a crash.

export type ScenarioForm = 'pagerduty-incident' | 'security-report' | 'customer-escalation' | 'chat-thread' | 'dashboard-alert';

export interface ScenarioEntry {
  id: string;
  slug: string;
  title: string;
  form: ScenarioForm;
  status: 'playable' | 'planned';
  summary?: string;
  services: string[];
  bugs: string[];
  startingState: { present: 'bugs-and-setup-closure'; others: 'fixed' };
  incident?: string;
  hints?: string;
  walkthrough?: string;
  systemTests?: string[];
}

export interface ScenarioIndex {
  dir: string;
  scenarios: ScenarioEntry[];
}

export const SCENARIO_INDEX_FILE = 'index.json';

function problemsOf(entry: Partial<ScenarioEntry>, at: string): string[] {
  const problems: string[] = [];
  if (typeof entry.id !== 'string' || !/^[0-9]{2}$/.test(entry.id)) problems.push(`${at}.id: expected two digits, got ${JSON.stringify(entry.id)}`);
  if (typeof entry.title !== 'string' || entry.title === '') problems.push(`${at}.title: expected a non-empty string`);
  if (entry.status !== 'playable' && entry.status !== 'planned') problems.push(`${at}.status: expected "playable" or "planned", got ${JSON.stringify(entry.status)}`);
  if (!Array.isArray(entry.bugs) || entry.bugs.length === 0 || !entry.bugs.every((b) => typeof b === 'string')) problems.push(`${at}.bugs: expected a non-empty list of bug ids`);
  if (entry.status === 'playable') {
    for (const f of ['incident', 'hints', 'walkthrough'] as const) {
      const v = entry[f];
      if (typeof v !== 'string' || v !== path.basename(v)) problems.push(`${at}.${f}: a playable scenario names its ${f} file (a file name in scenarios/), got ${JSON.stringify(v)}`);
    }
  }
  return problems;
}

/** Reads and checks `<dir>/index.json`; a missing directory is an empty index (a target with no scenarios). */
export async function readScenarioIndex(dir: string): Promise<ScenarioIndex> {
  const file = path.join(dir, SCENARIO_INDEX_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dir, scenarios: [] };
    throw new EnvError('ENV_ERR_INFRA', `cannot read the scenario index ${file}: ${(err as Error).message}`, { cause: err });
  }
  let data: { scenarios?: unknown };
  try {
    data = JSON.parse(text) as { scenarios?: unknown };
  } catch (err) {
    throw new EnvError('ENV_ERR_INFRA', `the scenario index ${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(data.scenarios)) throw new EnvError('ENV_ERR_INFRA', `the scenario index ${file}: expected a "scenarios" list`);
  const entries = data.scenarios as Partial<ScenarioEntry>[];
  const problems = entries.flatMap((e, i) => problemsOf(e, `scenarios[${i}]`));
  const ids = entries.map((e) => e.id);
  for (const id of new Set(ids)) if (ids.filter((x) => x === id).length > 1) problems.push(`scenario id ${JSON.stringify(id)} is listed twice`);
  if (problems.length > 0) throw new EnvError('ENV_ERR_INFRA', `the scenario index ${file} cannot be used: ${problems.join('; ')}`);
  return { dir, scenarios: entries as ScenarioEntry[] };
}

/** The text of one of a scenario's files (incident, hints, walkthrough). */
export async function readScenarioFile(index: ScenarioIndex, name: string): Promise<string> {
  const file = path.join(index.dir, name);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new EnvError('ENV_ERR_INFRA', `cannot read the scenario file ${file}: ${(err as Error).message}`, { cause: err });
  }
}
