import { inventoryDetails, type InventoryDetails } from '../inventory.ts';
import type { CommandRunner } from '../types.ts';
import { type CommandOutcome, type CommonOptions, preflightFor, resolveOpt } from './shared.ts';

export interface InventoryCommandOptions extends CommonOptions {
  targetDir?: string;
  manifestPath?: string;
  refresh?: boolean;
  preflight?: boolean;
  runner?: CommandRunner;
}

export type InventoryCommandJson = InventoryDetails & { count: number };

export async function inventoryCommand(opts: InventoryCommandOptions): Promise<CommandOutcome<InventoryCommandJson>> {
  const targetDir = resolveOpt(opts.cwd, opts.targetDir);
  const manifestPath = resolveOpt(opts.cwd, opts.manifestPath);
  const preflight = preflightFor(opts.preflight);
  const inv = await inventoryDetails({
    ...(targetDir ? { targetDir } : {}),
    ...(manifestPath ? { manifestPath } : {}),
    ...(opts.refresh ? { refresh: true } : {}),
    ...(preflight ? { preflight } : {}),
    ...(opts.runner ? { runner: opts.runner } : {}),
  });
  const json = { ...inv, count: inv.tests.length };
  return { exitCode: 0, json, text: `${json.count} tests${inv.cached ? ' (cached)' : ''}\n  source hash: ${inv.sourceHash}\n  file: ${inv.file}` };
}
