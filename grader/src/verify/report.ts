import { readFile, writeFile } from 'node:fs/promises';
import type { VerifyReport } from './types.ts';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function bugTable(r: VerifyReport): string[] {
  const ids = Object.keys(r.bugs);
  if (ids.length === 0) return [];
  const lines = [
    '| bug | verdict | stability | alternatives passed | wrong fixes caught | dependsOn (measured: bug (tests masked/failToPass)) | problems |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const id of ids) {
    const b = r.bugs[id]!;
    const own = b.problems.filter((p) => !p.startsWith('(global)'));
    const masking = `${b.masking}${b.fullyMasked ? ' **fully masked**' : ''}`;
    lines.push(`| ${id} | ${b.ok ? (b.reused ? 'ok (kept: inputs unchanged)' : b.keptRuns ? `ok (${b.keptRuns} run(s) kept, topped up)` : 'ok') : 'FAILED'} | ${b.stability} | ${b.alternatives ?? 'none'} | ${b.wrongFixesCaught ?? 'none'} | ${masking} | ${own.map(cell).join('<br>')} |`);
  }
  return [...lines, ''];
}

/** The human summary (also what the CLI prints without --json). */
export function renderReport(r: VerifyReport): string {
  const lines: string[] = [];
  lines.push(`# Manifest verification: ${r.ok ? 'PASSED' : 'FAILED'}`, '');
  lines.push(`- date: ${r.date}`, `- target: ${r.target} (sha256 ${r.targetHash})`, `- grader: ${r.graderVersion}`, `- mode: ${r.mode}, ${r.repeat} run(s) per check, bug and variant trees ran ${r.selection === 'affected' ? 'the test files their patches can affect' : 'the whole suite'}`);
  lines.push(`- bug validity v2 enforced (requireValidity): ${r.requireValidity ? 'yes' : 'no: missing alternatives / wrong fixes and stale dependsOn are warnings'}`);
  lines.push(`- pristine suite: ${r.inventorySize} tests`, `- duration: ${(r.durationMs / 1000).toFixed(1)} s`, '');
  if (r.problems.length > 0) {
    lines.push('## Manifest-wide problems', '');
    for (const p of r.problems) lines.push(`- ${p.replace(/\n/g, ' ')}`);
    lines.push('');
  }
  lines.push(...bugTable(r));
  if (r.fullyMasked.length > 0) {
    lines.push('## Fully masked bugs', '', 'Every failToPass test of these also fails for another bug: while that bug is present, fixing them changes no test.', '');
    lines.push(`- ${r.fullyMasked.join(', ')}`, '');
  }
  const warned = Object.entries(r.bugs).filter(([, b]) => b.warnings.length > 0);
  if (r.warnings.length > 0 || warned.length > 0) {
    lines.push('## Warnings', '');
    for (const w of r.warnings) lines.push(`- ${w}`);
    for (const [id, b] of warned) lines.push(`- ${id}: ${b.warnings.join('; ')}`);
    lines.push('');
  }
  const failed = r.checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    lines.push('## Failed checks', '');
    for (const c of failed) lines.push(`- ${c.label}: ${c.detail ?? 'failed'}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

export async function writeReport(report: VerifyReport, reportFile: string): Promise<void> {
  await writeFile(reportFile, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(reportFile.replace(/\.json$/, '') + '.md', renderReport(report));
}

export async function readReport(file: string): Promise<VerifyReport> {
  return JSON.parse(await readFile(file, 'utf8')) as VerifyReport;
}
