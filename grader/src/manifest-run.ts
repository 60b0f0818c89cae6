import path from 'node:path';
import { GraderError } from './errors.ts';
import { activeBugs, loadManifest, selectBugs, type BugEntry, type Manifest } from './manifest.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_TARGET_DIR, defaultFixesDir } from './paths.ts';

/** What verify and discover both start from: where things are, the manifest, the bugs asked for. */
export interface ManifestRun {
  repeat: number;
  liveTargetDir: string;
  manifestPath: string;
  fixesDir: string;
  manifest: Manifest;
  selected: BugEntry[];
}

export async function resolveManifestRun(
  opts: { repeat?: number; targetDir?: string; manifestPath?: string; fixesDir?: string; bugs?: string[] },
  repeat: number,
): Promise<ManifestRun> {
  if (!Number.isInteger(repeat) || repeat < 1) throw new GraderError('GRADER_ERR_INVALID_OPTION', `repeat must be an integer ≥ 1, got ${String(opts.repeat)}`);
  const liveTargetDir = path.resolve(opts.targetDir ?? DEFAULT_TARGET_DIR);
  const manifestPath = path.resolve(opts.manifestPath ?? DEFAULT_MANIFEST_PATH);
  const fixesDir = path.resolve(opts.fixesDir ?? defaultFixesDir(manifestPath));
  const manifest = await loadManifest(manifestPath);
  const selected = opts.bugs ? selectBugs(manifest, opts.bugs) : activeBugs(manifest);
  return { repeat, liveTargetDir, manifestPath, fixesDir, manifest, selected };
}
