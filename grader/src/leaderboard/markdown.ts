import type { AgentRow, Leaderboard } from './build.ts';
import { fixed, pct, seconds, solveText } from './format.ts';

const esc = (s: string): string => s.replace(/\|/g, '\\|');

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.map(esc).join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)];
}

function ci(r: AgentRow): string {
  return r.rewardCI ? `[${fixed(r.rewardCI.low)}, ${fixed(r.rewardCI.high)}]` : '—';
}

function mainTable(rows: AgentRow[]): string[] {
  return table(
    ['rank', 'agent', 'mean reward', '95% CI', 'solved', 'episodes', 'infra errors', 'rejected', 'mean steps', 'mean wall'],
    rows.map((r, i) => [String(i + 1), r.key, fixed(r.meanReward), ci(r), `${r.resolved}/${r.scored} (${pct(r.solveRate)})`,
      String(r.episodes), String(r.infraErrors), String(r.rejected), fixed(r.meanSteps, 1), seconds(r.meanWallMs)]),
  );
}

function matrix(title: string, rows: AgentRow[], columns: string[], pick: (r: AgentRow) => Record<string, Parameters<typeof solveText>[0]>): string[] {
  if (columns.length === 0) return [];
  return [`## ${title}`, '', ...table(['agent', ...columns], rows.map((r) => [r.key, ...columns.map((c) => solveText(pick(r)[c]))])), ''];
}

/** leaderboard.md: the same figures as leaderboard.json, for a pull request or a wiki page. */
export function renderMarkdown(lb: Leaderboard): string {
  const rows = lb.agents;
  const out: string[] = ['# DataNexus Gym leaderboard', ''];
  out.push(`Grader ${lb.reference.graderVersion ?? '—'}; ${lb.runs.length} run(s); ${Object.keys(lb.reference.taskHashes).length} task(s). `
    + `95% intervals: percentile bootstrap of the mean reward, ${lb.bootstrap.resamples} resamples, seed ${lb.bootstrap.seed}. `
    + 'Infra errors are episodes the environment could not grade: counted apart, never as a reward of 0.', '');
  out.push(...mainTable(rows), '');
  out.push(...matrix('Solve rate by bug class', rows, lb.classes, (r) => r.byClass));
  out.push(...matrix('Solve rate by service', rows, lb.services, (r) => r.byService));
  if (lb.categories.length > 0) {
    out.push('## Pass rate by test category', '', ...table(['agent', ...lb.categories],
      rows.map((r) => [r.key, ...lb.categories.map((c) => { const v = r.byCategory[c]; return v ? `${v.passed}/${v.total} (${pct(v.rate)})` : ''; })])), '');
  }
  const tasks = Object.keys(lb.reference.taskHashes);
  out.push(...matrix('Per task', rows, tasks, (r) => r.byTask));
  const apart = lb.runs.filter((r) => !r.comparable);
  if (apart.length > 0) {
    out.push('## Not comparable (set apart, not ranked)', '');
    for (const r of apart) out.push(`- \`${r.dir}\` (${r.agents.join(', ')}): ${r.reasons.join('; ')}`);
    out.push('', ...mainTable(lb.notComparable), '');
  }
  out.push('## Runs', '', ...table(['run', 'directory', 'agents', 'episodes', 'comparable'],
    lb.runs.map((r) => [r.runId, r.dir, r.agents.join(', '), String(r.episodes), r.comparable ? 'yes' : 'no'])), '');
  return `${out.join('\n')}\n`;
}
