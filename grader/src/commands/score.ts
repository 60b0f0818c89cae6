import { loadManifest } from '../manifest.ts';
import { score, type Grade } from '../score.ts';
import { type CommandOutcome, type CommonOptions, readResultsFile, resolveOpt } from './shared.ts';

export interface ScoreCommandOptions extends CommonOptions {
  results: string;
  baseline?: string;
  steps?: number;
  maxSteps?: number;
  manifestPath?: string;
  mode?: 'reward' | 'resolved';
  taskBugs?: string[];
}

export function renderGrade(g: Grade): string {
  if (g.outcome === 'infra-error') return `infra-error: ${g.infraError?.message ?? 'the suite could not run'} (no reward)`;
  if (g.outcome === 'rejected') {
    const found = (g.rejection?.findings ?? []).map((f) => `  ${f.file}:${f.line} ${f.rule}: ${JSON.stringify(f.match)}`);
    return [`reward 0 (rejected: ${g.rejection?.reason ?? 'tampering'}; no test ran)`, ...found].join('\n');
  }
  const cats = Object.entries(g.categories).filter(([, c]) => c.total > 0).map(([name, c]) => `${name} ${c.passed}/${c.total}`).join(', ');
  return [
    `reward ${g.reward} (${g.mode} mode, ${g.outcome})`,
    `  weighted pass rate ${g.weightedPassRate} → base ${g.base}`,
    `  + category ${g.categoryBonus} + chaos ${g.chaosBonus} + bugs ${g.bugBonus} + efficiency ${g.efficiencyBonus} − regression ${g.regressionPenalty}`,
    `  categories: ${cats || 'none'}`,
    `  bugs fixed: ${g.bugsFixed.length > 0 ? g.bugsFixed.join(', ') : 'none'}`,
  ].join('\n');
}

/** Pure scoring of a results file against the manifest. */
export async function scoreCommand(opts: ScoreCommandOptions): Promise<CommandOutcome<Grade>> {
  const results = await readResultsFile(resolveOpt(opts.cwd, opts.results)!, 'results');
  const baselinePath = resolveOpt(opts.cwd, opts.baseline);
  const baseline = baselinePath ? await readResultsFile(baselinePath, 'baseline') : undefined;
  const manifest = await loadManifest(resolveOpt(opts.cwd, opts.manifestPath));
  const grade = score(results, {
    manifest,
    ...(baseline ? { baseline } : {}),
    ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
    ...(opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {}),
    ...(opts.mode ? { mode: opts.mode } : {}),
    ...(opts.taskBugs ? { taskBugs: opts.taskBugs } : {}),
  });
  return { exitCode: 0, json: grade, text: renderGrade(grade) };
}
