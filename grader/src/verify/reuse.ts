import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { variantFile } from '../fix-variants.ts';
import { hashTree } from '../hash.ts';
import { variantsOf, type BugEntry } from '../manifest.ts';
import { fixPath } from '../materialize.ts';
import { REPO_ROOT } from '../paths.ts';
import { GRADER_VERSION } from '../version.ts';
import type { Ctx } from './types.ts';

// A bug's checks read the target tree, the bug's patches (gold fix, alternatives, wrong fixes), its
// failToPass list (the verdict compares against it) and the grader's runtime (the jest parent, the
// dependency recorder), under one node. `bugInputs` hashes exactly those. A validation recorded
// with the same hash ran the same trees with the same expectations, so `verify --reuse` keeps it
// instead of running the checks again (docs/bug-validity.md, "Reusing a validation").
// Not covered: the versions of PostgreSQL, Redis and RabbitMQ, which no check reads as a file.

const RUNTIME_DIR = path.join(REPO_ROOT, 'grader', 'runtime');

let runtimeHash: Promise<string> | undefined;

/** A patch's bytes; a missing one (the static check reports it) hashes as missing, not as an error. */
const bytesOf = (file: string): Promise<Buffer | string> => readFile(file).catch(() => 'missing');

/** Everything a check reads that is the same for every bug: the target snapshot and the grader. */
async function commonInputs(targetHash: string): Promise<string> {
  runtimeHash ??= hashTree(RUNTIME_DIR);
  return `target ${targetHash}\nruntime ${await runtimeHash}\ngrader ${GRADER_VERSION}\nnode ${process.version}\n`;
}

/** sha256 over what `bug`'s checks read (see above). */
export async function bugInputs(ctx: Ctx, bug: BugEntry, targetHash: string): Promise<string> {
  const h = createHash('sha256');
  h.update(await commonInputs(targetHash));
  h.update(`bug ${bug.id}\n`);
  h.update(await bytesOf(fixPath(bug, ctx.fixesDir)));
  for (const kind of ['alternative', 'wrong-fix'] as const) {
    for (const v of variantsOf(bug, kind)) {
      h.update(`\n${kind} ${v.patch}\n`);
      h.update(await bytesOf(variantFile(ctx.manifestDir, v)));
    }
  }
  h.update(`\nfailToPass\n${[...bug.failToPass].sort().join('\n')}\n`);
  // absent and empty hash alike, so a record made before the field existed still stands
  if (bug.intermittent?.length) h.update(`intermittent\n${[...bug.intermittent].sort().join('\n')}\n`);
  return h.digest('hex');
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
 * Runs of `bug` already proved on these inputs and in this verification's mode, which a longer
 * verification tops up instead of repeating: `--repeat 3 --reuse` over a 1/1 record runs runs 2
 * and 3 only. A record exists only for a bug whose every run passed, so its runs count whole.
 * 0 when the record is for other inputs or the other mode (a quick run does not extend a full
 * record, nor the reverse).
 */
export function provedRuns(ctx: Ctx, bug: BugEntry, inputs: string): number {
  const v = bug.validation;
  if (v === undefined || v.inputs !== inputs) return 0;
  return (v.mode ?? 'full') === (ctx.quick ? 'quick' : 'full') ? v.runs : 0;
}

/** A recorded "good/total" ratio as a tally (absent: nothing recorded). */
export function recordedTally(ratio: string | undefined): { good: number; total: number } {
  const m = /^(\d+)\/(\d+)$/.exec(ratio ?? '');
  return m ? { good: Number(m[1]), total: Number(m[2]) } : { good: 0, total: 0 };
}
