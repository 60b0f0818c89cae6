import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { GraderError } from './errors.ts';
import { hashTree, sha256Hex } from './hash.ts';
import { activeBugs, loadManifest, selectBugs, type BugEntry, type Manifest } from './manifest.ts';
import { DEFAULT_MANIFEST_PATH, DEFAULT_TARGET_DIR, defaultFixesDir } from './paths.ts';

/** Never copied out of target/: dependencies are linked, history would reveal the bugs. */
const COPY_EXCLUDED = new Set(['node_modules', '.git']);

export interface MaterializeOptions {
  bugs: 'all' | 'none' | string[];
  out: string;
  targetDir?: string;
  manifestPath?: string;
  fixesDir?: string;
  /** Symlink out/node_modules to this directory (true: the target's node_modules), so jest can run in the tree. */
  linkNodeModules?: boolean | string;
  /** An already loaded manifest (verify loads it once). */
  manifest?: Manifest;
}

export interface MaterializeResult {
  out: string;
  bugsPresent: string[];
  contentHash: string;
}

export function fixPath(bug: BugEntry, fixesDir: string): string {
  return path.join(fixesDir, path.basename(bug.fix));
}

/** Reads a fix patch and checks it is the one the manifest recorded. */
export async function readFix(bug: BugEntry, fixesDir: string): Promise<Buffer> {
  const file = fixPath(bug, fixesDir);
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    throw new GraderError('GRADER_ERR_FIX_MISSING', `fix patch of ${bug.id} not found: ${file}`, { details: { bug: bug.id, file } });
  }
  const sha = sha256Hex(data);
  if (sha !== bug.fixSha256) {
    throw new GraderError('GRADER_ERR_FIX_SHA_MISMATCH', `fix patch of ${bug.id} has sha256 ${sha}, the manifest records ${bug.fixSha256} (${file})`, { details: { bug: bug.id, file, actual: sha, expected: bug.fixSha256 } });
  }
  return data;
}

function gitEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('GIT_')) env[k] = v;
  // without a ceiling, `git apply` in a tree that sits inside another repository (a temp dir under
  // the repo, say) applies paths relative to that repository's top and silently skips the rest
  env.GIT_CEILING_DIRECTORIES = path.dirname(path.resolve(dir));
  return env;
}

/**
 * Applies a patch file to a tree (paths relative to the tree, `a/…` `b/…`); `check` only tests
 * that it would apply. `what` names the patch in the error ("fix patch of L4").
 */
export async function applyPatchFile(dir: string, file: string, what: string, opts: { bug?: string; check?: boolean } = {}): Promise<void> {
  const abs = path.resolve(file);
  const args = ['apply', ...(opts.check ? ['--check'] : []), '--whitespace=nowarn', '-p1', abs];
  const r = await execa('git', args, { cwd: dir, env: gitEnv(dir), extendEnv: false, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    const why = `${r.stderr}`.trim() || r.shortMessage;
    throw new GraderError('GRADER_ERR_PATCH_FAILED', `${what} does not apply: ${why}`, { details: { ...(opts.bug ? { bug: opts.bug } : {}), file: abs, stderr: r.stderr } });
  }
}

/** Applies one bug's fix patch to a tree (paths relative to the tree, `a/…` `b/…`). */
export async function applyFix(dir: string, bug: BugEntry, fixesDir: string): Promise<void> {
  await readFix(bug, fixesDir);
  await applyPatchFile(dir, fixPath(bug, fixesDir), `fix patch of ${bug.id}`, { bug: bug.id });
}

/** Files a patch touches (from its +++/--- headers), relative to the tree. */
export function patchedFiles(patch: string): string[] {
  const files = new Set<string>();
  for (const line of patch.split('\n')) {
    const m = /^(?:\+\+\+|---) (?:[ab]\/)?(.+?)\s*$/.exec(line);
    if (m && m[1] !== '/dev/null') files.add(m[1]!);
  }
  return [...files].sort();
}

async function isEmptyDir(dir: string): Promise<boolean> {
  return (await readdir(dir)).length === 0;
}

/** Copies a target tree without node_modules and .git. */
export async function copyTarget(targetDir: string, out: string): Promise<void> {
  const src = path.resolve(targetDir);
  await cp(src, out, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (from) => !COPY_EXCLUDED.has(path.basename(from)) || path.resolve(from) === src,
  });
}

/**
 * The frozen copy a long command (verify, discover) works on: people keep editing target/ while it
 * runs, and a mix of two versions would prove nothing. A missing target is GRADER_ERR_FILE_NOT_FOUND.
 */
export async function snapshotTarget(liveTargetDir: string, out: string): Promise<void> {
  try {
    await copyTarget(liveTargetDir, out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new GraderError('GRADER_ERR_FILE_NOT_FOUND', `target not found: ${liveTargetDir}`);
    throw err;
  }
}

/**
 * Builds the target with exactly the wanted bugs present: the shipped tree (which has every bug)
 * plus the fix patch of every other active bug, applied in manifest order. Retired bugs are not in
 * the shipped tree and cannot be asked for. The output holds no manifest, patch or git history.
 */
export async function materialize(opts: MaterializeOptions): Promise<MaterializeResult> {
  const targetDir = path.resolve(opts.targetDir ?? DEFAULT_TARGET_DIR);
  const manifestPath = path.resolve(opts.manifestPath ?? DEFAULT_MANIFEST_PATH);
  const fixesDir = path.resolve(opts.fixesDir ?? defaultFixesDir(manifestPath));
  const out = path.resolve(opts.out);
  const manifest = opts.manifest ?? (await loadManifest(manifestPath));

  let present: BugEntry[];
  if (opts.bugs === 'all') present = activeBugs(manifest);
  else if (opts.bugs === 'none') present = [];
  else if (Array.isArray(opts.bugs)) present = selectBugs(manifest, opts.bugs);
  else throw new GraderError('GRADER_ERR_INVALID_OPTION', `bugs must be "all", "none" or a list of ids, got ${JSON.stringify(opts.bugs)}`);
  const presentIds = new Set(present.map((b) => b.id));
  const toFix = activeBugs(manifest).filter((b) => !presentIds.has(b.id));

  if (!existsSync(targetDir) || !(await stat(targetDir)).isDirectory()) throw new GraderError('GRADER_ERR_FILE_NOT_FOUND', `target not found: ${targetDir}`);
  const relToTarget = path.relative(targetDir, out);
  if (relToTarget === '' || (!relToTarget.startsWith('..') && !path.isAbsolute(relToTarget))) {
    throw new GraderError('GRADER_ERR_INVALID_OPTION', `--out must be outside the target (${targetDir}), got ${out}`);
  }
  let created = false;
  if (existsSync(out)) {
    if (!(await stat(out)).isDirectory() || !(await isEmptyDir(out))) throw new GraderError('GRADER_ERR_OUT_EXISTS', `output directory exists and is not empty: ${out}`);
  } else {
    await mkdir(path.dirname(out), { recursive: true });
    created = true;
  }
  // check every patch before copying anything: a wrong sha is a manifest problem, not a tree problem
  for (const bug of toFix) await readFix(bug, fixesDir);

  try {
    await copyTarget(targetDir, out);
    for (const bug of toFix) await applyFix(out, bug, fixesDir);
    const contentHash = await hashTree(out);
    if (opts.linkNodeModules) {
      const nm = typeof opts.linkNodeModules === 'string' ? path.resolve(opts.linkNodeModules) : path.join(targetDir, 'node_modules');
      await symlink(nm, path.join(out, 'node_modules'), 'dir');
    }
    return { out, bugsPresent: present.map((b) => b.id), contentHash };
  } catch (err) {
    if (created) await rm(out, { recursive: true, force: true });
    else for (const e of await readdir(out).catch(() => [])) await rm(path.join(out, e), { recursive: true, force: true });
    throw err;
  }
}
