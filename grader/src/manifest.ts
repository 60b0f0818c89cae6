import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Category } from './categories.ts';
import { GraderError } from './errors.ts';
import { DEFAULT_MANIFEST_PATH, SCHEMA_PATH } from './paths.ts';

export type BugClass =
  | 'lifecycle' | 'windowing' | 'numeric' | 'races' | 'messaging' | 'security'
  | 'caching' | 'time' | 'config' | 'performance' | 'business';

/** The id's letter names the class (bug catalogue, "Naming scheme"). */
export const CLASS_BY_PREFIX: Readonly<Record<string, BugClass>> = Object.freeze({
  L: 'lifecycle', W: 'windowing', N: 'numeric', R: 'races', M: 'messaging', X: 'security',
  K: 'caching', T: 'time', E: 'config', P: 'performance', B: 'business',
});

export interface BugValidation {
  runs: number;
  stability: string;
  date: string;
  graderVersion?: string;
  mode?: 'full' | 'quick';
  /** "n/n": runs in which an alternative passed, over alternatives × runs. */
  alternatives?: string;
  /** "n/n": runs in which a wrong fix was caught, over wrong fixes × runs. */
  wrongFixesCaught?: string;
  /** sha256 of what the checks read (verify/reuse.ts): `verify --reuse` keeps a record whose inputs are unchanged. */
  inputs?: string;
  /** Records whose runs were all followed (quick, or full over affected files): sha256 over what the runs read (verify/read-key.ts), paths in validation-reads.json. */
  readsKey?: string;
}

/** An alternative correct fix or a wrong fix: a patch in the gold fix's form, relative to the manifest. */
export interface FixVariant {
  patch: string;
  note: string;
  sha256?: string;
}

export type VariantKind = 'alternative' | 'wrong-fix';

export interface BugEntry {
  id: string;
  title: string;
  class: BugClass;
  service: string;
  files: string[];
  fix: string;
  fixSha256: string;
  alternatives?: FixVariant[];
  wrongFixes?: FixVariant[];
  failToPass: string[];
  /** failToPass tests the bug makes fail on some runs only (docs/bug-validity.md, "Intermittent tests"). */
  intermittent?: string[];
  dependsOn: string[];
  scenario: number | null;
  bonus: boolean;
  symptom: string;
  status: 'active' | 'retired';
  category?: Category;
  mechanism?: string;
  notes?: string;
  validation?: BugValidation;
}

export interface Manifest {
  version: number;
  /** Bug validity v2 enforced: missing alternatives / wrong fixes and stale dependsOn fail verify. */
  requireValidity?: boolean;
  bugs: BugEntry[];
}

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

function where(instancePath: string, data: unknown): string {
  // "/bugs/3/failToPass/0" → "bugs[3] (L4).failToPass[0]": the id is what a maintainer searches for.
  const parts = instancePath.split('/').slice(1);
  let out = '';
  let node: unknown = data;
  for (const p of parts) {
    const isIndex = /^\d+$/.test(p);
    out += isIndex ? `[${p}]` : out === '' ? p : `.${p}`;
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
    if (out.startsWith('bugs[') && /^bugs\[\d+\]$/.test(out) && node && typeof node === 'object') {
      const id = (node as { id?: unknown }).id;
      if (typeof id === 'string') out += ` (${id})`;
    }
  }
  return out === '' ? '(manifest)' : out;
}

function formatAjvError(e: ErrorObject, data: unknown): string {
  const at = where(e.instancePath, data);
  if (e.keyword === 'additionalProperties') return `${at}: unknown key "${String(e.params.additionalProperty)}"`;
  if (e.keyword === 'required') return `${at}: missing required field "${String(e.params.missingProperty)}"`;
  if (e.keyword === 'enum') return `${at}: ${e.message ?? 'invalid'} (${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
  return `${at}: ${e.message ?? 'invalid'}`;
}

/** Validates manifest data with the schema (ajv) and the rules a schema cannot say; throws GRADER_ERR_MANIFEST_INVALID listing every problem. */
export function validateManifest(data: unknown): Manifest {
  const validate = schemaValidator();
  const problems: string[] = [];
  if (!validate(data)) {
    // With allErrors, one bad value can also fail an enclosing keyword; keep each message once.
    for (const e of validate.errors ?? []) {
      const msg = formatAjvError(e, data);
      if (!problems.includes(msg)) problems.push(msg);
    }
    throw new GraderError('GRADER_ERR_MANIFEST_INVALID', `manifest is invalid:\n  - ${problems.join('\n  - ')}`, { details: problems });
  }
  const manifest = data as Manifest;
  const ids = new Map<string, number>();
  for (const [i, bug] of manifest.bugs.entries()) {
    if (ids.has(bug.id)) problems.push(`bugs[${i}] (${bug.id}): duplicate id, already used by bugs[${ids.get(bug.id)}]`);
    else ids.set(bug.id, i);
    const expectedFix = `fixes/${bug.id}.patch`;
    if (bug.fix !== expectedFix) problems.push(`bugs[${i}] (${bug.id}).fix: expected "${expectedFix}", got "${bug.fix}"`);
    const expectedClass = CLASS_BY_PREFIX[bug.id.charAt(0)];
    if (bug.class !== expectedClass) problems.push(`bugs[${i}] (${bug.id}).class: id letter ${bug.id.charAt(0)} means "${expectedClass}", got "${bug.class}"`);
  }
  // dependsOn is measured masking, which is often mutual: cycles are allowed (see docs/bug-validity.md)
  for (const [i, bug] of manifest.bugs.entries()) {
    for (const dep of bug.dependsOn) {
      if (dep === bug.id) problems.push(`bugs[${i}] (${bug.id}).dependsOn: a bug cannot depend on itself`);
      else if (!ids.has(dep)) problems.push(`bugs[${i}] (${bug.id}).dependsOn: unknown bug id "${dep}"`);
    }
    problems.push(...variantPathProblems(bug, i), ...intermittentProblems(bug, i));
  }
  if (problems.length > 0) {
    throw new GraderError('GRADER_ERR_MANIFEST_INVALID', `manifest is invalid:\n  - ${problems.join('\n  - ')}`, { details: problems });
  }
  return manifest;
}

const VARIANT_DIRS: Readonly<Record<VariantKind, { field: 'alternatives' | 'wrongFixes'; dir: string }>> = {
  alternative: { field: 'alternatives', dir: 'alternatives' },
  'wrong-fix': { field: 'wrongFixes', dir: 'wrong-fixes' },
};

/** The bug's alternatives or wrong fixes (none when the field is absent). */
export function variantsOf(bug: BugEntry, kind: VariantKind): FixVariant[] {
  return bug[VARIANT_DIRS[kind].field] ?? [];
}

/** Intermittent tests are failToPass tests, and at least one failToPass test fails every time. */
function intermittentProblems(bug: BugEntry, i: number): string[] {
  const racy = bug.intermittent ?? [];
  const listed = new Set(bug.failToPass);
  const problems = racy.filter((id) => !listed.has(id)).map((id) => `bugs[${i}] (${bug.id}).intermittent: "${id}" is not in failToPass`);
  if (racy.length > 0 && bug.failToPass.every((id) => racy.includes(id))) {
    problems.push(`bugs[${i}] (${bug.id}).intermittent: every failToPass test is intermittent; at least one must fail every time the bug is present`);
  }
  return problems;
}

/**
 * The tests a run may see pass while `bugs` are present: intermittent for one of them and failed
 * every time by none (docs/bug-validity.md, rule 6).
 */
export function mayPassWhilePresent(bugs: readonly BugEntry[]): ReadonlySet<string> {
  const steady = new Set(bugs.flatMap((b) => b.failToPass.filter((id) => !(b.intermittent ?? []).includes(id))));
  return new Set(bugs.flatMap((b) => b.intermittent ?? []).filter((id) => !steady.has(id)));
}

/** Each variant lives at <dir>/<id>-<n>.patch, named after its own bug, and no path is listed twice. */
function variantPathProblems(bug: BugEntry, i: number): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const kind of ['alternative', 'wrong-fix'] as const) {
    const { field, dir } = VARIANT_DIRS[kind];
    for (const [j, v] of variantsOf(bug, kind).entries()) {
      const at = `bugs[${i}] (${bug.id}).${field}[${j}].patch`;
      if (!v.patch.startsWith(`${dir}/${bug.id}-`)) problems.push(`${at}: expected "${dir}/${bug.id}-<n>.patch", got "${v.patch}"`);
      if (seen.has(v.patch)) problems.push(`${at}: "${v.patch}" is listed twice`);
      seen.add(v.patch);
    }
  }
  return problems;
}

export async function readJsonFile(file: string, what: string, invalidCode: 'GRADER_ERR_MANIFEST_INVALID' | 'GRADER_ERR_RESULTS_INVALID'): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new GraderError('GRADER_ERR_FILE_NOT_FOUND', `${what} not found: ${file}`);
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new GraderError(invalidCode, `${what} is not valid JSON (${file}): ${(err as Error).message}`);
  }
}

export async function loadManifest(manifestPath: string = DEFAULT_MANIFEST_PATH): Promise<Manifest> {
  const data = await readJsonFile(manifestPath, 'bug manifest', 'GRADER_ERR_MANIFEST_INVALID');
  try {
    return validateManifest(data);
  } catch (err) {
    if (err instanceof GraderError) err.message = `${manifestPath}: ${err.message}`;
    throw err;
  }
}

export function activeBugs(manifest: Manifest): BugEntry[] {
  return manifest.bugs.filter((b) => b.status === 'active');
}

/** Resolves ids to active entries, in manifest order; an unknown or retired id is an error. */
export function selectBugs(manifest: Manifest, ids: readonly string[]): BugEntry[] {
  const byId = new Map(manifest.bugs.map((b) => [b.id, b]));
  for (const id of ids) {
    const bug = byId.get(id);
    if (!bug) throw new GraderError('GRADER_ERR_UNKNOWN_BUG', `unknown bug id "${id}" (the manifest has ${manifest.bugs.length} bugs)`);
    if (bug.status !== 'active') throw new GraderError('GRADER_ERR_UNKNOWN_BUG', `bug "${id}" is ${bug.status}: it is not in the shipped target`);
  }
  const wanted = new Set(ids);
  return manifest.bugs.filter((b) => wanted.has(b.id));
}
