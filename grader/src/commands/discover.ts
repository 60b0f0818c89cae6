import { describeMasking } from '../masking.ts';
import { discover, type DiscoverReport } from '../discover/index.ts';
import type { ProgressFn } from '../progress.ts';
import type { CommandRunner } from '../types.ts';
import { type CommandOutcome, type CommonOptions, parseBugList, preflightFor, resolveOpt } from './shared.ts';

export { discover, type DiscoverOptions, type DiscoverReport, type DiscoveredBug } from '../discover/index.ts';

export function renderDiscovery(r: DiscoverReport): string {
  const lines: string[] = [];
  for (const b of r.bugs) {
    const delta = `was ${b.previous.length}; +${b.added.length} −${b.removed.length}`;
    const state = b.ok ? (b.written ? 'written' : 'found') : 'NOT USABLE';
    lines.push(`${b.id}: ${b.failToPass.length} failToPass test(s) (${delta}) — ${state}`);
    for (const p of b.problems) lines.push(`  - ${p}`);
  }
  const changed = r.masking.filter((m) => m.recorded.join() !== m.dependsOn.join());
  for (const m of changed) {
    const total = r.bugs.find((b) => b.id === m.id)?.failToPass.length;
    lines.push(`${m.id}: dependsOn measured [${m.dependsOn.join(', ')}]${total ? ` (${describeMasking({ ...m, ownTests: [] }, total)})` : ''}, recorded [${m.recorded.join(', ')}]${r.written ? ' — written' : ''}`);
  }
  if (r.fullyMasked.length > 0) lines.push(`fully masked (every failToPass test also fails for another bug): ${r.fullyMasked.join(', ')}`);
  lines.push(`${r.bugs.length} bug(s), ${r.repeat} run(s) each, pristine suite ${r.inventorySize} tests, ${(r.durationMs / 1000).toFixed(1)} s${r.written ? `; manifest updated: ${r.manifest}` : ''}`);
  return lines.join('\n');
}

export interface DiscoverCommandOptions extends CommonOptions {
  /** Comma-separated ids; default every active bug. */
  bugs?: string;
  repeat?: number;
  /** Whole suite for every bug instead of the files its fix can affect. */
  full?: boolean;
  write?: boolean;
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  timeoutMs?: number;
  preflight?: boolean;
  progress?: ProgressFn;
  runner?: CommandRunner;
}

export async function discoverCommand(opts: DiscoverCommandOptions): Promise<CommandOutcome<DiscoverReport>> {
  const targetDir = resolveOpt(opts.cwd, opts.targetDir);
  const manifestPath = resolveOpt(opts.cwd, opts.manifestPath);
  const fixesDir = resolveOpt(opts.cwd, opts.fixesDir);
  const preflight = preflightFor(opts.preflight);
  const report = await discover({
    ...(opts.bugs !== undefined ? { bugs: parseBugList(opts.bugs) } : {}),
    ...(opts.repeat !== undefined ? { repeat: opts.repeat } : {}),
    ...(opts.write ? { write: true } : {}),
    ...(opts.full ? { full: true } : {}),
    ...(targetDir ? { targetDir } : {}),
    ...(manifestPath ? { manifestPath } : {}),
    ...(fixesDir ? { fixesDir } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(preflight ? { preflight } : {}),
    ...(opts.progress ? { progress: opts.progress } : {}),
    ...(opts.runner ? { runner: opts.runner } : {}),
  });
  return { exitCode: report.ok ? 0 : 1, json: report, text: renderDiscovery(report) };
}
