import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraderError } from './errors.ts';
import { sha256Hex } from './hash.ts';
import { variantsOf, type BugEntry, type FixVariant, type VariantKind } from './manifest.ts';
import { applyPatchFile, patchedFiles } from './materialize.ts';

// Alternatives and wrong fixes: patches in the gold fix's form, stored beside it (paths relative to
// the manifest's directory). These are the checks that need no suite run.

/** Files a fix may never touch: grading restores them, so a fix there would be a fix nobody can make. */
export const PROTECTED = [/^tests\//, /^jest\.config\.[cm]?js$/, /^package(-lock)?\.json$/];

export const KIND_LABEL: Readonly<Record<VariantKind, string>> = { alternative: 'alternative', 'wrong-fix': 'wrong fix' };

export function variantFile(manifestDir: string, v: FixVariant): string {
  return path.join(manifestDir, v.patch);
}

/** Problems of a patch's text: CR characters, no file changed, a protected file changed. */
export function patchTextProblems(label: string, patch: Buffer): string[] {
  const problems: string[] = [];
  if (patch.includes(0x0d)) problems.push(`${label} has CR characters: patches are LF only`);
  const touched = patchedFiles(patch.toString('utf8'));
  if (touched.length === 0) problems.push(`${label} changes no file`);
  for (const f of touched) {
    if (PROTECTED.some((re) => re.test(f))) problems.push(`${label} changes ${f}, which grading restores: a fix may only touch source files`);
  }
  return problems;
}

/** Reads a variant's patch; a missing file or a recorded sha256 that does not match is a GraderError. */
export async function readVariant(bug: BugEntry, v: FixVariant, manifestDir: string): Promise<Buffer> {
  const file = variantFile(manifestDir, v);
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    throw new GraderError('GRADER_ERR_FIX_MISSING', `${v.patch} of ${bug.id} not found: ${file}`, { details: { bug: bug.id, file } });
  }
  if (v.sha256 !== undefined && sha256Hex(data) !== v.sha256) {
    throw new GraderError('GRADER_ERR_FIX_SHA_MISMATCH', `${v.patch} of ${bug.id} has sha256 ${sha256Hex(data)}, the manifest records ${v.sha256}`, { details: { bug: bug.id, file } });
  }
  return data;
}

/** Static problems of every alternative and wrong fix of a bug (present, sha256, LF, no protected file). */
export async function variantStaticProblems(bug: BugEntry, manifestDir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const kind of ['alternative', 'wrong-fix'] as const) {
    for (const v of variantsOf(bug, kind)) {
      try {
        problems.push(...patchTextProblems(`${KIND_LABEL[kind]} ${v.patch}`, await readVariant(bug, v, manifestDir)));
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
  }
  return problems;
}

/**
 * The files two patches produce from the same tree, compared: true when they leave every touched
 * file with the same content (an "alternative" that is the gold fix again). Works on a scratch copy
 * of just the touched files, so it costs no tree copy.
 */
export async function samePatchedContent(treeDir: string, patchA: string, patchB: string): Promise<boolean> {
  const touched = [...new Set([
    ...patchedFiles(await readFile(patchA, 'utf8')),
    ...patchedFiles(await readFile(patchB, 'utf8')),
  ])];
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'datanexus-variant-'));
  try {
    const contents: Array<Map<string, string | null>> = [];
    for (const [i, patch] of [patchA, patchB].entries()) {
      const dir = path.join(scratch, String(i));
      await mkdir(dir);
      for (const f of touched) {
        const src = path.join(treeDir, f);
        if (!existsSync(src)) continue;
        await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
        await cp(src, path.join(dir, f));
      }
      await applyPatchFile(dir, patch, path.basename(patch));
      const files = new Map<string, string | null>();
      for (const f of touched) files.set(f, existsSync(path.join(dir, f)) ? await readFile(path.join(dir, f), 'utf8') : null);
      contents.push(files);
    }
    return touched.every((f) => contents[0]!.get(f) === contents[1]!.get(f));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
