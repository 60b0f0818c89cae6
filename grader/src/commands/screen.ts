import path from 'node:path';
import { DEFAULT_MANIFEST_PATH } from '../paths.ts';
import { changedFiles } from '../screen/changed.ts';
import { recordedPatches } from '../screen/recorded.ts';
import { screenPatchFiles, screenTree, type ScreenFinding } from '../screen/screen.ts';
import { GraderError } from '../errors.ts';
import { type CommandOutcome, type CommonOptions, resolveOpt } from './shared.ts';

export interface ScreenCommandOptions extends CommonOptions {
  /** A tree to screen against `pristine`. */
  dir?: string;
  pristine?: string;
  /** Patches to screen; default (no dir, no patch): every patch the manifest records. */
  patches?: string[];
  manifestPath?: string;
}

export interface ScreenCommandJson {
  screened: string[];
  findings: Array<ScreenFinding & { patch?: string }>;
}

function render(json: ScreenCommandJson): string {
  const lines = json.findings.map((f) => `${f.patch ? `${f.patch}: ` : ''}${f.file}:${f.line} ${f.rule}: ${JSON.stringify(f.match)} (${f.reason})`);
  return [...lines, `${json.findings.length} finding(s) in ${json.screened.length} screened ${json.screened.length === 1 ? 'item' : 'items'}`].join('\n');
}

/** The tampering screen on a tree (against its pristine task tree) or on patches. Exit 1 when anything is found. */
export async function screenCommand(opts: ScreenCommandOptions): Promise<CommandOutcome<ScreenCommandJson>> {
  let json: ScreenCommandJson;
  if (opts.dir !== undefined) {
    if (!opts.pristine) throw new GraderError('GRADER_ERR_USAGE', 'screen <dir> needs --pristine <dir>, the task tree the changes are measured against');
    const dir = path.resolve(opts.cwd, opts.dir);
    const pristine = path.resolve(opts.cwd, opts.pristine);
    const files = await changedFiles(pristine, dir);
    json = { screened: files, findings: await screenTree(pristine, dir, files) };
  } else {
    const patches = opts.patches?.length
      ? opts.patches.map((p) => path.resolve(opts.cwd, p))
      : await recordedPatches(resolveOpt(opts.cwd, opts.manifestPath) ?? DEFAULT_MANIFEST_PATH);
    json = { screened: patches, findings: await screenPatchFiles(patches) };
  }
  return { exitCode: json.findings.length > 0 ? 1 : 0, json, text: render(json) };
}
