import { variantsOf, type BugEntry, type BugValidation } from '../manifest.ts';
import { describeMasking, type BugMasking } from '../masking.ts';
import { GRADER_VERSION } from '../version.ts';
import type { ReadsEntry } from './read-store.ts';
import type { VariantTally } from './runs.ts';
import type { BugVerdict } from './types.ts';

export interface BugOutcome {
  bug: BugEntry;
  /** Runs in which only-this-bug failed exactly its failToPass. */
  good: number;
  variants: { alternative: VariantTally; 'wrong-fix': VariantTally };
  masking: BugMasking | undefined;
  /** Problems found by the steps (static, apply, runs). */
  problems: string[];
  /** sha256 of what the checks read (reuse.ts), recorded with the validation. */
  inputs?: string;
  /** The recorded validation kept instead of running the checks (verify --reuse). */
  reused?: BugValidation;
  /** Runs taken from a recorded validation that this verification topped up (verify --reuse). */
  keptRuns?: number;
  /** What the runs read, and the second key over it (read-key.ts), when every run could be followed. */
  reads?: ReadsEntry;
}

export interface VerdictContext {
  repeat: number;
  quick: boolean;
  date: string;
  requireValidity: boolean;
  /** Problems that void every bug's validation (the all-fixed suite is every check's baseline). */
  globalProblems: readonly string[];
}

/**
 * What bug validity v2 asks of an entry beyond its runs: ≥ 1 alternative, ≥ 1 wrong fix, and the
 * measured dependsOn recorded. Problems once requireValidity is set, warnings before.
 */
export function validityFindings(bug: BugEntry, masking: BugMasking | undefined): string[] {
  const findings: string[] = [];
  if (variantsOf(bug, 'alternative').length === 0) findings.push('records no alternative correct fix (bug validity requires at least one)');
  if (variantsOf(bug, 'wrong-fix').length === 0) findings.push('records no wrong fix (bug validity requires at least one)');
  const measured = masking?.dependsOn ?? [];
  const recorded = new Set(bug.dependsOn);
  if (recorded.size !== measured.length || !measured.every((id) => recorded.has(id))) {
    findings.push(`dependsOn records [${bug.dependsOn.join(', ')}], the failToPass lists give [${measured.join(', ')}]: run \`datanexus-grader masking --write\``);
  }
  return findings;
}

function ratio(t: VariantTally): string | undefined {
  return t.total === 0 ? undefined : `${t.good}/${t.total}`;
}

/** One bug's verdict; its validation record when everything it owns, and the baseline, passed. */
export function bugVerdict(o: BugOutcome, vc: VerdictContext): BugVerdict {
  const findings = validityFindings(o.bug, o.masking);
  const own = [...o.problems, ...(vc.requireValidity ? findings : [])];
  const alt = o.variants.alternative;
  const wrong = o.variants['wrong-fix'];
  const ranOk = o.reused !== undefined || (o.good === vc.repeat && alt.good === alt.total && wrong.good === wrong.total);
  const ok = own.length === 0 && vc.globalProblems.length === 0 && ranOk;
  const stability = o.reused?.stability ?? `${o.good}/${vc.repeat}`;
  const alternatives = o.reused ? o.reused.alternatives : ratio(alt);
  const wrongFixesCaught = o.reused ? o.reused.wrongFixesCaught : ratio(wrong);
  const verdict: BugVerdict = {
    ok, stability,
    ...(alternatives ? { alternatives } : {}),
    ...(wrongFixesCaught ? { wrongFixesCaught } : {}),
    dependsOn: o.masking?.dependsOn ?? [],
    recordedDependsOn: [...o.bug.dependsOn],
    masking: o.masking ? describeMasking(o.masking, o.bug.failToPass.length) : '—',
    fullyMasked: o.masking?.fullyMasked ?? false,
    problems: [...own, ...vc.globalProblems.map((p) => `(global) ${p}`)],
    warnings: vc.requireValidity ? [] : findings,
    ...(o.reused ? { reused: true } : {}),
    ...(o.keptRuns ? { keptRuns: o.keptRuns } : {}),
  };
  if (ok && o.reused) verdict.validation = o.reused;
  else if (ok) {
    verdict.validation = {
      runs: vc.repeat, stability, date: vc.date, graderVersion: GRADER_VERSION, mode: vc.quick ? 'quick' : 'full',
      ...(alternatives ? { alternatives } : {}),
      ...(wrongFixesCaught ? { wrongFixesCaught } : {}),
      ...(o.inputs ? { inputs: o.inputs } : {}),
      ...(o.reads ? { readsKey: o.reads.key } : {}),
    };
  }
  return verdict;
}
