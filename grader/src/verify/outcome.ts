import { variantsOf, type BugEntry } from '../manifest.ts';
import { track } from './context.ts';
import { ReadsAcc, readKey } from './read-key.ts';
import type { ReadsEntry, ReadsFile } from './read-store.ts';
import { bugKeys, provedRuns, recordedTally, reusable, standsByReads } from './reuse.ts';
import { bugRuns, variantRuns } from './runs.ts';
import type { Ctx } from './types.ts';
import type { BugOutcome } from './verdicts.ts';

type Note = (id: string, p: string) => void;

/** Why `bug`'s record stands without running (verify --reuse), or undefined. */
function keptBecause(ctx: Ctx, bug: BugEntry, byInputs: boolean, byReads: boolean, reads: ReadsFile): string | undefined {
  if (byInputs) return 'nothing its checks read has changed';
  if (byReads && bug.validation!.runs >= ctx.repeat) return `none of the ${reads.bugs[bug.id]!.read.length} paths its runs read has changed`;
  return undefined;
}

/**
 * The accumulator of a verification that writes records (read-key.ts): quick ones, and full ones
 * that ran affected files (a whole-suite run's selection grows with the tree). A top-up continues
 * the kept record's set, and gets a key only if the kept record had one.
 */
function readsAccFor(ctx: Ctx, bug: BugEntry, proved: number, kept: ReadsEntry | undefined): ReadsAcc | undefined {
  if (ctx.opts.write === false || (!ctx.quick && (ctx.full || !ctx.selection))) return undefined;
  if (proved === 0) return new ReadsAcc();
  return kept && kept.key === bug.validation?.readsKey ? ReadsAcc.from(kept) : undefined;
}

/**
 * A bug's runs, or its recorded validation when `reuse` is asked and it still stands (reuse.ts).
 * A record that stands for fewer runs than asked is topped up: only the missing runs are made, and
 * the verdict counts the recorded ones with them. A quick verification that will write records
 * follows what the runs read, for the record's second key (read-key.ts).
 */
export async function bugOutcome(ctx: Ctx, bug: BugEntry, targetHash: string, reads: ReadsFile, note: Note, problems: string[]): Promise<BugOutcome> {
  const keys = await bugKeys(ctx, bug, targetHash);
  const { inputs } = keys;
  const steps = 1 + variantsOf(bug, 'alternative').length + variantsOf(bug, 'wrong-fix').length;
  // with --reuse, a record stands by its inputs or, failing that, by what its runs read
  const byInputs = ctx.opts.reuse === true && reusable(ctx, bug, inputs);
  const byReads = ctx.opts.reuse === true && !byInputs && (await standsByReads(ctx, bug, keys.shared, reads));
  const because = keptBecause(ctx, bug, byInputs, byReads, reads);
  if (because) {
    ctx.total -= steps * ctx.repeat - 1;
    const label = `${bug.id}: validation of ${bug.validation!.date} kept (${bug.validation!.mode ?? 'full'}, ${bug.validation!.stability}): ${because}`;
    await track(ctx, label, async () => ({ step: 'bug' as const, label, bug: bug.id, ok: true, detail: 'reused' }));
    const none = { good: 0, total: 0 };
    // restamped with today's inputs: the next verification of this tree keeps it by the first key
    return { bug, good: 0, variants: { alternative: none, 'wrong-fix': none }, masking: undefined, problems, inputs, reused: { ...bug.validation!, inputs } };
  }
  const proved = ctx.opts.reuse ? provedRuns(ctx, bug, inputs, byReads) : 0;
  ctx.total -= steps * proved;
  const acc = readsAccFor(ctx, bug, proved, reads.bugs[bug.id]);
  const good = proved + (await bugRuns(ctx, bug, note, proved + 1, acc));
  const ran = await variantRuns(ctx, bug, note, proved + 1, acc);
  const followed = acc?.result();
  const readSet = followed ? { ...followed, key: await readKey(ctx, bug, keys.shared, followed) } : undefined;
  const withReads = readSet ? { reads: readSet } : {};
  if (proved === 0) return { bug, good, variants: ran, masking: undefined, problems, inputs, ...withReads };
  const add = (kind: 'alternative' | 'wrong-fix', ratio: string | undefined) => {
    const kept = recordedTally(ratio);
    return { good: kept.good + ran[kind].good, total: kept.total + ran[kind].total };
  };
  const variants = { alternative: add('alternative', bug.validation!.alternatives), 'wrong-fix': add('wrong-fix', bug.validation!.wrongFixesCaught) };
  return { bug, good, variants, masking: undefined, problems, inputs, keptRuns: proved, ...withReads };
}
