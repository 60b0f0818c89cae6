import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { variantFile } from '../fix-variants.ts';
import { hashTree } from '../hash.ts';
import { variantsOf, type BugEntry } from '../manifest.ts';
import { fixPath } from '../materialize.ts';
import { REPO_ROOT } from '../paths.ts';
import { GRADER_VERSION } from '../version.ts';
import { readKey } from './read-key.ts';
import { selectionStands, treeName } from './selection.ts';
import type { ReadsFile } from './read-store.ts';
import type { Ctx } from './types.ts';

// A bug's checks read the target tree, the bug's patches (gold fix, alternatives, wrong fixes), its
// failToPass list (the verdict compares against it) and the grader's runtime (the jest parent, the
// dependency recorder), under one node. `bugInputs` hashes exactly those. A validation recorded
// with the same hash ran the same trees with the same expectations, so `verify --reuse` keeps it
// instead of running the checks again (docs/bug-validity.md, "Reusing a validation"). A quick
// record may also stand by a second key over only the paths its runs read (read-key.ts).
// Not covered: the versions of PostgreSQL, Redis and RabbitMQ, which no check reads as a file.

const RUNTIME_DIR = path.join(REPO_ROOT, 'grader', 'runtime');

let runtimeHash: Promise<string> | undefined;

/** A patch's bytes; a missing one (the static check reports it) hashes as missing, not as an error. */
const bytesOf = (file: string): Promise<Buffer | string> => readFile(file).catch(() => 'missing');

/** What every bug's checks read of the grader: the runtime, the grader's version, node. */
export async function graderInputs(): Promise<string> {
  runtimeHash ??= hashTree(RUNTIME_DIR);
  return `runtime ${await runtimeHash}\ngrader ${GRADER_VERSION}\nnode ${process.version}\n`;
}

/** The grader's part and `bug`'s own: its patches, failToPass and intermittent lists. */
async function sharedInputs(ctx: Ctx, bug: BugEntry): Promise<string> {
  const parts = [await graderInputs(), `bug ${bug.id}\n`];
  const h = createHash('sha256');
  h.update(await bytesOf(fixPath(bug, ctx.fixesDir)));
  for (const kind of ['alternative', 'wrong-fix'] as const) {
    for (const v of variantsOf(bug, kind)) {
      h.update(`\n${kind} ${v.patch}\n`);
      h.update(await bytesOf(variantFile(ctx.manifestDir, v)));
    }
  }
  h.update(`\nfailToPass\n${[...bug.failToPass].sort().join('\n')}\n`);
  // absent and empty hash alike
  if (bug.intermittent?.length) h.update(`intermittent\n${[...bug.intermittent].sort().join('\n')}\n`);
  parts.push(`patches and lists ${h.digest('hex')}\n`);
  return parts.join('');
}

export interface BugKeys {
  /** sha256 over the whole target snapshot and `shared`: the record's `inputs`. */
  inputs: string;
  /** What the second key (read-key.ts) hashes besides the read paths. */
  shared: string;
}

/** The keys of `bug`'s checks on the target snapshot hashed as `targetHash` (see above). */
export async function bugKeys(ctx: Ctx, bug: BugEntry, targetHash: string): Promise<BugKeys> {
  const shared = await sharedInputs(ctx, bug);
  const inputs = createHash('sha256').update(`target ${targetHash}\n${shared}`).digest('hex');
  return { inputs, shared };
}

/** sha256 over what `bug`'s checks read (see above). */
export async function bugInputs(ctx: Ctx, bug: BugEntry, targetHash: string): Promise<string> {
  return (await bugKeys(ctx, bug, targetHash)).inputs;
}

/**
 * Whether `bug`'s recorded validation stands for this verification's checks: it was made with
 * these inputs, with at least this many runs, and in full mode when this verification is not quick
 * (a quick record proves less than a full one asks).
 */
export function reusable(ctx: Ctx, bug: BugEntry, inputs: string): boolean {
  const v = bug.validation;
  return v !== undefined && v.inputs === inputs && v.runs >= ctx.repeat && (ctx.quick || v.mode !== 'quick');
}

/**
 * Whether `bug`'s record stands by its second key: the record and validation-reads.json name the
 * same key, the paths its runs read still hash to it (read-key.ts), and it was made in this
 * verification's mode or a stronger one (a full record for a quick verification: it ran the
 * failToPass files too). A quick run's files are fixed by its failToPass list; a full
 * (affected-file) run's selection grows with the tree, so for a full verification a full record
 * also needs today's map to select, for each of its trees, no file that tree did not run
 * (selection.ts). How many runs it covers is the caller's question.
 */
export async function standsByReads(ctx: Ctx, bug: BugEntry, shared: string, reads: ReadsFile): Promise<boolean> {
  const v = bug.validation;
  const entry = reads.bugs[bug.id];
  if (!v || !v.readsKey || !entry || entry.key !== v.readsKey) return false;
  // a full record ran its failToPass files too, so it stands for a quick verification as well
  const mode = v.mode ?? 'full';
  if (mode === 'quick' && !ctx.quick) return false;
  if (!ctx.quick) {
    const names = [treeName(), ...[...variantsOf(bug, 'alternative'), ...variantsOf(bug, 'wrong-fix')].map(treeName)];
    if (!names.every((name) => entry.trees?.[name] !== undefined && selectionStands(ctx, bug, entry.trees[name]))) return false;
  }
  return (await readKey(ctx, bug, shared, entry)) === v.readsKey;
}

/**
 * Runs of `bug` already proved on these inputs and in this verification's mode, which a longer
 * verification tops up instead of repeating: `--repeat 3 --reuse` over a 1/1 record runs runs 2
 * and 3 only. A record exists only for a bug whose every run passed, so its runs count whole.
 * 0 when the record is for other inputs or the other mode (a quick run does not extend a full
 * record, nor the reverse), unless it stands by its second key (`byReads`, standsByReads).
 */
export function provedRuns(ctx: Ctx, bug: BugEntry, inputs: string, byReads = false): number {
  const v = bug.validation;
  if (v === undefined) return 0;
  if (byReads) return v.runs;
  if (v.inputs !== inputs) return 0;
  return (v.mode ?? 'full') === (ctx.quick ? 'quick' : 'full') ? v.runs : 0;
}

/** A recorded "good/total" ratio as a tally (absent: nothing recorded). */
export function recordedTally(ratio: string | undefined): { good: number; total: number } {
  const m = /^(\d+)\/(\d+)$/.exec(ratio ?? '');
  return m ? { good: Number(m[1]), total: Number(m[2]) } : { good: 0, total: 0 };
}
