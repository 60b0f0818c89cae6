import { materialize, type MaterializeResult } from '../materialize.ts';
import { type CommandOutcome, type CommonOptions, parseBugList, resolveOpt } from './shared.ts';

export interface MaterializeCommandOptions extends CommonOptions {
  /** "all", "none" or comma-separated ids. */
  bugs: string;
  out: string;
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  linkNodeModules?: boolean;
}

export async function materializeCommand(opts: MaterializeCommandOptions): Promise<CommandOutcome<MaterializeResult>> {
  const bugs = opts.bugs === 'all' || opts.bugs === 'none' ? opts.bugs : parseBugList(opts.bugs);
  const targetDir = resolveOpt(opts.cwd, opts.targetDir);
  const manifestPath = resolveOpt(opts.cwd, opts.manifestPath);
  const fixesDir = resolveOpt(opts.cwd, opts.fixesDir);
  const result = await materialize({
    bugs,
    out: resolveOpt(opts.cwd, opts.out)!,
    ...(targetDir ? { targetDir } : {}),
    ...(manifestPath ? { manifestPath } : {}),
    ...(fixesDir ? { fixesDir } : {}),
    ...(opts.linkNodeModules ? { linkNodeModules: true } : {}),
  });
  const present = result.bugsPresent.length > 0 ? result.bugsPresent.join(', ') : 'none';
  return { exitCode: 0, json: result, text: `materialized ${result.out}\n  bugs present: ${present}\n  content hash: ${result.contentHash}` };
}
