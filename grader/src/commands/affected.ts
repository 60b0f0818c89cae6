import { existsSync } from 'node:fs';
import path from 'node:path';
import { affectedFiles, normalizeChangedPath, type Affected, type Change } from '../depmap/affected.ts';
import { allFixedDepMap } from '../depmap/store.ts';
import { GraderError } from '../errors.ts';
import { DEFAULT_TARGET_DIR } from '../paths.ts';
import { type CommandOutcome, type CommonOptions, preflightFor, resolveOpt } from './shared.ts';

export interface AffectedCommandOptions extends CommonOptions {
  /** Paths relative to the target: modified when the target has them, added when it does not. */
  changed: string[];
  /** Paths relative to the target that the change removes. */
  removed?: string[];
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  refresh?: boolean;
  preflight?: boolean;
}

export interface AffectedCommandJson extends Affected {
  changes: Change[];
  treeHash: string;
  mapFile: string;
  mapCached: boolean;
  testFiles: number;
}

/** Changed paths as changes: a path the target does not have is added, one it has is modified. */
export function changesOf(targetDir: string, changed: string[], removed: string[]): Change[] {
  const out: Change[] = [];
  const norm = (p: string): string => {
    try {
      return normalizeChangedPath(p);
    } catch (err) {
      throw new GraderError('GRADER_ERR_INVALID_OPTION', (err as Error).message);
    }
  };
  for (const p of changed) {
    const rel = norm(p);
    out.push({ path: rel, kind: existsSync(path.join(targetDir, rel)) ? 'modified' : 'added' });
  }
  for (const p of removed) out.push({ path: norm(p), kind: 'removed' });
  return out;
}

/** `affected`: the test files of the all-fixed tree whose results the changed files can affect. */
export async function affectedCommand(opts: AffectedCommandOptions): Promise<CommandOutcome<AffectedCommandJson>> {
  const targetDir = resolveOpt(opts.cwd, opts.targetDir) ?? DEFAULT_TARGET_DIR;
  const manifestPath = resolveOpt(opts.cwd, opts.manifestPath);
  const fixesDir = resolveOpt(opts.cwd, opts.fixesDir);
  const changes = changesOf(targetDir, opts.changed, opts.removed ?? []);
  const preflight = preflightFor(opts.preflight);
  const { map, cached, file } = await allFixedDepMap({
    targetDir, ...(manifestPath ? { manifestPath } : {}), ...(fixesDir ? { fixesDir } : {}),
    ...(opts.refresh ? { refresh: true } : {}), ...(preflight ? { preflight } : {}),
  });
  const affected = affectedFiles(map, changes);
  const json: AffectedCommandJson = { ...affected, changes, treeHash: map.treeHash, mapFile: file, mapCached: cached, testFiles: Object.keys(map.files).length };
  const head = affected.everything
    ? `every test file (${json.testFiles}): ${affected.everything}`
    : `${affected.files.length} of ${json.testFiles} test files affected`;
  const lines = affected.everything ? [] : affected.files.map((f) => `  ${f}  (${affected.reasons[f] ?? ''})`);
  return { exitCode: 0, json, text: [head, ...lines].join('\n') };
}
