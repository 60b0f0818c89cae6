import { GraderError } from '../errors.ts';
import { writeValidations } from '../manifest-write.ts';
import { saveReads } from './read-store.ts';
import type { VerifyOptions } from './types.ts';
import { bugVerdict, type BugOutcome, type VerdictContext } from './verdicts.ts';

/** `jobs`: how many bugs are verified at once (default 1); anything but a whole number from 1 is refused. */
export function jobsOf(opts: VerifyOptions): number {
  const jobs = opts.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new GraderError('GRADER_ERR_INVALID_OPTION', `verify jobs: expected a whole number of at least 1, got ${jobs}`);
  return jobs;
}

/** Writes each bug's record (and its read set) as its runs end, one write at a time. */
export class RecordWriter {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly where: { manifestPath: string; manifestDir: string }, private readonly vc: VerdictContext) {}

  write(outcome: BugOutcome): Promise<void> {
    const { where, vc } = this;
    const id = outcome.bug.id;
    // a failed write is its own bug's error; the writes after it still run
    this.last = this.last.catch(() => undefined).then(async () => {
      const validation = bugVerdict(outcome, vc).validation;
      if (validation?.readsKey && outcome.reads) await saveReads(where.manifestDir, new Map([[id, outcome.reads]]));
      await writeValidations(where.manifestPath, new Map([[id, validation ?? null]]));
    });
    return this.last;
  }
}
