import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonAtomic } from '../commands/shared.ts';
import { depMapPath, readDepMap } from '../depmap/store.ts';
import { listTreeFiles } from '../depmap/tree-changes.ts';
import { graderInputs } from './reuse.ts';
import type { Ctx } from './types.ts';

// The all-fixed tree's k whole-suite runs are the baseline of every bug's checks, and the same for
// every part of a long verification. They are recorded in `all-fixed.json` beside the manifest;
// `verify --reuse` keeps them, as it keeps a bug's record, while the all-fixed tree (its hash covers
// every file of it) and the grader's runtime are unchanged and the record has at least as many
// runs as this verification asks. The dependency map those runs recorded must be stored for the
// same tree, since every affected-file selection uses it (docs/bug-validity.md, "Reusing a
// validation").

export interface AllFixedRecord {
  /** hashTree of the all-fixed tree the runs ran. */
  treeHash: string;
  /** The grader's part of every record's inputs (runtime, version, node). */
  grader: string;
  /** Whole-suite runs that all passed. */
  runs: number;
  tests: number;
  date: string;
}

function recordPath(ctx: Ctx): string {
  return path.join(ctx.manifestDir, 'all-fixed.json');
}

async function readRecord(ctx: Ctx): Promise<AllFixedRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(recordPath(ctx), 'utf8')) as Partial<AllFixedRecord>;
    const valid = typeof r.treeHash === 'string' && typeof r.grader === 'string' && Number.isInteger(r.runs) && typeof r.date === 'string';
    return valid ? (r as AllFixedRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record that stands for this verification's all-fixed runs, with the selection it needs put
 * in place; undefined when the runs must be made.
 */
export async function keptAllFixed(ctx: Ctx, dir: string, treeHash: string): Promise<AllFixedRecord | undefined> {
  if (ctx.opts.reuse !== true) return undefined;
  const record = await readRecord(ctx);
  if (!record || record.treeHash !== treeHash || record.runs < ctx.repeat || record.grader !== (await graderInputs())) return undefined;
  if (ctx.full) return record;
  const map = await readDepMap(depMapPath(ctx.manifestPath), treeHash);
  if (!map) return undefined;
  ctx.selection = { map, allFixedFiles: await listTreeFiles(path.resolve(dir)) };
  return record;
}

/** Records runs that all passed (not in a dry run). A longer record already standing for the tree is kept. */
export async function recordAllFixed(ctx: Ctx, treeHash: string, runs: number): Promise<void> {
  if (ctx.opts.write === false) return;
  const grader = await graderInputs();
  const old = await readRecord(ctx);
  if (old && old.treeHash === treeHash && old.grader === grader && old.runs >= runs) return;
  const record: AllFixedRecord = { treeHash, grader, runs, tests: ctx.inventory.length, date: (ctx.opts.clock ?? (() => new Date()))().toISOString() };
  await writeJsonAtomic(recordPath(ctx), record);
}
