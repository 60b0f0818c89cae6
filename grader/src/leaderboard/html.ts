import type { AgentRow, Leaderboard, SolveCell } from './build.ts';
import { fixed, pct, seconds, solveText } from './format.ts';
import { barChart, esc, heatmap, scatter, type HeatCell } from './svg.ts';

// leaderboard.html: one self-contained file. No script, no external stylesheet, font or image;
// the Content-Security-Policy forbids any fetch, so the report cannot reach the network.

const CSS = `body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;white-space:nowrap}td.num{text-align:right}
th{background:#f4f4f4}.warn{background:#fff4e0;border:1px solid #f0c36d;padding:.6rem 1rem}
.muted{color:#666}figure{margin:1rem 0 2rem}figcaption{font-weight:600;margin-bottom:.4rem}`;

function solveCell(c: SolveCell | undefined, what: string): HeatCell | undefined {
  if (!c) return undefined;
  return { rate: c.rate, label: c.scored === 0 ? 'infra' : pct(c.rate), title: `${what}: ${solveText(c)}` };
}

function agentTable(rows: AgentRow[]): string {
  const head = ['rank', 'agent', 'mean reward', '95% CI', 'solved', 'episodes', 'infra errors', 'rejected', 'mean steps', 'mean wall'];
  const body = rows.map((r, i) => [String(i + 1), r.key, fixed(r.meanReward), r.rewardCI ? `[${fixed(r.rewardCI.low)}, ${fixed(r.rewardCI.high)}]` : '—',
    `${r.resolved}/${r.scored} (${pct(r.solveRate)})`, String(r.episodes), String(r.infraErrors), String(r.rejected), fixed(r.meanSteps, 1), seconds(r.meanWallMs)]);
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c, i) => `<td${i === 1 ? '' : ' class="num"'}>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function figure(caption: string, content: string): string {
  return `<figure><figcaption>${esc(caption)}</figcaption>${content}</figure>`;
}

function plots(lb: Leaderboard): string[] {
  const rows = lb.agents;
  const keys = rows.map((r) => r.key);
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const minReward = Math.min(0, ...rows.map((r) => r.rewardCI?.low ?? r.meanReward ?? 0));
  const out = [figure('Mean reward per agent, with 95% bootstrap intervals', barChart(rows.map((r) => ({
    label: r.key, value: r.meanReward, low: r.rewardCI?.low ?? null, high: r.rewardCI?.high ?? null,
    note: r.meanReward === null ? `no graded episode (${r.infraErrors} infra error(s))` : `${r.scored} graded`,
  })), { label: 'mean reward per agent', min: minReward, max: Math.max(1, ...rows.map((r) => r.rewardCI?.high ?? 0)) }))];
  if (lb.classes.length > 0) out.push(figure('Solve rate by bug class', heatmap(keys, lb.classes, (a, c) => solveCell(byKey.get(a)!.byClass[c], `${a} · ${c}`), 'solve rate by bug class')));
  if (lb.services.length > 0) out.push(figure('Solve rate by service', heatmap(keys, lb.services, (a, c) => solveCell(byKey.get(a)!.byService[c], `${a} · ${c}`), 'solve rate by service')));
  if (lb.categories.length > 0) {
    out.push(figure('Pass rate by test category (final grades)', heatmap(keys, lb.categories, (a, c) => {
      const v = byKey.get(a)!.byCategory[c];
      return v ? { rate: v.rate, label: pct(v.rate), title: `${a} · ${c}: ${v.passed}/${v.total} passed` } : undefined;
    }, 'pass rate by category')));
  }
  const graded = lb.points.filter((p) => p.reward !== null);
  out.push(figure('Reward against steps (one point per graded episode)', scatter(
    graded.map((p) => ({ x: p.steps, y: p.reward as number, series: keys.indexOf(p.agent), title: `${p.agent} · ${p.task} seed ${p.seed}: reward ${(p.reward as number).toFixed(3)} in ${p.steps} step(s), ${p.outcome}` })),
    keys, { label: 'reward against steps', xLabel: 'steps', yLabel: 'reward' },
  )));
  const infra = lb.points.filter((p) => p.reward === null);
  if (infra.length > 0) out.push(`<p class="muted">${infra.length} infra-error episode(s) have no reward and are not plotted: ${esc(infra.map((p) => `${p.agent} · ${p.task}`).join(', '))}.</p>`);
  return out;
}

export function renderHtml(lb: Leaderboard): string {
  const apart = lb.runs.filter((r) => !r.comparable);
  const warn = apart.length === 0 ? '' : `<div class="warn"><strong>Not comparable, set apart:</strong><ul>${apart.map((r) => `<li><code>${esc(r.dir)}</code> (${esc(r.agents.join(', '))}): ${esc(r.reasons.join('; '))}</li>`).join('')}</ul>${agentTable(lb.notComparable)}</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DataNexus Gym leaderboard</title><style>${CSS}</style></head>
<body><h1>DataNexus Gym leaderboard</h1>
<p class="muted">Grader ${esc(lb.reference.graderVersion ?? '—')} · ${lb.runs.length} run(s) · ${Object.keys(lb.reference.taskHashes).length} task(s) ·
95% percentile bootstrap of the mean reward, ${lb.bootstrap.resamples} resamples, seed ${lb.bootstrap.seed}. Infra errors are counted apart, never as a reward of 0.</p>
${agentTable(lb.agents)}
${warn}
${plots(lb).join('\n')}
<h2>Runs</h2><table><thead><tr><th>run</th><th>directory</th><th>agents</th><th>episodes</th><th>comparable</th></tr></thead><tbody>
${lb.runs.map((r) => `<tr><td>${esc(r.runId)}</td><td>${esc(r.dir)}</td><td>${esc(r.agents.join(', '))}</td><td class="num">${r.episodes}</td><td>${r.comparable ? 'yes' : 'no'}</td></tr>`).join('\n')}
</tbody></table>
</body></html>
`;
}
